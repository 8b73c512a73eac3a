/**
 * Warm start from a backtest: the fleet models' state learned from exported
 * history, written as the live detector's checkpoints (one row per bus
 * partition, the partition of each service being the one Kafka's default
 * partitioner gives its name, and the shared neural model's row), so that a
 * detector assigned those partitions restores the services past their
 * warm-up instead of learning them from nothing. Services already in a
 * partition's row that the backtest did not see are kept. Run it while no
 * detector owns those partitions (a running owner's next checkpoint would
 * overwrite the rows).
 */
import type { NeuralScorer, ServiceModelState } from '../../models/fleet/index.ts';
import { partitionForKey } from '../bus/index.ts';
import type { Store } from '../store/index.ts';
import { loadPartitions, savePartitions, syncNeural } from './checkpoints.ts';
import { MODEL_VERSION } from './detector-state.ts';

/** What {@link saveWarmStart} wrote. */
export interface WarmStartSummary {
  services: number;
  /** Partition rows written. */
  partitions: number[];
  /** Whether the shared neural model's row was written. */
  neural: boolean;
}

/** Writes `models` (a {@link ServiceModels} snapshot) and the neural model, if any, as checkpoints for a topic of `topicPartitions` partitions. */
export async function saveWarmStart(store: Store, models: ServiceModelState, topicPartitions: number, neural?: NeuralScorer): Promise<WarmStartSummary> {
  const parts = new Set<number>();
  for (const [name, st] of Object.entries(models)) {
    st.partition = partitionForKey(name, topicPartitions);
    parts.add(st.partition);
  }
  const existing = await loadPartitions(store, parts, MODEL_VERSION);
  const state = existing.state;
  for (const [name, st] of Object.entries(models)) {
    state.models[name] = st;
    // Open windows of a service from before are of another time line than the history: dropped.
    delete state.windows[name];
  }
  await savePartitions(store, state, parts, MODEL_VERSION, true);
  if (neural) await syncNeural(store, neural.model, MODEL_VERSION, { work: 0, steps: 0 });
  return { services: Object.keys(models).length, partitions: [...parts].sort((a, b) => a - b), neural: neural !== undefined };
}
