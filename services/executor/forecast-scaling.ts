/**
 * Forecast-triggered playbooks: every `forecastEvalMs` the executor looks at
 * the load forecast of each service a forecast playbook's `match.service`
 * covers and, when {@link planScaling} wants another replica count, starts
 * an execution whose steps see it as `{{forecast.replicas}}`. The replica
 * count in force is read from the playbook's last forecast execution for the
 * service under the decision's advisory locks, and the execution's episode
 * key names that execution and the count wanted, so two executor processes
 * evaluating at once decide one execution (the unique key and the locks),
 * and every guardrail applies as for an anomaly.
 */
import { and, desc, eq, isNotNull, ne } from 'drizzle-orm';
import type { AnomalyEvent } from '../bus/messages.ts';
import { describeError } from '../core/errors.ts';
import { chooseStep, forecastLoad, type LoadForecast, loadRateSeries } from '../forecast/index.ts';
import { type ForecastTrigger, forecastTriggerOf, type PlaybookVersionRef } from '../playbooks/index.ts';
import type { Db, ExecutionRow } from '../store/index.ts';
import { executions, services } from '../store/index.ts';
import { type Decision, decide } from './decide.ts';
import { decisionLockKeys, takeDecisionLocks } from './decision-facts.ts';
import { type DbOrTx, releaseLease } from './execution-repo.ts';
import { type ExecutorState, track } from './executor-state.ts';
import { planScaling, type ScalingPlan } from './scaling-plan.ts';

/** The replicas in force for (playbook, service), and the execution that set them ('initial': none yet). */
interface InForce {
  replicas: number;
  since: string;
  /** An earlier forecast execution is still unfinished (or awaits approval): nothing new is decided. */
  busy?: string;
  /** The count of a decision a person rejected or cancelled: not proposed again until the plan wants another. */
  declined?: number;
}

const UNFINISHED = new Set(['pending', 'running', 'awaiting_approval']);

async function inForce(tx: DbOrTx, playbookId: string, service: string, t: ForecastTrigger): Promise<InForce> {
  const [last] = await tx
    .select({ id: executions.id, status: executions.status, forecast: executions.forecast })
    .from(executions)
    .where(and(eq(executions.playbookId, playbookId), eq(executions.service, service), isNotNull(executions.forecast), ne(executions.status, 'skipped')))
    .orderBy(desc(executions.createdAt))
    .limit(1);
  if (!last) return { replicas: t.initialReplicas ?? t.minReplicas, since: 'initial' };
  const f = last.forecast as { replicas?: number; currentReplicas?: number };
  if (UNFINISHED.has(last.status)) return { replicas: f.currentReplicas ?? t.minReplicas, since: last.id, busy: last.id };
  // A failed, timed-out or cancelled change may not have happened: the count before it stays in force.
  const replicas = last.status === 'succeeded' ? f.replicas : f.currentReplicas;
  return { replicas: replicas ?? t.minReplicas, since: last.id, ...(last.status === 'cancelled' ? { declined: f.replicas } : {}) };
}

/** Requests per second one replica serves: the trigger's figure, or the recent mean of its metric (undefined without data). */
async function perReplicaOf(db: Db, t: ForecastTrigger, service: string, windowSeconds: number, now: Date): Promise<number | undefined> {
  if (t.capacity.perReplica !== undefined) return t.capacity.perReplica;
  const span = t.capacity.metricWindowSeconds;
  const step = chooseStep(span, windowSeconds);
  const series = await loadRateSeries(db, service, t.capacity.metric as string, now.getTime() - span * 1000, now.getTime(), step);
  const xs = series.values.filter((v) => Number.isFinite(v) && v > 0);
  return xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** What a forecast execution stores (executions.forecast, the decision's audit record) and its steps see as `{{forecast.*}}`. */
function recordOf(fc: LoadForecast, t: ForecastTrigger, perReplica: number, plan: ScalingPlan): Record<string, unknown> {
  const steps = Math.ceil((t.leadSeconds + t.scaleIn.afterSeconds) / fc.stepSeconds);
  return {
    action: plan.action,
    replicas: plan.replicas,
    currentReplicas: plan.currentReplicas,
    perReplica,
    capacity: plan.capacity,
    peakUpper: plan.peakUpper,
    sustainedUpper: plan.sustainedUpper,
    leadSeconds: t.leadSeconds,
    reason: plan.reason,
    generatedAt: fc.generatedAt,
    stepSeconds: fc.stepSeconds,
    coverage: fc.coverage,
    basis: fc.basis,
    periods: fc.periods,
    points: fc.points.slice(0, steps),
  };
}

/** The stand-in anomaly a forecast execution is decided on: its episode key names the execution in force and the count wanted. */
function forecastEvent(service: string, pb: PlaybookVersionRef, since: string, plan: ScalingPlan, now: Date): AnomalyEvent {
  const episodeId = `forecast:${service}:${pb.id}:${since}:${plan.replicas}`;
  return {
    id: `${episodeId}:${now.getTime()}`,
    service,
    episodeId,
    score: 0,
    likelihood: 0,
    severity: 'info',
    kind: 'traffic',
    evidence: [],
    rootCauses: [],
    modelVersion: 'forecast',
    episodeState: 'open',
    flapping: false,
    attributes: { 'zeroops.trigger': 'forecast', 'zeroops.forecast.action': plan.action },
    windowStartUnixMs: now.getTime(),
    windowEndUnixMs: now.getTime(),
    detectedUnixMs: now.getTime(),
    recoveryStartUnixMs: 0,
  };
}

/** What one evaluation of (playbook, service) did. */
export type ForecastEvaluation =
  | { result: 'not_ready' | 'no_capacity' | 'busy' | 'hold' | 'declined'; detail: string }
  | { result: 'decided'; decision: Decision; event: AnomalyEvent };

/**
 * Evaluates forecast playbook `pb` for `service` at `now`: forecast, replica
 * plan and, when the count should change, the decision (under the advisory
 * locks of the service and playbook, in one transaction with the read of
 * the count in force), started here when a slot is free.
 */
export async function evaluateForecastPlaybook(s: ExecutorState, pb: PlaybookVersionRef, service: string, now = new Date()): Promise<ForecastEvaluation> {
  const t = forecastTriggerOf(pb.spec) as ForecastTrigger;
  const settings = { historySeconds: s.config.forecastHistorySeconds, coverage: s.config.forecastCoverage, windowSeconds: s.config.windowSeconds };
  const fc = await forecastLoad(s.db, service, t.leadSeconds + t.scaleIn.afterSeconds, settings, now);
  if (!fc.ready) return { result: 'not_ready', detail: fc.basis };
  const perReplica = await perReplicaOf(s.db, t, service, s.config.windowSeconds, now);
  if (perReplica === undefined) return { result: 'no_capacity', detail: `no recent value of capacity metric ${t.capacity.metric}` };
  const upper = fc.points.map((p) => p.upper);
  const slot = s.runs.reserve();
  try {
    const claim = slot && !s.stopping ? { owner: s.opts.workerId, leaseMs: s.opts.leaseMs } : undefined;
    const out = await s.db.transaction(async (tx): Promise<ForecastEvaluation> => {
      await takeDecisionLocks(tx, decisionLockKeys(service, pb.id, pb.spec.guardrails));
      const cur = await inForce(tx, pb.id, service, t);
      if (cur.busy) return { result: 'busy', detail: `forecast execution ${cur.busy} is unfinished` };
      const plan = planScaling({ trigger: t, currentReplicas: cur.replicas, perReplica, stepSeconds: fc.stepSeconds, upper });
      if (plan.action === 'hold') return { result: 'hold', detail: plan.reason };
      if (plan.replicas === cur.declined) return { result: 'declined', detail: `${plan.replicas} replicas were rejected or cancelled in ${cur.since}` };
      const event = forecastEvent(service, pb, cur.since, plan, now);
      const decision = await decide(tx, event, pb, 'executor', claim, undefined, recordOf(fc, t, perReplica, plan));
      return { result: 'decided', decision, event };
    });
    if (out.result === 'decided') await start(s, pb, out.decision, out.event);
    return out;
  } finally {
    if (slot) s.runs.unreserve();
  }
}

async function start(s: ExecutorState, pb: PlaybookVersionRef, d: Decision, event: AnomalyEvent): Promise<void> {
  s.telemetry.count('zeroops.executor.forecast_decisions', { result: d.kind === 'exists' ? 'duplicate' : d.execution.status });
  if (d.kind === 'exists') return;
  if (d.outcome) track(s, s.outbox.publish(d.execution, event.kind));
  if (d.execution.status === 'pending') s.backlog = true;
  if (d.execution.status !== 'running' || d.execution.leaseOwner !== s.opts.workerId) return;
  const preloaded = d.fresh ? { spec: pb.spec, anomaly: JSON.parse(JSON.stringify(event)) as Record<string, unknown>, steps: [] } : undefined;
  // Stopping began after the decision claimed it: give the lease back for another executor (or the next start).
  if (s.stopping) await releaseLease(s.db, d.execution.id, s.opts.workerId);
  else s.runs.start(d.execution as ExecutionRow, preloaded);
}

/** Evaluates every enabled forecast playbook for every known service its `match.service` covers; one failure does not stop the others. */
export async function evaluateForecasts(s: ExecutorState, now = new Date()): Promise<void> {
  const playbooks = (await s.catalog.current()).forecastTriggered();
  if (playbooks.length === 0) return;
  const names = (await s.db.select({ name: services.name }).from(services)).map((r) => r.name);
  for (const pb of playbooks) {
    for (const service of names.filter((n) => pb.coversService(n))) {
      if (s.stopping) return;
      try {
        const r = await evaluateForecastPlaybook(s, pb.ref, service, now);
        if (r.result !== 'decided') s.telemetry.count('zeroops.executor.forecast_evaluations', { result: r.result });
      } catch (err) {
        s.telemetry.count('zeroops.executor.forecast_evaluations', { result: 'error' });
        s.logger.warn({ err: describeError(err), playbook: pb.ref.name, service }, 'forecast evaluation failed; retried at the next one');
      }
    }
  }
}

/** Runs {@link evaluateForecasts} every `forecastEvalMs` until the executor stops (the next run is timed from the end of the last). */
export function scheduleForecasts(s: ExecutorState, delayMs = s.opts.forecastEvalMs): void {
  if (s.stopping || s.opts.forecastEvalMs <= 0) return;
  clearTimeout(s.forecastTimer);
  s.forecastTimer = setTimeout(() => {
    s.forecasting = evaluateForecasts(s)
      .catch((err: unknown) => s.logger.warn({ err: describeError(err) }, 'forecast evaluation round failed'))
      .finally(() => {
        s.forecasting = undefined;
        scheduleForecasts(s);
      });
  }, delayMs);
  s.forecastTimer.unref();
}
