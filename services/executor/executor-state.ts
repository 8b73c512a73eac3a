import type { Bus, Subscription } from '../bus/bus.ts';
import type { TopicId } from '../bus/topics.ts';
import type { ExecutorConfig } from '../core/component-config.ts';
import type { Logger } from '../core/logger.ts';
import type { Telemetry } from '../core/telemetry.ts';
import { AddressGuard, createCatalogCache, createRedactor, type PlaybookCatalog } from '../playbooks/index.ts';
import type { Db } from '../store/index.ts';
import { type ChangeWorker, createChangeWorker } from './changes/index.ts';
import type { EngineDeps } from './execution-engine.ts';
import { schedulePoll } from './execution-poller.ts';
import { readDeviations, readIncident } from './execution-repo.ts';
import { type ExecutorOptions, type ExecutorSettings, executorOptions } from './executor-options.ts';
import { createOutcomeOutbox, type OutcomeOutbox } from './outcome-outbox.ts';
import { createPolicyChooser, type PolicyChooser } from './policy-choice.ts';
import { createRunRegistry, type RunRegistry } from './run-registry.ts';
import { createStepActivities } from './steps/index.ts';

/**
 * Everything one executor holds, shared by its modules (intake, poller,
 * sweep, lifecycle): the wiring, built once, and the few mutable fields.
 */
export interface ExecutorState {
  readonly config: ExecutorConfig;
  readonly opts: ExecutorOptions;
  readonly bus: Bus;
  readonly db: Db;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  readonly topics: Record<TopicId, string>;
  /** The live playbooks, reloaded when they change. */
  readonly catalog: { current(): Promise<PlaybookCatalog> };
  readonly guard: AddressGuard;
  /** The learned choice among matching playbooks (policy-choice.ts). */
  readonly policy: PolicyChooser;
  readonly outbox: OutcomeOutbox;
  readonly runs: RunRegistry;
  /** Managed changes (changes/): applied in their quiet window, watched, undone on a regression. */
  readonly changes: ChangeWorker;
  /** Outcome publications in flight (stop waits for them). */
  readonly publishing: Set<Promise<void>>;
  /** The anomalies subscription, while started. */
  sub: Subscription | undefined;
  pollTimer: NodeJS.Timeout | undefined;
  sweepTimer: NodeJS.Timeout | undefined;
  /** Next evaluation of the forecast-triggered playbooks (forecast-scaling.ts). */
  forecastTimer: NodeJS.Timeout | undefined;
  /** The evaluation round in progress, if any (stop waits for it). */
  forecasting: Promise<void> | undefined;
  /** Set by stop: no new work starts; claimed leases are given back. */
  stopping: boolean;
  /** Some execution was decided while every slot was taken: poll as soon as one frees up. */
  backlog: boolean;
}

/** What the durable engine needs: the step activities bound to their dependencies, and the lease and outcome wiring. */
function engineDeps(config: ExecutorConfig, opts: ExecutorOptions, db: Db, logger: Logger, guard: AddressGuard, outbox: OutcomeOutbox): EngineDeps {
  const activities = createStepActivities({
    config,
    guard,
    readIncident: (ep) => readIncident(db, ep),
    readDeviations: (ep, cut) => readDeviations(db, ep, cut),
  });
  return {
    db,
    activities,
    redact: createRedactor(config.secrets),
    logger,
    secrets: config.secrets,
    owner: opts.workerId,
    leaseMs: opts.leaseMs,
    publishOutcome: outbox.publish,
    forecast: { historySeconds: config.forecastHistorySeconds, coverage: config.forecastCoverage, windowSeconds: config.windowSeconds },
  };
}

/** Builds the state of one executor (nothing starts yet). */
export function createExecutorState(settings: ExecutorSettings, config: ExecutorConfig): ExecutorState {
  const opts = executorOptions(config, settings.options);
  const { bus, telemetry, topics } = settings;
  const db = settings.store.db;
  const logger = settings.logger.child({ component: 'executor', worker: opts.workerId });
  const guard = new AddressGuard(config.httpAllowlist);
  const outbox = createOutcomeOutbox({ db, bus, topic: topics.outcomes, logger, telemetry, graceMs: opts.outboxGraceMs });
  const engine = engineDeps(config, opts, db, logger, guard, outbox);
  const runs = createRunRegistry({ engine, logger, telemetry, maxRunning: opts.maxRunning, onSlotFreed: () => state.backlog && schedulePoll(state, 0) });
  const catalog = createCatalogCache(db);
  const idle = {
    publishing: new Set<Promise<void>>(),
    sub: undefined,
    pollTimer: undefined,
    sweepTimer: undefined,
    forecastTimer: undefined,
    forecasting: undefined,
    stopping: false,
    backlog: false,
  };
  const policy = createPolicyChooser(db);
  const changes = createChangeWorker({
    db,
    activities: engine.activities,
    secrets: config.secrets,
    owner: opts.workerId,
    windowSeconds: config.windowSeconds,
    watchPollMs: Math.min(5_000, opts.pollMs * 2),
    logger: logger.child({ component: 'changes' }),
    telemetry,
    leaseMs: opts.leaseMs,
    pollMs: opts.pollMs,
    maxRunning: 20,
  });
  const state: ExecutorState = { config, opts, bus, db, logger, telemetry, topics, catalog, guard, outbox, policy, runs, changes, ...idle };
  return state;
}

/** Keeps `p` (an outcome publication) in `state.publishing` until it settles. */
export function track(state: ExecutorState, p: Promise<void>): void {
  state.publishing.add(p);
  void p.finally(() => state.publishing.delete(p));
}
