import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Bus, ConsumedRecord, Subscription } from '../bus/bus.ts';
import { type AnomalyEvent, decodeAnomaly } from '../bus/messages.ts';
import type { TopicId } from '../bus/topics.ts';
import type { Component } from '../core/component.ts';
import type { Config } from '../core/config.ts';
import { withDeadline } from '../core/deadline.ts';
import { describeError, PermanentError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Telemetry } from '../core/telemetry.ts';
import type { Store } from '../store/index.ts';
import { expireApprovals } from './approvals.ts';
import { decide } from './decide.ts';
import { decisionRecord, findRunnable, readDeviations, readIncident, releaseLease } from './execution-repo.ts';
import { forEachKeyInOrder } from './keyed-concurrency.ts';
import type { PlaybookCatalog } from './matching.ts';
import { createOutcomeOutbox } from './outcome-outbox.ts';
import { createCatalogCache } from './playbook-catalog.ts';
import { createPolicyChooser } from './policy-choice.ts';
import { createRunRegistry } from './run-registry.ts';
import { AddressGuard, createStepActivities } from './steps/index.ts';
import { createRedactor } from './template.ts';

/** Tuning of the executor; every field has a default. */
export interface ExecutorOptions {
  /** Lease of a running execution, in ms (default 15 000): a dead worker's executions are resumed this long after it stopped renewing. */
  leaseMs: number;
  /** How often unfinished executions with a free lease are looked for, in ms (default 1 000); also right after a slot frees up while some wait. */
  pollMs: number;
  /** Most executions this process runs at once (default 100). */
  maxRunning: number;
  /** Lease owner id (default `<hostname>:<pid>:<random>`). */
  workerId: string;
  /** Anomalies of different services decided at once within a batch (default half the database pool, at least 2). */
  decisionConcurrency: number;
  /** How often unpublished outcomes are swept to the bus, in ms (default 5 000). */
  outboxSweepMs: number;
  /** Age, in ms, after which an unpublished outcome is the sweep's (default 10 000). */
  outboxGraceMs: number;
}

/** Runtime dependencies of the executor (the lead's wiring passes exactly these; `options` is optional tuning). */
export interface ExecutorSettings {
  bus: Bus;
  store: Store;
  logger: Logger;
  telemetry: Telemetry;
  topics: Record<TopicId, string>;
  options?: Partial<ExecutorOptions>;
}

/** Resolves the options, filling defaults. */
export function executorOptions(config: Config, over: Partial<ExecutorOptions> = {}): ExecutorOptions {
  return {
    leaseMs: 15_000,
    pollMs: 1_000,
    maxRunning: 100,
    workerId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    decisionConcurrency: Math.max(2, Math.floor(config.databasePool / 2)),
    outboxSweepMs: 5_000,
    outboxGraceMs: 10_000,
    ...over,
  };
}

/**
 * The executor service: consumes `anomalies` (group `<prefix>zeroops-executor`),
 * picks a playbook, applies the guardrails, and runs durable executions whose
 * outcomes go to the `outcomes` topic (through an outbox) and the executions table.
 */
export function createExecutor(settings: ExecutorSettings, config: Config): Component {
  const opts = executorOptions(config, settings.options);
  const { bus, telemetry, topics } = settings;
  const db = settings.store.db;
  const logger = settings.logger.child({ component: 'executor', worker: opts.workerId });
  const catalog = createCatalogCache(db);
  const policy = createPolicyChooser(db);
  const guard = new AddressGuard(config.httpAllowlist);
  const activities = createStepActivities({
    config,
    guard,
    readIncident: (ep) => readIncident(db, ep),
    readDeviations: (ep, cut) => readDeviations(db, ep, cut),
  });
  const outbox = createOutcomeOutbox({ db, bus, topic: topics.outcomes, logger, telemetry, graceMs: opts.outboxGraceMs });
  const engine = {
    db,
    activities,
    redact: createRedactor(config.secrets),
    logger,
    secrets: config.secrets,
    owner: opts.workerId,
    leaseMs: opts.leaseMs,
    publishOutcome: outbox.publish,
  };
  const runs = createRunRegistry({ engine, logger, telemetry, maxRunning: opts.maxRunning, onSlotFreed: () => backlog && schedulePoll(0) });
  const publishing = new Set<Promise<void>>();
  let sub: Subscription | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  /** Some execution was decided while every slot was taken: poll as soon as one frees up. */
  let backlog = false;

  function track(p: Promise<void>): void {
    publishing.add(p);
    void p.finally(() => publishing.delete(p));
  }

  async function handle(a: AnomalyEvent, cat: PlaybookCatalog): Promise<void> {
    if (a.episodeState === 'closed') return telemetry.count('zeroops.executor.anomalies', { result: 'episode_closed' });
    const pb = await policy.choose(a, cat);
    if (!pb) return telemetry.count('zeroops.executor.anomalies', { result: 'no_match' });
    const slot = runs.reserve();
    try {
      const d = await decide(db, a, pb.ref, 'executor', slot && !stopping ? { owner: opts.workerId, leaseMs: opts.leaseMs } : undefined);
      telemetry.count('zeroops.executor.anomalies', { result: d.kind === 'exists' ? 'duplicate' : d.execution.status });
      if (d.kind === 'exists') return;
      if (d.fresh) await policy.record(d.execution.id, pb);
      if (d.outcome) track(outbox.publish(d.execution, a.kind));
      if (d.execution.status === 'pending') backlog = true;
      if (d.execution.status !== 'running' || d.execution.leaseOwner !== opts.workerId) return;
      const preloaded = d.fresh ? { spec: pb.ref.spec, anomaly: JSON.parse(JSON.stringify(a)) as Record<string, unknown>, steps: [] } : undefined;
      if (stopping) await releaseLease(db, d.execution.id, opts.workerId);
      else runs.start(d.execution, preloaded);
    } finally {
      if (slot) runs.unreserve();
    }
  }

  async function eachBatch(records: ConsumedRecord[]): Promise<void> {
    const events: AnomalyEvent[] = [];
    for (const r of records) {
      try {
        events.push(decodeAnomaly(r.value));
      } catch (err) {
        telemetry.count('zeroops.executor.invalid_messages');
        logger.warn({ err: describeError(err), offset: r.offset, partition: r.partition }, 'dropping undecodable anomaly');
      }
    }
    if (events.length === 0) return;
    const cat = await catalog.current();
    await forEachKeyInOrder(
      events,
      (a) => a.service,
      opts.decisionConcurrency,
      async (a) => {
        try {
          await handle(a, cat);
        } catch (err) {
          if (!(err instanceof PermanentError)) throw err;
          telemetry.count('zeroops.executor.rejected', { code: err.code });
          logger.warn({ err: describeError(err), anomaly: a.id }, 'anomaly not actionable');
        }
      },
    );
  }

  function schedulePoll(ms: number): void {
    if (stopping) return;
    clearTimeout(pollTimer);
    pollTimer = setTimeout(() => void poll(), ms);
  }

  async function poll(): Promise<void> {
    try {
      const free = runs.free();
      backlog = false;
      if (free > 0) {
        const ids = await findRunnable(db, free);
        // A full page means more may wait: look again as soon as a slot frees up.
        if (ids.length === free) backlog = true;
        for (const id of ids) await runs.claim(id, () => stopping);
      }
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'looking for unfinished executions failed; will retry');
    } finally {
      schedulePoll(opts.pollMs);
    }
  }

  async function sweep(): Promise<void> {
    try {
      for (const row of await expireApprovals(db, config.approvalTtlSeconds)) {
        telemetry.count('zeroops.executor.approvals_expired');
        const kind = (await decisionRecord(db, row.id))?.anomaly as { kind?: unknown } | undefined;
        track(outbox.publish(row, String(kind?.kind ?? '')));
      }
      await outbox.sweep();
    } catch (err) {
      telemetry.count('zeroops.executor.outcome_sweep_failures');
      logger.warn({ err: describeError(err) }, 'republishing outcomes failed; will retry');
    } finally {
      if (!stopping) sweepTimer = setTimeout(() => void sweep(), opts.outboxSweepMs);
    }
  }

  return {
    name: 'executor',
    async start() {
      stopping = false;
      await bus.ensureTopics([
        { name: topics.anomalies, partitions: config.topicPartitions },
        { name: topics.outcomes, partitions: config.topicPartitions },
      ]);
      sub = await bus.subscribe({ groupId: `${config.topicPrefix}zeroops-executor`, topics: [topics.anomalies], eachBatch });
      void poll();
      void sweep();
      const httpAllowlist = guard.describe();
      logger.info(
        { leaseMs: opts.leaseMs, decisionConcurrency: opts.decisionConcurrency, httpAllowlist },
        httpAllowlist.length === 0
          ? 'executor started; http/notify steps may call public addresses only (ZEROOPS_HTTP_ALLOWLIST is empty)'
          : `executor started; http/notify steps may call public addresses and ZEROOPS_HTTP_ALLOWLIST: ${httpAllowlist.join(', ')}`,
      );
    },
    ready() {
      if (stopping) return 'stopped';
      return sub?.joined() ? 'ok' : 'not joined to its consumer group';
    },
    async stop(deadlineMs = config.shutdownTimeoutMs) {
      stopping = true;
      clearTimeout(pollTimer);
      clearTimeout(sweepTimer);
      await sub?.stop();
      sub = undefined;
      const all = Promise.all([runs.abortAll(new Error('executor stopping')), ...publishing]);
      const late = new Error(`executions still running after ${deadlineMs} ms`);
      await withDeadline(deadlineMs, () => all, { onTimeout: () => late }).catch((err: unknown) => {
        if (err !== late) throw err;
        logger.warn({ err: describeError(err) }, 'executor stop: not everything drained in time');
      });
    },
  };
}
