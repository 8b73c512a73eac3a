import type { ConsumedRecord } from '../bus/bus.ts';
import { type AnomalyEvent, decodeAnomaly } from '../bus/messages.ts';
import { describeError, PermanentError } from '../core/errors.ts';
import type { PlaybookCatalog, PlaybookVersionRef } from '../playbooks/index.ts';
import { decide } from './decide.ts';
import { type DeferralPlan, deferralOf, planDeferral, runDeferredNow, worsened } from './deferral.ts';
import { findExecution, releaseLease } from './execution-repo.ts';
import { type ExecutorState, track } from './executor-state.ts';
import { forEachKeyInOrder } from './keyed-concurrency.ts';

/**
 * Decides one anomaly: the playbook the catalog chooses, the guardrails,
 * and (when a slot is free and the executor is not stopping) starts the
 * execution here; otherwise it waits as `pending` for the poller.
 */
async function handleAnomaly(s: ExecutorState, a: AnomalyEvent, cat: PlaybookCatalog): Promise<void> {
  if (a.episodeState === 'closed') return s.telemetry.count('zeroops.executor.anomalies', { result: 'episode_closed' });
  const pb = await s.policy.choose(a, cat);
  if (!pb) return s.telemetry.count('zeroops.executor.anomalies', { result: 'no_match' });
  const deferral = await deferralFor(s, a, pb.ref);
  if (deferral === 'handled') return;
  const { workerId, leaseMs } = s.opts;
  const slot = s.runs.reserve();
  try {
    const d = await decide(s.db, a, pb.ref, 'executor', slot && !s.stopping ? { owner: workerId, leaseMs } : undefined, deferral);
    s.telemetry.count('zeroops.executor.anomalies', { result: d.kind === 'exists' ? 'duplicate' : d.execution.status });
    if (d.kind === 'exists') return;
    if (d.fresh) await s.policy.record(d.execution.id, pb);
    if (d.outcome) track(s, s.outbox.publish(d.execution, a.kind));
    if (d.execution.status === 'pending') s.backlog = true;
    if (d.execution.status !== 'running' || d.execution.leaseOwner !== workerId) return;
    const preloaded = d.fresh ? { spec: pb.ref.spec, anomaly: JSON.parse(JSON.stringify(a)) as Record<string, unknown>, steps: [] } : undefined;
    if (s.stopping) await releaseLease(s.db, d.execution.id, workerId);
    else s.runs.start(d.execution, preloaded);
  } finally {
    if (slot) s.runs.unreserve();
  }
}

/**
 * For a deferrable playbook (or one with deferrable steps): with an
 * execution already waiting for its quiet window, runs it now if this
 * anomaly is worse ('handled' either way); with none yet, plans when a new
 * execution of a deferrable playbook is to start.
 */
async function deferralFor(s: ExecutorState, a: AnomalyEvent, pb: PlaybookVersionRef): Promise<DeferralPlan | 'handled' | undefined> {
  const d = deferralOf(pb.spec);
  if (!d) return undefined;
  const existing = await findExecution(s.db, a.episodeId, pb.id);
  if (!pb.spec.deferrable && existing?.status !== 'pending') return undefined;
  if (existing && existing.status !== 'skipped') {
    const why = worsened(existing, d, a.score);
    if (why) {
      await runDeferredNow(s.db, existing.id, 'executor', why);
      s.backlog = true;
      s.telemetry.count('zeroops.executor.anomalies', { result: 'deferred_run_now' });
    } else s.telemetry.count('zeroops.executor.anomalies', { result: 'duplicate' });
    return 'handled';
  }
  if (!pb.spec.deferrable) return undefined;
  return planDeferral(s.db, a.service, d, {
    historySeconds: s.config.forecastHistorySeconds,
    coverage: s.config.forecastCoverage,
    windowSeconds: s.config.windowSeconds,
  });
}

function decodeAll(s: ExecutorState, records: ConsumedRecord[]): AnomalyEvent[] {
  const events: AnomalyEvent[] = [];
  for (const r of records) {
    try {
      events.push(decodeAnomaly(r.value));
    } catch (err) {
      s.telemetry.count('zeroops.executor.invalid_messages');
      s.logger.warn({ err: describeError(err), offset: r.offset, partition: r.partition }, 'dropping undecodable anomaly');
    }
  }
  return events;
}

/**
 * Handles one batch of the anomalies topic: undecodable records are counted
 * and dropped, anomalies of one service are decided in order, different
 * services concurrently (`decisionConcurrency`). A PermanentError drops the
 * anomaly; any other error fails the batch (the bus redelivers it).
 */
export async function consumeAnomalies(s: ExecutorState, records: ConsumedRecord[]): Promise<void> {
  const events = decodeAll(s, records);
  if (events.length === 0) return;
  const cat = await s.catalog.current();
  await forEachKeyInOrder(
    events,
    (a) => a.service,
    s.opts.decisionConcurrency,
    async (a) => {
      try {
        await handleAnomaly(s, a, cat);
      } catch (err) {
        if (!(err instanceof PermanentError)) throw err;
        s.telemetry.count('zeroops.executor.rejected', { code: err.code });
        s.logger.warn({ err: describeError(err), anomaly: a.id }, 'anomaly not actionable');
      }
    },
  );
}
