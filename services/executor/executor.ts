import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Bus, ConsumedRecord, Subscription } from '../bus/bus.ts';
import { type AnomalyEvent, decodeAnomaly, encodeOutcome, type OutcomeEvent } from '../bus/messages.ts';
import type { TopicId } from '../bus/topics.ts';
import type { Component } from '../core/component.ts';
import type { Config } from '../core/config.ts';
import { describeError, PermanentError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { DEFAULT_RETRY, withRetry } from '../core/retry.ts';
import type { Telemetry } from '../core/telemetry.ts';
import type { Store } from '../store/index.ts';
import { decide } from './decide.ts';
import { runExecution } from './execution-engine.ts';
import { claimExecution, findRunnable, readIncident } from './execution-repo.ts';
import { createCatalogCache } from './playbook-catalog.ts';
import { AddressGuard, createStepActivities } from './steps/index.ts';
import { createRedactor } from './template.ts';

/** Tuning of the executor; every field has a default. */
export interface ExecutorOptions {
  /** Lease of a running execution, in ms (default 15 000): a dead worker's executions are resumed this long after it stopped renewing. */
  leaseMs: number;
  /** How often unfinished executions with a free lease are looked for, in ms (default 1 000). */
  pollMs: number;
  /** Most executions this process runs at once (default 100). */
  maxRunning: number;
  /** Lease owner id (default `<hostname>:<pid>:<random>`). */
  workerId: string;
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

interface Running {
  ctl: AbortController;
  done: Promise<void>;
}

/**
 * The executor service: consumes `anomalies` (group `<prefix>zeroops-executor`),
 * picks a playbook, applies the guardrails, and runs durable executions whose
 * outcomes go to the `outcomes` topic and the executions table.
 */
export function createExecutor(settings: ExecutorSettings, config: Config): Component {
  const opts: ExecutorOptions = { leaseMs: 15_000, pollMs: 1_000, maxRunning: 100, workerId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, ...settings.options };
  const { bus, telemetry, topics } = settings;
  const db = settings.store.db;
  const logger = settings.logger.child({ component: 'executor', worker: opts.workerId });
  const catalog = createCatalogCache(db);
  const redact = createRedactor(config.secrets);
  const activities = createStepActivities({ config, guard: new AddressGuard(config.httpAllowlist), readIncident: (ep) => readIncident(db, ep) });
  const running = new Map<string, Running>();
  // Decisions take a global advisory lock; queueing them here keeps one pooled connection (not one per partition) waiting on it.
  let decisionQueue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = decisionQueue.then(fn, fn);
    decisionQueue = next.catch((err: unknown) => void err);
    return next;
  };
  let sub: Subscription | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let stopping = false;

  async function publishOutcome(o: OutcomeEvent): Promise<void> {
    try {
      await withRetry(DEFAULT_RETRY, () => bus.publish(topics.outcomes, [{ key: o.service, value: encodeOutcome(o) }]));
      telemetry.count('zeroops.executor.outcomes', { outcome: o.outcome });
    } catch (err) {
      telemetry.count('zeroops.executor.outcome_publish_failures');
      logger.error({ err: describeError(err), execution: o.executionId }, 'could not publish outcome (it is stored in the executions table)');
    }
  }

  const engine = { db, activities, redact, logger, secrets: config.secrets, owner: opts.workerId, leaseMs: opts.leaseMs, publishOutcome };

  async function kick(id: string): Promise<void> {
    if (stopping || running.has(id) || running.size >= opts.maxRunning) return;
    const row = await claimExecution(db, id, opts.workerId, opts.leaseMs);
    if (!row || stopping) return;
    const ctl = new AbortController();
    const done = runExecution(engine, row, ctl.signal)
      .catch((err: unknown) => {
        telemetry.count('zeroops.executor.run_errors');
        logger.error({ err: describeError(err), execution: id }, 'execution interrupted; another attempt resumes it after its lease expires');
      })
      .finally(() => running.delete(id));
    running.set(id, { ctl, done });
    telemetry.count('zeroops.executor.executions_started');
  }

  async function handle(a: AnomalyEvent): Promise<void> {
    if (a.episodeState === 'closed') return telemetry.count('zeroops.executor.anomalies', { result: 'episode_closed' });
    const pb = (await catalog.current()).choose(a);
    if (!pb) return telemetry.count('zeroops.executor.anomalies', { result: 'no_match' });
    const d = await serialized(() => decide(db, a, pb.ref, 'executor'));
    telemetry.count('zeroops.executor.anomalies', { result: d.kind === 'exists' ? 'duplicate' : d.execution.status });
    if (d.kind === 'exists') return;
    if (d.outcome) await publishOutcome(d.outcome);
    if (d.execution.status === 'pending') await kick(d.execution.id);
  }

  async function eachBatch(records: ConsumedRecord[]): Promise<void> {
    for (const r of records) {
      let a: AnomalyEvent;
      try {
        a = decodeAnomaly(r.value);
      } catch (err) {
        telemetry.count('zeroops.executor.invalid_messages');
        logger.warn({ err: describeError(err), offset: r.offset, partition: r.partition }, 'dropping undecodable anomaly');
        continue;
      }
      try {
        await handle(a);
      } catch (err) {
        if (!(err instanceof PermanentError)) throw err;
        telemetry.count('zeroops.executor.rejected', { code: err.code });
        logger.warn({ err: describeError(err), anomaly: a.id }, 'anomaly not actionable');
      }
    }
  }

  async function poll(): Promise<void> {
    try {
      const free = opts.maxRunning - running.size;
      if (free > 0) for (const id of await findRunnable(db, free)) await kick(id);
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'looking for unfinished executions failed; will retry');
    } finally {
      if (!stopping) pollTimer = setTimeout(() => void poll(), opts.pollMs);
    }
  }

  return {
    name: 'executor',
    async start() {
      stopping = false;
      await bus.ensureTopics([{ name: topics.anomalies, partitions: config.topicPartitions }, { name: topics.outcomes, partitions: config.topicPartitions }]);
      sub = await bus.subscribe({ groupId: `${config.topicPrefix}zeroops-executor`, topics: [topics.anomalies], eachBatch });
      void poll();
      logger.info({ leaseMs: opts.leaseMs }, 'executor started');
    },
    async stop(deadlineMs = config.shutdownTimeoutMs) {
      stopping = true;
      clearTimeout(pollTimer);
      await sub?.stop();
      sub = undefined;
      for (const r of running.values()) r.ctl.abort(new Error('executor stopping'));
      const all = Promise.all([...running.values()].map((r) => r.done));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise((res) => { timer = setTimeout(res, deadlineMs); })]);
      clearTimeout(timer);
    },
  };
}
