/**
 * The detector's side of the model registry: it runs the active neural
 * version (registering the model it has as the first one when the registry
 * is empty), picks up a newly active version without a restart (polled on
 * every replica), and scores the same live windows with the shadow version
 * (the neural scorer only, frozen), counting for each version the windows
 * it alarms on among those the active model judged normal. The counts are
 * added to the shadow version's row, where the trainer's gate reads them.
 */
import {
  Autoencoder,
  type AutoencoderState,
  type BaselineOptions,
  baselineParameters,
  canonicalJson,
  NeuralScorer,
  type TfModule,
} from '../../models/fleet/index.ts';
import { describeError } from '../core/errors.ts';
import type { ModelVersionRow } from '../store/index.ts';
import { loadNeural } from './checkpoints.ts';
import { type DetectorState, MODEL_VERSION } from './detector-state.ts';
import { addShadowCounts, ensureActiveModel, modelInState, type ShadowCounts } from './model-registry-repo.ts';
import { baselinesIdOf, ensureBaselinesVersion } from './model-registry-versions.ts';

/** A shadow version being scored beside the active one. */
export interface ShadowRun {
  id: string;
  model: Autoencoder;
  /** Error above which each version alarms (from the shadow row's quality figures). */
  shadowThreshold: number;
  baselineThreshold: number;
  /** Counts not yet added to the row. */
  counts: ShadowCounts;
}

const emptyCounts = (): ShadowCounts => ({ windows: 0, shadowAlarms: 0, baselineAlarms: 0, shadowErrorSum: 0 });

function thresholdOf(quality: Record<string, unknown>, side: 'candidate' | 'baseline'): number {
  const t = (quality[side] as { threshold?: unknown } | undefined)?.threshold;
  return typeof t === 'number' && Number.isFinite(t) ? t : Number.POSITIVE_INFINITY;
}

/** The weights a replica starts a version from: the version's own checkpoint (trained online since) or its registered params. */
async function stateOf(s: DetectorState, row: ModelVersionRow): Promise<{ state?: AutoencoderState; at: { work: number; steps: number } }> {
  const saved = await loadNeural(s.settings.store, row.id);
  if (saved) return saved;
  const params = (row.params ?? undefined) as AutoencoderState | undefined;
  return { state: params, at: { work: 0, steps: params?.steps ?? 0 } };
}

/**
 * Loads the active neural version at start (registering the detector's
 * current model, from its pre-registry checkpoint or freshly initialized,
 * when the registry has none).
 */
export async function loadActiveNeural(s: DetectorState, tf: TfModule): Promise<NeuralScorer> {
  s.tf = tf;
  const legacy = await loadNeural(s.settings.store, MODEL_VERSION);
  const active = await ensureActiveModel(s.settings.store.db, 'neural', () => legacy?.state ?? null, 'initial model of the detector');
  const { state, at } = await stateOf(s, active);
  s.modelVersion = active.id;
  s.neuralAt = at;
  return new NeuralScorer(tf, state);
}

/**
 * Versions the baseline parameters this replica runs with (`opts`): their
 * id is their hash, known even when the registry cannot be written (then
 * only logged), and the active `baselines` version becomes theirs.
 */
export async function registerBaselines(s: DetectorState, opts: BaselineOptions): Promise<void> {
  const params = baselineParameters(opts);
  const canonical = canonicalJson(params);
  s.baselinesVersion = baselinesIdOf(canonical);
  try {
    await ensureBaselinesVersion(s.settings.store.db, canonical, params);
  } catch (err) {
    s.log.warn({ err: describeError(err), version: s.baselinesVersion }, 'could not register the baseline parameters in the model registry');
  }
}

/** Scores the round's normal rows with the shadow version and the active one (see the module comment). */
export function scoreShadow(s: DetectorState, rows: Float32Array, n: number): void {
  const run = s.shadow;
  if (!run || !s.neural || n === 0) return;
  const mine = run.model.score(rows, n).errors;
  // score() reuses the model's scratch for clipping, never the caller's rows: the active model sees the same rows.
  const theirs = s.neural.model.score(rows, n).errors;
  const c = run.counts;
  c.windows += n;
  for (let i = 0; i < n; i++) {
    const e = mine[i] as number;
    c.shadowErrorSum += Number.isFinite(e) ? e : 0;
    if (!(e <= run.shadowThreshold)) c.shadowAlarms++;
    if (!((theirs[i] as number) <= run.baselineThreshold)) c.baselineAlarms++;
  }
}

/** Adds the shadow counts gathered so far to the shadow version's row. */
export async function flushShadow(s: DetectorState): Promise<void> {
  const run = s.shadow;
  if (!run || run.counts.windows === 0) return;
  const counts = run.counts;
  run.counts = emptyCounts();
  await addShadowCounts(s.settings.store.db, run.id, counts);
}

async function switchActive(s: DetectorState, tf: TfModule, row: ModelVersionRow): Promise<void> {
  const { state, at } = await stateOf(s, row);
  const old = s.neural;
  const next = new NeuralScorer(tf, state);
  s.neural = next;
  s.neuralAt = at;
  s.models.useNeural(next);
  const from = s.modelVersion;
  s.modelVersion = row.id;
  // A promoted shadow is the active version now: stop scoring it beside itself in the same step, so no reader sees both.
  if (s.shadow?.id === row.id) switchShadow(s, tf, undefined);
  old?.model.dispose();
  s.tel.count('zeroops.detector.model_switches');
  s.log.info({ from, to: row.id }, `now running neural model version ${row.id}`);
}

function switchShadow(s: DetectorState, tf: TfModule, row: ModelVersionRow | undefined): void {
  s.shadow?.model.dispose();
  s.shadow = undefined;
  const params = (row?.params ?? undefined) as AutoencoderState | undefined;
  if (!row || !params) return;
  s.shadow = {
    id: row.id,
    model: new Autoencoder(tf, params.config, params),
    shadowThreshold: thresholdOf(row.quality, 'candidate'),
    baselineThreshold: thresholdOf(row.quality, 'baseline'),
    counts: emptyCounts(),
  };
  s.log.info({ shadow: row.id, active: s.modelVersion }, `scoring shadow neural model version ${row.id} beside the active one`);
}

/**
 * One poll of the registry (run on the detector's queue, between window
 * rounds): flushes the shadow counts, switches to a newly active version,
 * and starts or stops scoring a shadow version.
 */
export async function refreshModels(s: DetectorState): Promise<void> {
  const tf = s.tf;
  if (!tf || !s.neural || s.stopped) return;
  await flushShadow(s).catch((err) => s.log.warn({ err: describeError(err) }, 'could not add the shadow counts to the registry'));
  const db = s.settings.store.db;
  const active = await modelInState(db, 'neural', 'active');
  if (active && active.id !== s.modelVersion) await switchActive(s, tf, active);
  const shadow = await modelInState(db, 'neural', 'shadow');
  if (shadow?.id !== s.shadow?.id) switchShadow(s, tf, shadow);
}
