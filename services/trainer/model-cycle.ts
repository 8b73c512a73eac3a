/**
 * One round of the model registry's loop, run by the trainer on a timer:
 * the shadow neural version, once it was scored on enough live windows, is
 * promoted or retired by the gate (models/registry); without a shadow
 * version a new candidate is trained and registered as shadow.
 */
import type { TfModule } from '../../models/fleet/index.ts';
import { gateDecision, type LabelledFigures } from '../../models/registry/index.ts';
import { modelInState, promoteModel, retireShadow } from '../detector/index.ts';
import type { Store } from '../store/index.ts';
import { type CandidateOptions, trainCandidate } from './model-training.ts';

/** What a round did. */
export interface ModelCycleResult {
  action: 'promoted' | 'retired' | 'waiting' | 'registered' | 'skipped';
  versionId?: string;
  reason: string;
}

/** Settings of {@link modelCycle}. */
export interface ModelCycleOptions extends CandidateOptions {
  /** Paired live windows before the gate decides. */
  minLiveWindows: number;
  tolerance?: number;
}

const ACTOR = 'trainer';

/** Judges the shadow version or trains a new one; see the module comment. */
export async function modelCycle(store: Store, tf: TfModule, o: ModelCycleOptions): Promise<ModelCycleResult> {
  const db = store.db;
  const shadow = await modelInState(db, 'neural', 'shadow');
  if (!shadow) {
    const r = await trainCandidate(store, tf, o);
    return r.registered ? { action: 'registered', versionId: r.version.id, reason: r.version.reason } : { action: 'skipped', reason: r.reason };
  }
  const active = await modelInState(db, 'neural', 'active');
  if (active && shadow.parentId !== active.id) {
    const why = `the active version changed to ${active.id} while it ran in shadow against ${shadow.parentId ?? 'none'}`;
    await retireShadow(db, shadow.id, ACTOR, why);
    return { action: 'retired', versionId: shadow.id, reason: why };
  }
  const q = shadow.quality as { candidate?: LabelledFigures; baseline?: LabelledFigures };
  if (!q.candidate || !q.baseline) {
    const why = 'registered without the quality figures the gate compares';
    await retireShadow(db, shadow.id, ACTOR, why);
    return { action: 'retired', versionId: shadow.id, reason: why };
  }
  const d = gateDecision(
    {
      candidate: q.candidate,
      baseline: q.baseline,
      faultWindows: q.candidate.faultWindows,
      live: { windows: shadow.shadowWindows, candidateAlarms: shadow.shadowAlarms, baselineAlarms: shadow.baselineAlarms },
    },
    { minLiveWindows: o.minLiveWindows, tolerance: o.tolerance ?? 0.02 },
  );
  if (d.action === 'wait') return { action: 'waiting', versionId: shadow.id, reason: d.reason };
  if (d.action === 'retire') {
    await retireShadow(db, shadow.id, ACTOR, d.reason);
    return { action: 'retired', versionId: shadow.id, reason: d.reason };
  }
  await promoteModel(db, shadow.id, ACTOR, `shadow gate: ${d.reason}`);
  return { action: 'promoted', versionId: shadow.id, reason: d.reason };
}
