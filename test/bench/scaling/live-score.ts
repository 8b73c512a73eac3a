/**
 * Replica-minutes of a live run over the whole compressed day. The live
 * bench measures the minutes around one surge; outside them neither scaler
 * acts (the load stays well under one replica's capacity), so each side
 * holds its minimum. Counting that rest of the day on both sides gives the
 * figure the simulation reports (replica-minutes per day), which a span cut
 * close around the surge overstates for the side that scales out earlier.
 */

/**
 * `spanReplicas` (mean replicas per measured minute) plus `minReplicas` for
 * each unmeasured minute of a `dayMinutes` day; null when the span does not
 * start and end at `minReplicas` (then the rest of the day is not known to
 * be at the minimum) or is longer than the day.
 */
export function dayReplicaMinutes(spanReplicas: readonly number[], dayMinutes: number, minReplicas = 1): number | null {
  const first = spanReplicas[0];
  const last = spanReplicas[spanReplicas.length - 1];
  if (first === undefined || last === undefined || spanReplicas.length > dayMinutes) return null;
  const atMin = (r: number) => Math.abs(r - minReplicas) < 0.05;
  if (!atMin(first) || !atMin(last)) return null;
  return spanReplicas.reduce((a, r) => a + r, 0) + (dayMinutes - spanReplicas.length) * minReplicas;
}

/** The targets: at least 80 % fewer minutes above the objective, at most 1.2x the replica-minutes. */
export const TARGET_CUT = 0.8;
export const TARGET_COST = 1.2;

/** One side's figures, as {@link judgeLive} reads them. */
export interface SideFigures {
  minutesAboveObjective: number;
  /** Replica-minutes over the measured span. */
  spanReplicaMinutes: number;
  /** Over the whole day ({@link dayReplicaMinutes}), null when unknown. */
  dayReplicaMinutes: number | null;
}

/** The comparison of a live run against the targets. */
export interface LiveVerdict {
  /** 1 - predictive / reactive minutes above the objective; null when reactive had none (nothing to cut). */
  cut: number | null;
  /** Predictive / reactive replica-minutes over the day when both are known, else over the span. */
  cost: number;
  costOver: 'day' | 'span';
  /** Whether each target is met; the cut is not met when there was nothing to cut. */
  meetsCut: boolean;
  meetsCost: boolean;
}

/**
 * Judges a live run: the cut in minutes above the objective and the ratio of
 * replica-minutes, the latter over the day when both sides have a day figure
 * (the target is per day; a span cut close around the surge overstates the
 * side that scales out first), over the span otherwise.
 */
export function judgeLive(reactive: SideFigures, predictive: SideFigures): LiveVerdict {
  const cut = reactive.minutesAboveObjective === 0 ? null : 1 - predictive.minutesAboveObjective / reactive.minutesAboveObjective;
  const byDay = reactive.dayReplicaMinutes !== null && predictive.dayReplicaMinutes !== null && reactive.dayReplicaMinutes > 0;
  const cost = byDay
    ? (predictive.dayReplicaMinutes as number) / (reactive.dayReplicaMinutes as number)
    : predictive.spanReplicaMinutes / reactive.spanReplicaMinutes;
  return { cut, cost, costOver: byDay ? 'day' : 'span', meetsCut: cut !== null && cut >= TARGET_CUT - 1e-9, meetsCost: cost <= TARGET_COST + 1e-9 };
}

/** The measured span of a live run: `beforeMinutes`, then `cycles` surges one day apart, then `afterMinutes` after the last. */
export interface LiveSpan {
  beforeMinutes: number;
  surgeMinutes: number;
  afterMinutes: number;
  dayMinutes: number;
  cycles: number;
}

/** Minutes in the measured span. */
export function spanMinutes(s: LiveSpan): number {
  return s.beforeMinutes + (s.cycles - 1) * s.dayMinutes + s.surgeMinutes + s.afterMinutes;
}

/** Whether measured minute `i` (0 = the span's first) is in one of the span's surges. */
export function inSurge(s: LiveSpan, i: number): boolean {
  const k = i - s.beforeMinutes;
  if (k < 0 || k >= (s.cycles - 1) * s.dayMinutes + s.surgeMinutes) return false;
  return k % s.dayMinutes < s.surgeMinutes;
}
