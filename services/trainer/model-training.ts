/**
 * Retraining the shared neural model: a candidate is trained on the normal
 * windows of the labelled set (or, as a drill of the gate, deliberately on
 * its fault windows), judged with the active version on the same held-out
 * normal windows and fault windows, and registered as the `shadow` version
 * with both versions' figures (the detector scores it beside the active one
 * with the thresholds found here).
 */
import { Autoencoder, type AutoencoderState, NEURAL_INPUTS, type TfModule } from '../../models/fleet/index.ts';
import { buildTrainingSet, errorsOf, holdOut, type LabelledFigures, labelledFigures, liveState, trainVersion } from '../../models/registry/index.ts';
import { loadNeural, modelInState, registerModelVersion } from '../detector/index.ts';
import { isUniqueViolation, type ModelVersionRow, type Store } from '../store/index.ts';
import { readLabelledWindows } from './model-data.ts';

/** Settings of {@link trainCandidate}. */
export interface CandidateOptions {
  /** Detector window length, ms (to place windows against incidents). */
  windowMs: number;
  /** Most recent windows read. Default 20 000. */
  windows?: number;
  /** Adam steps. Default 400. */
  steps?: number;
  /** Seed of the fresh weights. Default: from the clock. */
  seed?: number;
  /** `normal` (the real thing) or `faults`: a candidate made worse on purpose, to check that the gate refuses it. */
  trainOn?: 'normal' | 'faults';
  /** Fewest training rows worth a candidate. Default 200. */
  minRows?: number;
}

/** What {@link trainCandidate} did. */
export type CandidateResult =
  | { registered: true; version: ModelVersionRow; candidate: LabelledFigures; baseline: LabelledFigures }
  | { registered: false; reason: string };

/** The weights the active version runs now: its shared checkpoint (trained online since) or its registered params. */
async function activeWeights(store: Store, active: ModelVersionRow): Promise<AutoencoderState | undefined> {
  const saved = await loadNeural(store, active.id);
  return saved?.state ?? ((active.params ?? undefined) as AutoencoderState | undefined);
}

/** Trains, judges and registers a shadow candidate; see the module comment. */
export async function trainCandidate(store: Store, tf: TfModule, o: CandidateOptions): Promise<CandidateResult> {
  const db = store.db;
  const active = await modelInState(db, 'neural', 'active');
  if (!active) return { registered: false, reason: 'no active neural version yet (the detector registers the first one)' };
  if (await modelInState(db, 'neural', 'shadow')) return { registered: false, reason: 'a shadow version is already being judged' };
  const windows = await readLabelledWindows(db, o.windowMs, o.windows ?? 20_000);
  const set = buildTrainingSet(windows);
  const { train, holdout } = holdOut(set.normal);
  const trainOn = o.trainOn ?? 'normal';
  const rows = trainOn === 'faults' ? set.fault : train;
  const minRows = o.minRows ?? 200;
  if (rows.n < minRows || holdout.n < 20)
    return { registered: false, reason: `too few windows to train on: ${rows.n} training rows (need ${minRows}), ${holdout.n} held out (need 20)` };
  const steps = o.steps ?? 400;
  const candidate = trainVersion(tf, rows, { steps, seed: o.seed ?? Date.now() % 2_147_483_647 });
  const baselineState = await activeWeights(store, active);
  const baseline = new Autoencoder(tf, baselineState?.config ?? { inputs: NEURAL_INPUTS }, baselineState);
  try {
    const mine = labelledFigures(errorsOf(candidate, holdout), errorsOf(candidate, set.fault));
    const theirs = labelledFigures(errorsOf(baseline, holdout), errorsOf(baseline, set.fault));
    const services = new Set(windows.map((w) => w.service)).size;
    const excluded = windows.filter((w) => w.label === 'excluded').length;
    const reason =
      trainOn === 'faults'
        ? `drill: trained on purpose on ${rows.n} fault windows, to check that the gate refuses it`
        : `retrained by the trainer on ${rows.n} normal windows of ${services} services (${set.fault.n} fault windows and ${excluded} unlabelled incident windows left out, ${holdout.n} held out)`;
    const version = await registerModelVersion(db, {
      kind: 'neural',
      state: 'shadow',
      parentId: active.id,
      reason,
      quality: { candidate: mine, baseline: theirs, baselineId: active.id, training: { rows: rows.n, steps, trainOn } },
      params: liveState(candidate),
    });
    return { registered: true, version, candidate: mine, baseline: theirs };
  } catch (err) {
    if (isUniqueViolation(err)) return { registered: false, reason: 'another trainer registered a shadow version meanwhile' };
    throw err;
  } finally {
    candidate.dispose();
    baseline.dispose();
  }
}
