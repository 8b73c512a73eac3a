/**
 * Consumer groups of the in-process bus: committed offsets per partition,
 * members sharing the partitions round-robin, and rebalances when members
 * join, leave or time out. Rebalances are eager and serialized per group:
 * every in-flight batch finishes (and commits) first, lost partitions are
 * revoked, then new ones are assigned.
 */
import type { Logger } from 'pino';
import { describeError } from '../core/errors.ts';
import type { TopicPartition } from './bus.ts';
import { type MemoryTopic, Wakeup } from './memory-log.ts';
import type { MemoryMember } from './memory-member.ts';
import { partitionsMinus, planCoPartitioned, tpKey } from './partitions.ts';

/** What a group needs from the bus that owns it. */
export interface GroupEnv {
  /** The topic named `name`, created with the default partition count if missing. */
  topic(name: string): MemoryTopic;
  logger: Logger;
  /** First back-off after a failed batch, in ms; doubles per consecutive failure. */
  retryBackoffMs: number;
  /** Largest back-off after failed batches, in ms. */
  maxRetryBackoffMs: number;
  /** Told after every commit (applies retention). */
  onCommit(topic: string, partition: number): void;
}

/** One consumer group of the in-process bus. */
export class MemoryGroup {
  /** Next offset to consume per `tpKey`, as committed by the members. */
  readonly committed = new Map<string, number>();
  /** Topics any member of this group has ever subscribed to (for retention). */
  readonly topics = new Set<string>();
  /** True while partitions are being moved; members start no batch meanwhile. */
  rebalancing = false;
  private readonly members: MemoryMember[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly batchEnded = new Wakeup();

  constructor(
    readonly id: string,
    private readonly env: GroupEnv,
  ) {}

  /** Members in the group now. */
  get size(): number {
    return this.members.length;
  }

  /** Adds `m` and resolves once the rebalance that gives it partitions is done. */
  async join(m: MemoryMember): Promise<void> {
    await this.enqueue(async () => {
      for (const t of m.topics) this.topics.add(t);
      this.members.push(m);
      await this.runRebalance();
    });
  }

  /** Removes `m` (revoking its partitions first) and rebalances the rest. */
  async leave(m: MemoryMember): Promise<void> {
    await this.enqueue(async () => {
      const i = this.members.indexOf(m);
      if (i >= 0) this.members.splice(i, 1);
      await m.revoke(m.assigned);
      m.assigned = [];
      await this.runRebalance();
    });
  }

  /** Removes a member that stopped heartbeating; its uncommitted batch will not commit. */
  evict(m: MemoryMember): void {
    const i = this.members.indexOf(m);
    if (i < 0) return;
    this.members.splice(i, 1);
    this.env.logger.warn({ group: this.id, member: m.seq }, 'memory bus: member missed its session timeout; moving its partitions');
    m.fence();
    this.batchEnded.notify();
    void this.rebalance();
  }

  /** Members call this whenever a batch ends so that a waiting rebalance can go on. */
  notifyBatchEnded(): void {
    this.batchEnded.notify();
  }

  /** Next offset to consume on `tp`: the committed one, or the earliest retained. */
  position(topic: MemoryTopic, partition: number): number {
    const log = topic.logs[partition]!;
    return Math.max(this.committed.get(tpKey(topic.name, partition)) ?? log.start, log.start);
  }

  /** Queues a rebalance after any running one; resolves when it is done. */
  rebalance(): Promise<void> {
    return this.enqueue(() => this.runRebalance());
  }

  /** Runs `step` after every queued membership change; failures are logged, not thrown. */
  private enqueue(step: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(step).catch((err: unknown) => {
      this.env.logger.error({ group: this.id, err: describeError(err) }, 'memory bus: rebalance failed');
    });
    return this.chain;
  }

  private async runRebalance(): Promise<void> {
    this.rebalancing = true;
    try {
      while (this.members.some((m) => m.busy)) await this.batchEnded.wait(100);
      const members = [...this.members];
      const plan = this.plan(members);
      for (const m of members) {
        const lost = partitionsMinus(m.assigned, plan.get(m) ?? []);
        if (lost.length > 0) await m.revoke(lost);
      }
      for (const m of members) {
        const next = plan.get(m) ?? [];
        const gained = partitionsMinus(next, m.assigned);
        m.assigned = next;
        if (gained.length > 0) await m.assign(gained);
      }
    } finally {
      this.rebalancing = false;
      for (const m of this.members) m.wake();
    }
  }

  /** Partition p of every subscribed topic to one member (see {@link planCoPartitioned}). */
  private plan(members: readonly MemoryMember[]): Map<MemoryMember, TopicPartition[]> {
    const counts = new Map<string, number>();
    for (const name of new Set(members.flatMap((m) => m.topics))) counts.set(name, this.env.topic(name).logs.length);
    const byId = new Map(members.map((m) => [memberId(m), m]));
    const plan = planCoPartitioned(
      members.map((m) => ({ id: memberId(m), topics: m.topics })),
      counts,
    );
    return new Map([...plan.entries()].map(([id, tps]) => [byId.get(id) as MemoryMember, tps]));
  }
}

/** Plan id of a member: its join number, zero-padded so ids sort in join order. */
function memberId(m: MemoryMember): string {
  return String(m.seq).padStart(12, '0');
}
