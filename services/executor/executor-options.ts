import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Bus } from '../bus/bus.ts';
import type { TopicId } from '../bus/topics.ts';
import type { ExecutorConfig } from '../core/component-config.ts';
import type { Logger } from '../core/logger.ts';
import type { Telemetry } from '../core/telemetry.ts';
import type { Store } from '../store/index.ts';

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
  /** How often forecast-triggered playbooks are evaluated, in ms (default 30 000; 0 turns the evaluation off). */
  forecastEvalMs: number;
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
export function executorOptions(config: Pick<ExecutorConfig, 'databasePool'>, over: Partial<ExecutorOptions> = {}): ExecutorOptions {
  return {
    leaseMs: 15_000,
    pollMs: 1_000,
    maxRunning: 100,
    workerId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    decisionConcurrency: Math.max(2, Math.floor(config.databasePool / 2)),
    outboxSweepMs: 5_000,
    outboxGraceMs: 10_000,
    forecastEvalMs: 30_000,
    ...over,
  };
}
