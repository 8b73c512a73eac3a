/**
 * Detector checkpoints in the store: one row per bus partition
 * (`detector:<partition>`) holding the model state and the open windows of
 * the services on that partition, and one row (`detector:neural`) holding the
 * shared neural model. Rows written by another model version are ignored
 * (the services relearn). Replicas that each train the neural model on their
 * own services merge their copies through its row (see {@link syncNeural}).
 */
import { eq, inArray, sql } from 'drizzle-orm';
import type { Autoencoder, AutoencoderState, ServiceModelState } from '../../models/fleet/index.ts';
import { detectorCheckpoints, type Store } from '../store/index.ts';
import type { ServiceWindowState } from './service-windows.ts';

/** What one partition's checkpoint holds. */
export interface PartitionCheckpoint {
  models: ServiceModelState;
  /** Open windows, watermarks and cumulative metric series, by service. */
  windows: Record<string, ServiceWindowState>;
  /** Last ingested offset by `<topic>|<partition>`: redelivered records up to it are already in the state. */
  offsets: Record<string, string>;
  /** Kept resource attributes, by service (services without any are left out; absent in older checkpoints). */
  attributes?: Record<string, Record<string, string>>;
}

/** Result of {@link loadPartitions}. */
export interface LoadedCheckpoint {
  state: PartitionCheckpoint;
  /** Whether every partition asked for either has no row or a row its previous owner wrote when giving it up. */
  released: boolean;
}

/** Key of a topic-partition in {@link PartitionCheckpoint.offsets}. */
export function offsetKey(topic: string, partition: number): string {
  return `${topic}|${partition}`;
}

function partitionOfKey(key: string): number {
  return Number(key.slice(key.lastIndexOf('|') + 1));
}

/** Checkpoint key of a partition. */
export function checkpointKey(partition: number): string {
  return `detector:${partition}`;
}

const NEURAL_KEY = 'detector:neural';

/** Loads the checkpoints of `partitions` written by `modelVersion`, merged. */
export async function loadPartitions(store: Store, partitions: ReadonlySet<number>, modelVersion: string): Promise<LoadedCheckpoint> {
  const out: PartitionCheckpoint = { models: {}, windows: {}, offsets: {}, attributes: {} };
  let released = true;
  if (partitions.size === 0) return { state: out, released };
  const rows = await store.db
    .select()
    .from(detectorCheckpoints)
    .where(inArray(detectorCheckpoints.partitionKey, [...partitions].map(checkpointKey)));
  for (const row of rows) {
    if (row.modelVersion !== modelVersion) continue;
    const st = row.state as Partial<PartitionCheckpoint> & { released?: boolean };
    if (st.released !== true) released = false;
    Object.assign(out.models, st.models ?? {});
    Object.assign(out.windows, st.windows ?? {});
    Object.assign(out.offsets, st.offsets ?? {});
    Object.assign(out.attributes as object, st.attributes ?? {});
  }
  return { state: out, released };
}

/**
 * Writes one checkpoint row per partition in `partitions` (a partition
 * without services gets an empty row). `released` marks the rows written by
 * an owner giving the partitions up, which a new owner waits for.
 */
export async function savePartitions(
  store: Store,
  state: PartitionCheckpoint,
  partitions: ReadonlySet<number>,
  modelVersion: string,
  released: boolean,
): Promise<void> {
  const byPartition = new Map<number, PartitionCheckpoint & { released: boolean }>();
  for (const p of partitions) byPartition.set(p, { models: {}, windows: {}, offsets: {}, attributes: {}, released });
  for (const [key, offset] of Object.entries(state.offsets)) {
    const bucket = byPartition.get(partitionOfKey(key));
    if (bucket) bucket.offsets[key] = offset;
  }
  for (const [name, st] of Object.entries(state.models)) {
    const bucket = byPartition.get(st.partition);
    if (!bucket) continue;
    bucket.models[name] = st;
    const w = state.windows[name];
    if (w) bucket.windows[name] = w;
    const a = state.attributes?.[name];
    if (a && bucket.attributes) bucket.attributes[name] = a;
  }
  const now = new Date();
  for (const [p, st] of byPartition) {
    await store.db
      .insert(detectorCheckpoints)
      .values({ partitionKey: checkpointKey(p), state: st, modelVersion, updatedAt: now })
      // excluded.state: the (large) state travels once, not once for the insert and again for the update.
      .onConflictDoUpdate({ target: detectorCheckpoints.partitionKey, set: { state: sql`excluded.state`, modelVersion, updatedAt: now } });
  }
}

/** Where a replica's copy of the shared neural model stood when it last loaded or saved it. */
export interface NeuralSyncPoint {
  /** The row's training work then (see {@link syncNeural}): what the copy already holds of every replica's training. */
  work: number;
  /** The copy's own training steps then: the steps since are what this replica has to add. */
  steps: number;
}

/** The shared neural model as saved, and where a replica that loads it stands. */
export interface SavedNeural {
  state: AutoencoderState;
  at: NeuralSyncPoint;
}

/** The row's JSON: the model's state and the training work it holds. */
type NeuralRow = AutoencoderState & { work?: number };

/** Loads the shared neural model, if one was saved by `modelVersion`. */
export async function loadNeural(store: Store, modelVersion: string): Promise<SavedNeural | undefined> {
  const rows = await store.db.select().from(detectorCheckpoints).where(eq(detectorCheckpoints.partitionKey, NEURAL_KEY));
  const row = rows[0];
  if (!row || row.modelVersion !== modelVersion) return undefined;
  const { work, ...state } = row.state as NeuralRow;
  return { state, at: { work: work ?? 0, steps: state.steps } };
}

/** What {@link syncNeural} did. */
export interface NeuralSync {
  /** Where the copy stands after the save: the caller's `since` for the next sync. */
  at: NeuralSyncPoint;
  /** How far the copy moved toward the saved model before it was saved (0: not merged). */
  share: number;
}

/**
 * Saves the shared neural model, merging the replicas' copies (federated
 * averaging). The row counts the training work it holds: the sum of the
 * training steps every save added. When it holds work this replica has not
 * seen (more than at `since`), the live `model` first moves toward the saved
 * one in proportion to that work against its own steps since `since`; then
 * the row holds both. So each replica's training reaches the others instead
 * of the last save overwriting the rest, a replica that has not trained
 * since takes the saved model as it is, and one alone never blends with its
 * own older save. Read and write are one transaction, the row locked in
 * between.
 */
export async function syncNeural(store: Store, model: Autoencoder, modelVersion: string, since: NeuralSyncPoint): Promise<NeuralSync> {
  return store.db.transaction(async (tx) => {
    const rows = await tx.select().from(detectorCheckpoints).where(eq(detectorCheckpoints.partitionKey, NEURAL_KEY)).for('update');
    const row = rows[0];
    const saved = row?.modelVersion === modelVersion ? (row.state as NeuralRow) : undefined;
    const work = saved?.work ?? 0;
    const theirs = Math.max(0, work - since.work);
    const mine = Math.max(0, model.trainingSteps - since.steps);
    const weight = theirs === 0 ? 0 : theirs / (theirs + mine);
    const share = saved !== undefined && weight > 0 && model.blend(saved, weight) ? weight : 0;
    const state: NeuralRow = { ...model.toJSON(), work: work + mine };
    const now = new Date();
    await tx
      .insert(detectorCheckpoints)
      .values({ partitionKey: NEURAL_KEY, state, modelVersion, updatedAt: now })
      .onConflictDoUpdate({ target: detectorCheckpoints.partitionKey, set: { state, modelVersion, updatedAt: now } });
    return { at: { work: work + mine, steps: model.trainingSteps }, share };
  });
}
