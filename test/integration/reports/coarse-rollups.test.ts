/**
 * Coarse rollups beyond the fine retention, on both stores: the retention
 * run folds fine windows past ZEROOPS_RETENTION_ROLLUPS_DAYS into hourly rows
 * (feature and band means, calls and failed calls summed, highest score), keeps the recent
 * fine windows, and drops coarse rows past their own retention; the series
 * endpoint serves coarse, fine or both, downsampled to the points asked for.
 */
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/core/index.ts';
import { type NewRollupRow, type RetentionPolicy, retentionPolicyOf, rollups, runRetention } from '../../../services/store/index.ts';
import { type ReportsHarness, SETUPS, startHarness } from './harness.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const STEP = 10_000;
const OLD = 720;
const RECENT = 180;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe.each(SETUPS)('coarse rollups on $name', (setup) => {
  let h: ReportsHarness;
  const now = Date.now();
  // Two whole hours of 10 s windows 20 days ago (window k ends at base + k * 10 s), and 30 minutes a day ago.
  const base = Math.floor((now - 20 * DAY) / HOUR) * HOUR;
  const recentBase = now - DAY;
  const policy: RetentionPolicy = {
    ...retentionPolicyOf(loadConfig({ ZEROOPS_RETENTION_ROLLUPS_DAYS: '14', ZEROOPS_RETENTION_COARSE_ROLLUPS_DAYS: '365' })),
    days: { rollups: 14, anomalies: 0, incidents: 0, executions: 0, audit: 0 },
  };

  beforeAll(async () => {
    h = await startHarness(setup);
    const old: NewRollupRow[] = range(1, OLD).map((k) => ({
      service: 'pay',
      windowEnd: new Date(base + k * STEP),
      features: { request_rate: k, ...(k % 2 === 0 ? { latency_p99_ms: k } : {}) },
      expected: { request_rate: [k, k - 1, k + 1] },
      callees: { db: 2 },
      calleeErrors: (k % 4 === 0 ? { db: 1 } : {}) as Record<string, number>,
      score: k / 1000,
    }));
    const recent: NewRollupRow[] = range(1, RECENT).map((k) => ({
      service: 'pay',
      windowEnd: new Date(recentBase + k * STEP),
      features: { request_rate: 1000 + k },
      score: 0,
    }));
    for (let i = 0; i < old.length; i += 300) await h.store.db.insert(rollups).values(old.slice(i, i + 300));
    await h.store.db.insert(rollups).values(recent);
  }, 180_000);
  afterAll(async () => h?.close());

  it('takes the coarse step and its retention from the settings (hourly, a year, by default)', () => {
    expect(retentionPolicyOf(loadConfig({})).coarseRollups).toEqual({ stepSeconds: 3600, days: 365 });
    expect(policy.coarseRollups).toEqual({ stepSeconds: 3600, days: 365 });
  });

  it('folds fine windows past their retention into hourly rows and keeps the recent ones', async () => {
    const removed = await runRetention(h.store.db, policy, new Date(now));
    expect(removed.rollups).toBe(OLD);
    const rows = await h.store.db.select().from(rollups).where(eq(rollups.service, 'pay')).orderBy(asc(rollups.windowEnd));
    const coarse = rows.filter((r) => r.stepSeconds > 0);
    expect(rows.filter((r) => r.stepSeconds === 0)).toHaveLength(RECENT);
    expect(coarse.map((r) => [r.windowEnd.getTime(), r.stepSeconds])).toEqual([
      [base + HOUR, 3600],
      [base + 2 * HOUR, 3600],
    ]);
    const [first, second] = coarse as [(typeof coarse)[0], (typeof coarse)[0]];
    expect(first.features.request_rate).toBeCloseTo(mean(range(1, 360)), 9);
    expect(first.features.latency_p99_ms).toBeCloseTo(mean(range(1, 360).filter((k) => k % 2 === 0)), 9);
    expect(second.features.request_rate).toBeCloseTo(mean(range(361, 720)), 9);
    const band = first.expected.request_rate as [number, number, number];
    expect(band[0]).toBeCloseTo(180.5, 9);
    expect(band[1]).toBeCloseTo(179.5, 9);
    expect(band[2]).toBeCloseTo(181.5, 9);
    expect(first.callees).toEqual({ db: 720 });
    expect(first.calleeErrors).toEqual({ db: 90 });
    expect(first.score).toBeCloseTo(0.36, 9);
    expect(second.score).toBeCloseTo(0.72, 9);
    // A second run finds nothing more to fold.
    expect((await runRetention(h.store.db, policy, new Date(now))).rollups).toBe(0);
  });

  it('serves the coarse rows, the fine rows or both through the series endpoint', async () => {
    const iso = (t: number) => new Date(t).toISOString();
    const old = await h.app.inject(`/api/v1/services/pay/series?features=request_rate&from=${iso(base)}&to=${iso(base + 2 * HOUR)}&points=200`);
    expect(old.statusCode).toBe(200);
    const [rate] = old.json().series;
    expect(rate.points.map((p: { t: string }) => p.t)).toEqual([iso(base + HOUR), iso(base + 2 * HOUR)]);
    expect(rate.points[0].value).toBeCloseTo(180.5, 9);
    expect(rate.points[0].expected).toBeCloseTo(180.5, 9);
    expect(rate.points[1].value).toBeCloseTo(540.5, 9);
    // Over the whole range, 10 points: the first bucket (2 days) averages the two coarse rows, the one with the
    // recent fine windows averages those.
    const all = await h.app.inject(`/api/v1/services/pay/series?features=request_rate&from=${iso(base)}&to=${iso(now)}&points=10`);
    const [both] = all.json().series;
    expect(both.points.length).toBeLessThanOrEqual(10);
    expect(both.points[0].value).toBeCloseTo(360.5, 9);
    expect(both.points.at(-1).value).toBeCloseTo(mean(range(1001, 1000 + RECENT)), 6);
  });

  it('drops coarse rows past their own retention', async () => {
    const later = new Date(now + 400 * DAY);
    await runRetention(h.store.db, policy, later);
    expect(await h.store.db.select().from(rollups).where(eq(rollups.service, 'pay'))).toEqual([]);
  });
});
