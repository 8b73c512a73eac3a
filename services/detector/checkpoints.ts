/**
 * Detector checkpoints in the store: one row per bus partition
 * (`detector:<partition>`) holding the model state and the open windows of
 * the services on that partition, and one row (`detector:neural`) holding the
 * shared neural model. Rows written by another model version are ignored
 * (the services relearn). Replicas that each train the neural model on their
 * own services merge their copies through its row (see {@link syncNeural}).
 */
import { eq, inArray } from 'drizzle-orm';
import type { Autoencoder, AutoencoderState } from '../../models/multivariate/autoencoder.ts';
import { detectorCheckpoints, type Store } from '../store/index.ts';
import type { ServiceModelState } from './service-models.ts';
import type { ServiceWindowState } from './service-windows.ts';

/** What one partition's checkpoint holds. */
export interface PartitionCheckpoint {
  models: ServiceModelState;
  /** Open windows, watermarks and cumulative metric series, by service. */
  windows: Record<string, ServiceWindowState>;
  /** Last ingested offset by `<topic>|<partition>`: redelivered records up to it are already in the state. */
  offsets: Record<string, string>;
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
  const out: PartitionCheckpoint = { models: {}, windows: {}, offsets: {} };
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
  for (const p of partitions) byPartition.set(p, { models: {}, windows: {}, offsets: {}, released });
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
  }
  const now = new Date();
  for (const [p, st] of byPartition) {
    await store.db
      .insert(detectorCheckpoints)
      .values({ partitionKey: checkpointKey(p), state: st, modelVersion, updatedAt: now })
      .onConflictDoUpdate({ target: detectorCheckpoints.partitionKey, set: { state: st, modelVersion, updatedAt: now } });
  }
}

/** The shared neural model as saved, and which save it was. */
export interface SavedNeural {
  state: AutoencoderState;
  /** Counts the saves of the model's row: a replica that finds another number than its own last one knows that another replica saved since. */
  revision: number;
}

/** The row's JSON: the model's state and the revision of the save. */
type NeuralRow = AutoencoderState & { revision?: number };

/** Loads the shared neural model, if one was saved by `modelVersion`. */
export async function loadNeural(store: Store, modelVersion: string): Promise<SavedNeural | undefined> {
  const rows = await store.db.select().from(detectorCheckpoints).where(eq(detectorCheckpoints.partitionKey, NEURAL_KEY));
  const row = rows[0];
  if (!row || row.modelVersion !== modelVersion) return undefined;
  const { revision, ...state } = row.state as NeuralRow;
  return { state, revision: revision ?? 0 };
}

/** What {@link syncNeural} did. */
export interface NeuralSync {
  /** Revision of the save just made: the caller's `known` for the next sync. */
  revision: number;
  /** Whether the model was merged with another replica's save first. */
  merged: boolean;
}

/**
 * Saves the shared neural model. When another replica saved it since this
 * one last loaded or saved it (revision `known`), the live `model` first
 * moves half-way to that save (federated averaging), so each replica's
 * training reaches the others instead of the last save overwriting the
 * rest. Read and write are one transaction, the row locked in between.
 */
export async function syncNeural(store: Store, model: Autoencoder, modelVersion: string, known: number): Promise<NeuralSync> {
  return store.db.transaction(async (tx) => {
    const rows = await tx.select().from(detectorCheckpoints).where(eq(detectorCheckpoints.partitionKey, NEURAL_KEY)).for('update');
    const row = rows[0];
    const saved = row?.modelVersion === modelVersion ? (row.state as NeuralRow) : undefined;
    const last = saved?.revision ?? 0;
    const merged = saved !== undefined && last !== known && model.blend(saved, 0.5);
    const state: NeuralRow = { ...model.toJSON(), revision: last + 1 };
    const now = new Date();
    await tx
      .insert(detectorCheckpoints)
      .values({ partitionKey: NEURAL_KEY, state, modelVersion, updatedAt: now })
      .onConflictDoUpdate({ target: detectorCheckpoints.partitionKey, set: { state, modelVersion, updatedAt: now } });
    return { revision: last + 1, merged };
  });
}
