/**
 * Partition hand-over and checkpoints: the state of the services of a set of
 * partitions (models, open windows, offsets, kept attributes) is saved when
 * partitions are revoked, periodically and at shutdown, and restored when
 * they are assigned, after waiting a while for the previous owner's
 * hand-over. The shared neural model is synchronised with the checkpoints.
 */
import type { TopicPartition } from '../bus/bus.ts';
import { describeError } from '../core/errors.ts';
import { type LoadedCheckpoint, loadPartitions, type PartitionCheckpoint, savePartitions, syncNeural } from './checkpoints.ts';
import { type DetectorState, MODEL_VERSION } from './detector-state.ts';

/** The checkpoint of the services of `partitions` (all owned ones when absent). */
function snapshot(s: DetectorState, partitions?: ReadonlySet<number>): PartitionCheckpoint {
  const attributes: Record<string, Record<string, string>> = {};
  const state: PartitionCheckpoint = { models: s.models.snapshot(partitions), windows: {}, offsets: {}, attributes };
  for (const [k, o] of s.offsets) state.offsets[k] = o.toString();
  for (const name of Object.keys(state.models)) {
    const w = s.windows.snapshot(name);
    if (w) state.windows[name] = w;
    const a = s.tracker.attributesOf(name);
    if (Object.keys(a).length > 0) attributes[name] = a;
  }
  return state;
}

/** Takes over newly assigned partitions: restores their checkpoint and claims them. */
export async function onAssigned(s: DetectorState, parts: TopicPartition[]): Promise<void> {
  const fresh = new Set(parts.map((p) => p.partition).filter((p) => !s.owned.has(p)));
  for (const p of fresh) s.owned.add(p);
  const cp = await awaitHandover(s, fresh);
  s.models.restore(cp.state.models);
  for (const name of Object.keys(cp.state.models)) s.tracker.restore(name, cp.state.attributes?.[name]);
  for (const [name, w] of Object.entries(cp.state.windows)) s.windows.restore(name, w);
  for (const [k, o] of Object.entries(cp.state.offsets)) s.offsets.set(k, BigInt(o));
  // Claim the partitions: a later owner then waits for this instance's hand-over instead of taking an empty state.
  await savePartitions(s.settings.store, snapshot(s, fresh), fresh, MODEL_VERSION, false);
  s.tel.count('zeroops.detector.restored_services', {}, Object.keys(cp.state.models).length);
  if (!cp.released)
    s.log.warn({ partitions: [...fresh] }, 'restored partitions without a hand-over checkpoint (previous owner gone?): recent windows may be incomplete');
}

/** Loads the partitions' checkpoint, polling until their previous owner released them, the wait is over or the detector stops. */
async function awaitHandover(s: DetectorState, partitions: ReadonlySet<number>): Promise<LoadedCheckpoint> {
  const deadline = Date.now() + (s.settings.handoverWaitMs ?? 5_000);
  for (;;) {
    const cp = await loadPartitions(s.settings.store, partitions, MODEL_VERSION);
    if (cp.released || Date.now() >= deadline || s.stopped) return cp;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Hands revoked partitions over: saves their checkpoint as released and forgets their services. */
export async function onRevoked(s: DetectorState, parts: TopicPartition[]): Promise<void> {
  await s.queue;
  const gone = new Set(parts.map((p) => p.partition).filter((p) => s.owned.has(p)));
  if (gone.size === 0) return;
  await savePartitions(s.settings.store, snapshot(s, gone), gone, MODEL_VERSION, true);
  for (const name of s.models.drop(gone)) {
    s.windows.drop(name);
    s.tracker.forget(name);
    s.graph.forget(name);
  }
  for (const p of gone) s.owned.delete(p);
  for (const k of [...s.offsets.keys()]) if (gone.has(Number(k.slice(k.lastIndexOf('|') + 1)))) s.offsets.delete(k);
}

/** Checkpoints every owned partition (`released`: handed over, at shutdown), publishes the counters and syncs the neural model. */
export async function checkpoint(s: DetectorState, released = false): Promise<void> {
  await savePartitions(s.settings.store, snapshot(s), new Set(s.owned), MODEL_VERSION, released);
  // The counters are for people reading the API: failing to write them must not hold up the neural sync.
  await s.tracking.publish().catch((err) => s.log.warn({ err: describeError(err) }, 'could not publish the detector instance counters'));
  if (!s.neural) return;
  // The shared model's row is keyed by the active version's registry id: a replica still on an older version never blends it in.
  const sync = await syncNeural(s.settings.store, s.neural.model, s.modelVersion, s.neuralAt);
  s.neuralAt = sync.at;
  if (sync.share > 0) s.tel.count('zeroops.detector.neural_merges');
}
