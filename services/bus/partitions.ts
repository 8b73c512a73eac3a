/**
 * Topic-partition helpers shared by both bus implementations.
 */
import type { TopicPartition } from './bus.ts';

/** Key of a topic-partition in maps and sets. */
export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Partitions in `a` and not in `b`, in the order of `a`. */
export function partitionsMinus(a: readonly TopicPartition[], b: readonly TopicPartition[]): TopicPartition[] {
  const inB = new Set(b.map((tp) => tpKey(tp.topic, tp.partition)));
  return a.filter((tp) => !inB.has(tpKey(tp.topic, tp.partition)));
}
