/**
 * The replica decision of a forecast-triggered playbook (pure): scale out
 * ahead of the load when the upper bound of the forecast over the lead time
 * exceeds what the replicas serve; scale in only when the upper bound stays
 * under a lower share of a smaller replica count for the lead time plus a
 * while (hysteresis); always within [minReplicas, maxReplicas].
 */
import type { ForecastTrigger } from '../playbooks/index.ts';

/** What {@link planScaling} looks at. */
export interface ScalingInput {
  trigger: ForecastTrigger;
  /** Replicas now (as the last forecast execution left them, or the trigger's initial count). */
  currentReplicas: number;
  /** Requests per second one replica serves within its objective. */
  perReplica: number;
  /** Forecast step, in seconds. */
  stepSeconds: number;
  /** Upper bound of the prediction interval per forecast step, from the next step on (req/s). */
  upper: readonly number[];
}

/** The decision: what to do, to how many replicas, and the numbers it rests on. */
export interface ScalingPlan {
  action: 'scale_out' | 'scale_in' | 'hold';
  currentReplicas: number;
  /** Replicas wanted (equal to `currentReplicas` when holding). */
  replicas: number;
  /** Highest upper bound over the lead time, req/s. */
  peakUpper: number;
  /** Highest upper bound over the lead time plus `scaleIn.afterSeconds`, req/s. */
  sustainedUpper: number;
  /** What the current replicas serve, req/s. */
  capacity: number;
  reason: string;
}

const clamp = (n: number, t: ForecastTrigger) => Math.min(t.maxReplicas, Math.max(t.minReplicas, n));
const peakOf = (xs: readonly number[], steps: number) => xs.slice(0, Math.max(1, steps)).reduce((m, x) => (Number.isFinite(x) && x > m ? x : m), 0);
const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));

/** Decides the replica count for the forecast `upper` (see the module comment). */
export function planScaling(input: ScalingInput): ScalingPlan {
  const { trigger: t, currentReplicas: current, perReplica, stepSeconds } = input;
  const leadSteps = Math.ceil(t.leadSeconds / stepSeconds);
  const peakUpper = peakOf(input.upper, leadSteps);
  const sustainedUpper = Math.max(peakUpper, peakOf(input.upper, Math.ceil((t.leadSeconds + t.scaleIn.afterSeconds) / stepSeconds)));
  const capacity = current * perReplica;
  const base = { currentReplicas: current, peakUpper, sustainedUpper, capacity };
  const need = clamp(Math.ceil(peakUpper / perReplica), t);
  if (need > current) {
    const why =
      peakUpper > capacity
        ? `forecast upper bound ${fmt(peakUpper)} req/s within ${t.leadSeconds} s exceeds ${current} replica(s) x ${fmt(perReplica)} req/s = ${fmt(capacity)} req/s`
        : `${current} replica(s) is below minReplicas ${t.minReplicas}`;
    return { ...base, action: 'scale_out', replicas: need, reason: `${why}: scale out to ${need}` };
  }
  const keep = clamp(Math.ceil(sustainedUpper / (perReplica * t.scaleIn.belowUtilization)), t);
  if (keep < current) {
    const horizon = t.leadSeconds + t.scaleIn.afterSeconds;
    return {
      ...base,
      action: 'scale_in',
      replicas: keep,
      reason: `forecast upper bound stays at or below ${fmt(sustainedUpper)} req/s for ${horizon} s, under ${Math.round(t.scaleIn.belowUtilization * 100)} % of ${keep} replica(s): scale in to ${keep}`,
    };
  }
  return {
    ...base,
    action: 'hold',
    replicas: current,
    reason: `forecast upper bound ${fmt(peakUpper)} req/s within ${t.leadSeconds} s fits ${current} replica(s) (${fmt(capacity)} req/s)`,
  };
}
