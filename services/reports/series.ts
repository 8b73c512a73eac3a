import { and, asc, count, eq, gte, lte, sql } from 'drizzle-orm';
import { type Db, rollups } from '../store/index.ts';
import { bandWithin, unitOf } from './feature-units.ts';

/** One point of a feature's series: the observed value and what the baseline expected (null where nothing was stored). */
export interface SeriesPoint {
  /** ISO-8601 time of the window end (of the mean window end, for a downsampled point). */
  t: string;
  value: number;
  expected: number | null;
  lower: number | null;
  upper: number | null;
}

/** A feature's series with its unit. */
export interface FeatureSeries {
  feature: string;
  unit: string;
  points: SeriesPoint[];
}

/** Most rollup rows read for one series request (a week of 10 s windows is 60,480). */
export const MAX_SERIES_ROWS = 100_000;

/** Features a series shows when none are asked for. */
export const DEFAULT_SERIES_FEATURES = ['request_rate', 'error_ratio', 'latency_p99_ms'];

interface Raw {
  t: number;
  value: number;
  band: [number, number, number] | undefined;
}

function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Averages consecutive raw points into at most `points` buckets of equal time span over [fromMs, toMs]. */
export function downsample(raw: Raw[], fromMs: number, toMs: number, points: number): SeriesPoint[] {
  const exact = (r: Raw): SeriesPoint => ({
    t: new Date(r.t).toISOString(),
    value: r.value,
    expected: r.band?.[0] ?? null,
    lower: r.band?.[1] ?? null,
    upper: r.band?.[2] ?? null,
  });
  if (raw.length <= points) return raw.map(exact);
  const span = Math.max(1, toMs - fromMs) / points;
  const buckets = new Map<number, Raw[]>();
  for (const r of raw) {
    const b = Math.min(points - 1, Math.max(0, Math.floor((r.t - fromMs) / span)));
    const list = buckets.get(b) ?? [];
    list.push(r);
    buckets.set(b, list);
  }
  return [...buckets.keys()]
    .sort((a, b) => a - b)
    .map((b) => {
      const rs = buckets.get(b) as Raw[];
      const banded = rs.filter((r) => r.band);
      const col = (i: number) => mean(banded.map((r) => (r.band as [number, number, number])[i] as number));
      return {
        t: new Date(Math.round(mean(rs.map((r) => r.t)) as number)).toISOString(),
        value: mean(rs.map((r) => r.value)) as number,
        expected: col(0),
        lower: col(1),
        upper: col(2),
      };
    });
}

/** `features` of `service` in [from, to], averaged in SQL into at most `points` buckets of equal time span (for ranges with more rows than points). */
async function aggregated(db: Db, service: string, feature: string, from: Date, to: Date, points: number): Promise<SeriesPoint[]> {
  const fromMs = from.getTime();
  const span = Math.max(1, to.getTime() - fromMs) / points;
  const ms = sql`(extract(epoch from ${rollups.windowEnd}) * 1000)`;
  const band = (i: number) => sql`avg((${rollups.expected} -> ${feature}::text ->> ${i}::int)::float8)`;
  const res = (await db.execute(sql`
    SELECT least(${points - 1}::int, greatest(0, floor((${ms} - ${fromMs}::float8) / ${span}::float8)))::int AS b,
           avg(${ms})::float8 AS t, avg((${rollups.features} ->> ${feature}::text)::float8) AS v,
           ${band(0)} AS e, ${band(1)} AS lo, ${band(2)} AS hi
      FROM ${rollups}
     WHERE ${rollups.service} = ${service} AND ${rollups.windowEnd} >= ${from.toISOString()}::timestamptz
       AND ${rollups.windowEnd} <= ${to.toISOString()}::timestamptz AND jsonb_typeof(${rollups.features} -> ${feature}::text) = 'number'
     GROUP BY 1 ORDER BY 1`)) as unknown as { rows: { t: number | string; v: number | string; e: unknown; lo: unknown; hi: unknown }[] };
  const orNull = (x: unknown) => (x === null || x === undefined ? null : Number(x));
  return res.rows.map((r) => ({
    t: new Date(Math.round(Number(r.t))).toISOString(),
    value: Number(r.v),
    expected: orNull(r.e),
    lower: orNull(r.lo),
    upper: orNull(r.hi),
  }));
}

/**
 * The series of `features` of `service` over [from, to] from the rollups
 * (fine windows and, past their retention, the coarser rollups they were
 * folded into), each downsampled to at most `points` points: the rows
 * themselves when the range holds no more than `points`, else bucket means
 * computed by the database (any range length, no rows shipped). Features
 * never observed in the range come back with no points.
 */
export async function loadSeries(db: Db, service: string, features: string[], from: Date, to: Date, points: number): Promise<FeatureSeries[]> {
  const inRange = and(eq(rollups.service, service), gte(rollups.windowEnd, from), lte(rollups.windowEnd, to));
  const [held] = await db.select({ n: count() }).from(rollups).where(inRange);
  if (Number(held?.n ?? 0) > points) {
    return Promise.all(features.map(async (feature) => seriesOf(feature, await aggregated(db, service, feature, from, to, points))));
  }
  const rows = await db
    .select({ windowEnd: rollups.windowEnd, features: rollups.features, expected: rollups.expected })
    .from(rollups)
    .where(inRange)
    .orderBy(asc(rollups.windowEnd))
    .limit(MAX_SERIES_ROWS);
  return features.map((feature) => {
    const raw: Raw[] = [];
    for (const r of rows) {
      const v = r.features[feature];
      if (typeof v === 'number' && Number.isFinite(v)) raw.push({ t: r.windowEnd.getTime(), value: v, band: r.expected[feature] });
    }
    return seriesOf(feature, downsample(raw, from.getTime(), to.getTime(), points));
  });
}

/** A feature's series with its unit, each point's band cut to the values the feature can take (see bandWithin). */
function seriesOf(feature: string, points: SeriesPoint[]): FeatureSeries {
  const within = (p: SeriesPoint): SeriesPoint => {
    const [lower, upper] = bandWithin(feature, p.lower, p.upper);
    return { ...p, lower, upper };
  };
  return { feature, unit: unitOf(feature), points: points.map(within) };
}
