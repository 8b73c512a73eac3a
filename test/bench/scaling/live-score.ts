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
