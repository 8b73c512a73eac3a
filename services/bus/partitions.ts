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

/** A group member as the partition planner sees it. */
export interface PlanMember {
  id: string;
  /** Topics the member subscribed to. */
  topics: readonly string[];
}

/**
 * Co-partitioned assignment: partition `p` of every topic goes to the same
 * member (the `p mod n`-th, members sorted by id, among those subscribed to
 * the topic). A service's traces, metrics and logs are keyed alike and so
 * land on the same partition number of each topic; this keeps them on one
 * member, so one detector sees all of a service's signals. Round-robin over
 * all topic-partitions would not: with 3 members and 4 partitions per topic,
 * partition 0 of the second topic goes to a different member than partition
 * 0 of the first.
 *
 * @param partitionCounts partitions per topic.
 * @returns topic-partitions per member id (every member present, possibly empty).
 */
export function planCoPartitioned(members: readonly PlanMember[], partitionCounts: ReadonlyMap<string, number>): Map<string, TopicPartition[]> {
  const plan = new Map<string, TopicPartition[]>(members.map((m) => [m.id, []]));
  const sorted = [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const topic of [...partitionCounts.keys()].sort()) {
    const eligible = sorted.filter((m) => m.topics.includes(topic));
    if (eligible.length === 0) continue;
    const n = partitionCounts.get(topic) ?? 0;
    for (let p = 0; p < n; p++) plan.get((eligible[p % eligible.length] as PlanMember).id)?.push({ topic, partition: p });
  }
  return plan;
}
