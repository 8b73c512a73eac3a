/**
 * Expected bands stay within what a feature can take, on both stores: the
 * band of a rate or a latency never goes below 0 and that of error_ratio
 * never above 1, whether stored by the detector (series, raw and averaged in
 * the database) or derived from an incident's evidence (report); a gauge's
 * band may be negative and is left as it is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anomalies, incidents, rollups } from '../../../services/store/index.ts';
import { type ReportsHarness, SETUPS, startHarness } from './harness.ts';

const T0 = Date.UTC(2026, 2, 1);
const MIN = 60_000;
const WINDOWS = 10;

interface Point {
  expected: number | null;
  lower: number | null;
  upper: number | null;
}
interface Series {
  feature: string;
  points: Point[];
}

describe.each(SETUPS)('expected bands within the feature range on $name', (setup) => {
  let h: ReportsHarness;

  beforeAll(async () => {
    h = await startHarness(setup);
    const db = h.store.db;
    await db.insert(rollups).values(
      Array.from({ length: WINDOWS }, (_, m) => ({
        service: 'bands',
        windowEnd: new Date(T0 + m * MIN),
        features: { error_ratio: 0.02, request_rate: 5, 'metric:temperature': -3 },
        // What a baseline with a wide spread stores: bands reaching past what the features can take.
        expected: {
          error_ratio: [0.01, -0.02, 0.04] as [number, number, number],
          request_rate: [5, -4, 14] as [number, number, number],
          'metric:temperature': [-3, -9, 3] as [number, number, number],
        },
        score: 0.1,
      })),
    );
    await db.insert(rollups).values({
      service: 'ratios',
      windowEnd: new Date(T0),
      features: { error_ratio: 0.9 },
      expected: { error_ratio: [0.9, 0.6, 1.2] as [number, number, number] },
      score: 0.9,
    });
    await db.insert(incidents).values({ id: 'band-inc', service: 'bands', kind: 'latency', severity: 'critical', openedAt: new Date(T0 + 5 * MIN) });
    await db.insert(anomalies).values({
      id: 'band-inc:open',
      service: 'bands',
      episodeId: 'band-inc',
      // A window with no stored expectation: the report derives the bands from the evidence.
      windowStart: new Date(T0 + 20 * MIN - 10_000),
      windowEnd: new Date(T0 + 20 * MIN),
      score: 0.95,
      likelihood: 0.999,
      severity: 'critical',
      kind: 'latency',
      evidence: [
        { feature: 'latency_p99_ms', observed: 900, expected: 120, deviation: 5 },
        { feature: 'metric:temperature', observed: -20, expected: -3, deviation: -4 },
      ],
      rootCauses: [],
      episodeState: 'open',
      detectedAt: new Date(T0 + 20 * MIN),
    });
  }, 180_000);
  afterAll(async () => h?.close());

  const series = async (service: string, points: number): Promise<Record<string, Point[]>> => {
    const from = new Date(T0 - MIN).toISOString();
    const to = new Date(T0 + WINDOWS * MIN).toISOString();
    const url = `/api/v1/services/${service}/series?features=error_ratio,request_rate,metric:temperature&from=${from}&to=${to}&points=${points}`;
    const res = await h.app.inject(url);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    return Object.fromEntries((res.json().series as Series[]).map((s) => [s.feature, s.points]));
  };

  it.each([
    ['every window', 100],
    ['averaged into fewer points', 3],
  ])('series (%s): rates and ratios cut at 0 (and a ratio at 1), a gauge left negative', async (_how, points) => {
    const s = await series('bands', points);
    expect(s.error_ratio?.length).toBe(Math.min(points, WINDOWS));
    for (const p of s.error_ratio ?? []) expect([p.lower, p.upper]).toEqual([0, expect.closeTo(0.04, 9)]);
    for (const p of s.request_rate ?? []) expect([p.lower, p.upper]).toEqual([0, expect.closeTo(14, 9)]);
    for (const p of s['metric:temperature'] ?? []) expect([p.lower, p.upper]).toEqual([expect.closeTo(-9, 9), expect.closeTo(3, 9)]);
    const [ratio] = (await series('ratios', points)).error_ratio ?? [];
    expect([ratio?.expected, ratio?.lower, ratio?.upper]).toEqual([expect.closeTo(0.9, 9), expect.closeTo(0.6, 9), 1]);
  });

  it('report: a band derived from evidence starts at 0 for a latency, stays negative for a gauge', async () => {
    const res = await h.app.inject('/api/v1/incidents/band-inc/report');
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    const features = res.json().features as { feature: string; lower: number; upper: number }[];
    // deviation = (observed - expected) / spread: latency's spread is 156 ms, the gauge's 4.25.
    expect(features.find((f) => f.feature === 'latency_p99_ms')).toMatchObject({ lower: 0, upper: 120 + 3 * 156 });
    expect(features.find((f) => f.feature === 'metric:temperature')).toMatchObject({ lower: -3 - 3 * 4.25, upper: -3 + 3 * 4.25 });
  });
});
