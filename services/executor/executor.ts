import type { Component } from '../core/component.ts';
import type { ExecutorConfig } from '../core/component-config.ts';
import { withDeadline } from '../core/deadline.ts';
import { describeError } from '../core/errors.ts';
import { consumeAnomalies } from './anomaly-intake.ts';
import { poll } from './execution-poller.ts';
import type { ExecutorSettings } from './executor-options.ts';
import { createExecutorState, type ExecutorState } from './executor-state.ts';
import { scheduleForecasts } from './forecast-scaling.ts';
import { sweepOutcomes } from './outcome-sweep.ts';

export type { ExecutorOptions, ExecutorSettings } from './executor-options.ts';

async function start(s: ExecutorState): Promise<void> {
  const { bus, config, topics } = s;
  s.stopping = false;
  await bus.ensureTopics([
    { name: topics.anomalies, partitions: config.topicPartitions },
    { name: topics.outcomes, partitions: config.topicPartitions },
  ]);
  s.sub = await bus.subscribe({ groupId: `${config.topicPrefix}zeroops-executor`, topics: [topics.anomalies], eachBatch: (rs) => consumeAnomalies(s, rs) });
  void poll(s);
  void sweepOutcomes(s);
  scheduleForecasts(s, 0);
  s.changes.start();
  const httpAllowlist = s.guard.describe();
  s.logger.info(
    { leaseMs: s.opts.leaseMs, decisionConcurrency: s.opts.decisionConcurrency, httpAllowlist },
    httpAllowlist.length === 0
      ? 'executor started; http/notify steps may call public addresses only (ZEROOPS_HTTP_ALLOWLIST is empty)'
      : `executor started; http/notify steps may call public addresses and ZEROOPS_HTTP_ALLOWLIST: ${httpAllowlist.join(', ')}`,
  );
}

/**
 * Stops intake (the subscription, after its in-flight batch), aborts the
 * running executions (their leases are given back, so another worker resumes
 * them) and waits for outcome publications, all within `deadlineMs`: past it,
 * stop resolves anyway, logging what had not drained.
 */
async function stop(s: ExecutorState, deadlineMs: number): Promise<void> {
  s.stopping = true;
  clearTimeout(s.pollTimer);
  clearTimeout(s.sweepTimer);
  clearTimeout(s.forecastTimer);
  const sub = s.sub;
  s.sub = undefined;
  // Nothing starts once `stopping` is set, so the runs can be aborted while intake drains.
  const intake = (async () => {
    await sub?.stop();
    await Promise.all([...s.publishing]);
  })();
  const drained = Promise.all([intake, s.runs.abortAll(new Error('executor stopping')), s.forecasting, s.changes.stop()]);
  const late = new Error(
    `executor still draining (intake, executions, outcome publications, a forecast evaluation or a managed change) after ${deadlineMs} ms`,
  );
  await withDeadline(deadlineMs, () => drained, { onTimeout: () => late }).catch((err: unknown) => {
    if (err !== late) throw err;
    s.logger.warn({ err: describeError(err) }, 'executor stop: not everything drained in time');
  });
}

/**
 * The executor service: consumes `anomalies` (group `<prefix>zeroops-executor`),
 * picks a playbook, applies the guardrails, and runs durable executions whose
 * outcomes go to the `outcomes` topic (through an outbox) and the executions table.
 * Its modules share one {@link ExecutorState}: intake (anomaly-intake.ts),
 * the poller of unfinished executions (execution-poller.ts), the outcome sweep (outcome-sweep.ts) and
 * the periodic evaluation of forecast-triggered playbooks (forecast-scaling.ts).
 */
export function createExecutor(settings: ExecutorSettings, config: ExecutorConfig): Component {
  const s = createExecutorState(settings, config);
  return {
    name: 'executor',
    start: () => start(s),
    ready() {
      if (s.stopping) return 'stopped';
      return s.sub?.joined() ? 'ok' : 'not joined to its consumer group';
    },
    stop: (deadlineMs = config.shutdownTimeoutMs) => stop(s, deadlineMs),
  };
}
