/**
 * A service's request-rate series from the rollups, on a regular grid: the
 * database averages the windows of each step (so two weeks of 10-second
 * windows come back as a few thousand points), empty steps are gaps (NaN).
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../store/index.ts';

/** Steps a forecast may use, in seconds: each divides the round periods (an hour, a day, a week). */
export const FORECAST_STEPS = [10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600];

/** Most points a forecast learns from. */
export const MAX_HISTORY_POINTS = 5000;

/** A regular series: `values[i]` is the mean over [startMs + i step, startMs + (i + 1) step). */
export interface RateSeries {
  startMs: number;
  stepSeconds: number;
  values: number[];
}

/** The smallest forecast step of at least `minSeconds` (the detector window) that keeps `historySeconds` within {@link MAX_HISTORY_POINTS}. */
export function chooseStep(historySeconds: number, minSeconds: number): number {
  const need = Math.max(minSeconds, historySeconds / MAX_HISTORY_POINTS);
  return FORECAST_STEPS.find((s) => s >= need) ?? Math.ceil(need / 3600) * 3600;
}

/** The mean of `feature` per step of `stepSeconds` over [fromMs, toMs), aligned on multiples of the step since the epoch. */
export async function loadRateSeries(db: Db, service: string, feature: string, fromMs: number, toMs: number, stepSeconds: number): Promise<RateSeries> {
  const stepMs = stepSeconds * 1000;
  const startMs = Math.floor(fromMs / stepMs) * stepMs;
  const size = Math.max(0, Math.ceil((toMs - startMs) / stepMs));
  // window_end marks the end of a window: a window belongs to the step it ends in (an end exactly on a boundary closes the step before).
  const res = (await db.execute(sql`
    SELECT floor((extract(epoch FROM window_end) * 1000 - 1 - ${startMs}) / ${stepMs})::int AS i,
           avg((features ->> ${feature})::float8) AS v
    FROM rollups
    WHERE service = ${service} AND window_end > ${new Date(startMs).toISOString()}::timestamptz AND window_end <= ${new Date(toMs).toISOString()}::timestamptz
      AND features ? ${feature}
    GROUP BY 1`)) as unknown as { rows: Array<{ i: number; v: number | string | null }> };
  const values = new Array<number>(size).fill(Number.NaN);
  for (const r of res.rows) {
    const v = r.v === null ? Number.NaN : Number(r.v);
    if (r.i >= 0 && r.i < size && Number.isFinite(v)) values[r.i] = v;
  }
  return { startMs, stepSeconds, values };
}
