import { and, asc, eq, gte, lte } from 'drizzle-orm';
import { type Db, rollups } from '../store/index.ts';
import { unitOf } from './feature-units.ts';

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

/**
 * The series of `features` of `service` over [from, to] from the rollups
 * (fine windows and, past their retention, coarser rollups), each
 * downsampled to at most `points` points. Features never observed in the
 * range come back with no points.
 */
export async function loadSeries(db: Db, service: string, features: string[], from: Date, to: Date, points: number): Promise<FeatureSeries[]> {
  const rows = await db
    .select({ windowEnd: rollups.windowEnd, features: rollups.features, expected: rollups.expected })
    .from(rollups)
    .where(and(eq(rollups.service, service), gte(rollups.windowEnd, from), lte(rollups.windowEnd, to)))
    .orderBy(asc(rollups.windowEnd))
    .limit(MAX_SERIES_ROWS);
  return features.map((feature) => {
    const raw: Raw[] = [];
    for (const r of rows) {
      const v = r.features[feature];
      if (typeof v === 'number' && Number.isFinite(v)) raw.push({ t: r.windowEnd.getTime(), value: v, band: r.expected[feature] });
    }
    return { feature, unit: unitOf(feature), points: downsample(raw, from.getTime(), to.getTime(), points) };
  });
}
