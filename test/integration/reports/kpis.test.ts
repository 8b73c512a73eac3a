/**
 * The KPIs over the known history of history.ts, checked against figures
 * computed by hand, overall, per 12 h bucket and for one service, on both stores.
 */
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetry, silentLogger } from '../../../services/core/index.ts';
import { exportKpiMetrics } from '../../../services/reports/index.ts';
import { eventually, type ReportsHarness, SETUPS, startHarness } from './harness.ts';

/** A reader that exports only when asked (collect()). */
class PullReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

import { T0, writeHistory } from './history.ts';

const MIN = 60_000;
const range = `from=${new Date(T0).toISOString()}&to=${new Date(T0 + 24 * 60 * MIN).toISOString()}`;

/*
 * In range: incidents i1 (checkout, 10 min, auto), i2 (checkout, 30 min, human, needed a human),
 * i3 (cart, 20 min, self), i4 (cart, open from 20:00, needed a human); i0 opened the day before.
 * TTD 12, 15, 20, 40 s. Judged executions: e1 resolved, e2 resolved, e3 made_worse (e4 observe/skipped,
 * e5 awaiting approval). Labels: i1 false then true positive (latest wins), i2 false positive.
 * Deployments d1 (checkout 00:30, i1 at 01:00: failed), d2, d3, d5 (no incident within 1 h), d4 (cart 12:30, i3 at 13:00: failed).
 * Downtime: 10 + 30 + 20 + 240 (i4 until 24:00) = 300 min of 1440.
 */
const TOTALS = {
  incidents: 4,
  neededHumanShare: 0.5,
  autoRemediationRate: 1 / 3,
  verifiedFixRate: 2 / 3,
  harmRate: 1 / 3,
  falsePositiveRate: 0.5,
  ttdP50Ms: 15_000,
  ttdP90Ms: 40_000,
  ttrP50Ms: 20 * MIN,
  ttrP90Ms: 30 * MIN,
  ttrAutoP50Ms: 10 * MIN,
  ttrHumanP50Ms: 30 * MIN,
  mtbfMs: ((1440 - 300) / 4) * MIN,
  actionsByPlaybook: { restart: 2, rollback: 1 },
  deployments: 5,
  deploymentsPerDay: 5,
  changeFailureRate: 0.4,
};

const FIRST_HALF = {
  start: new Date(T0).toISOString(),
  incidents: 2,
  neededHumanShare: 0.5,
  autoRemediationRate: 0.5,
  verifiedFixRate: 1,
  harmRate: 0,
  falsePositiveRate: 0.5,
  ttdP50Ms: 12_000,
  ttdP90Ms: 15_000,
  ttrP50Ms: 10 * MIN,
  ttrP90Ms: 30 * MIN,
  ttrAutoP50Ms: 10 * MIN,
  ttrHumanP50Ms: 30 * MIN,
  mtbfMs: ((720 - 40) / 2) * MIN,
  actionsByPlaybook: { restart: 1, rollback: 1 },
  deployments: 4,
  deploymentsPerDay: 8,
  changeFailureRate: 0.25,
};

const SECOND_HALF = {
  start: new Date(T0 + 720 * MIN).toISOString(),
  incidents: 2,
  neededHumanShare: 0.5,
  autoRemediationRate: 0,
  verifiedFixRate: 0,
  harmRate: 1,
  falsePositiveRate: null,
  ttdP50Ms: 20_000,
  ttdP90Ms: 40_000,
  ttrP50Ms: 20 * MIN,
  ttrP90Ms: 20 * MIN,
  ttrAutoP50Ms: null,
  ttrHumanP50Ms: null,
  mtbfMs: ((720 - 20 - 240) / 2) * MIN,
  actionsByPlaybook: { restart: 1 },
  deployments: 1,
  deploymentsPerDay: 2,
  changeFailureRate: 1,
};

// checkout's incidents, i1 and i2, are the first half's: the same incident figures over the whole day,
// with checkout's own time between failures and deployments (d1 failed, d3 did not).
const { start: _firstHalfStart, ...firstHalfFigures } = FIRST_HALF;
const CHECKOUT = {
  ...firstHalfFigures,
  mtbfMs: ((1440 - 40) / 2) * MIN,
  deployments: 2,
  deploymentsPerDay: 2,
  changeFailureRate: 0.5,
};

function close(actual: Record<string, unknown>, expected: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(expected)) {
    if (typeof v === 'number') expect(actual[k], k).toBeCloseTo(v, 9);
    else expect(actual[k], k).toEqual(v);
  }
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
}

describe.each(SETUPS)('KPIs on $name', (setup) => {
  let h: ReportsHarness;

  beforeAll(async () => {
    h = await startHarness(setup);
    await writeHistory(h.store.db);
  }, 180_000);
  afterAll(async () => h?.close());

  it('computes every KPI of the range, overall and per bucket', async () => {
    const res = await h.app.inject(`/api/v1/kpis?${range}&bucket=12h`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ service: null, from: new Date(T0).toISOString() });
    close(body.totals, TOTALS);
    expect(body.buckets).toHaveLength(2);
    close(body.buckets[0], FIRST_HALF);
    close(body.buckets[1], SECOND_HALF);
  });

  it('computes them for one service', async () => {
    const body = (await h.app.inject(`/api/v1/kpis?${range}&bucket=1d&service=checkout`)).json();
    expect(body.service).toBe('checkout');
    close(body.totals, CHECKOUT);
  });

  it('refuses bad ranges and buckets with a message', async () => {
    const many = await h.app.inject(`/api/v1/kpis?${range}&bucket=1s`);
    expect(many.statusCode).toBe(400);
    expect(many.json().error.message).toMatch(/more than 1000/);
    expect((await h.app.inject(`/api/v1/kpis?${range}&bucket=soon`)).json().error.code).toBe('ZEROOPS_REQUEST_INVALID');
    const backwards = await h.app.inject(`/api/v1/kpis?from=${new Date(T0 + MIN).toISOString()}&to=${new Date(T0).toISOString()}`);
    expect(backwards.json().error.message).toMatch(/earlier/);
  });

  it('exports the KPIs as OpenTelemetry gauges', async () => {
    const reader = new PullReader();
    const provider = new MeterProvider({ readers: [reader] });
    const telemetry = { ...createTelemetry(), meter: provider.getMeter('zeroops') };
    // A range reaching back before the history: i0 to i4, five incidents.
    const stop = exportKpiMetrics({ db: h.store.db, telemetry, logger: silentLogger(), changeFailureMs: 3_600_000, rangeMs: Date.now() - T0 + 86_400_000 });
    const value = async (name: string) => {
      const { resourceMetrics } = await reader.collect();
      const m = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((x) => x.descriptor.name === name);
      return m?.dataPoints[0]?.value as number | undefined;
    };
    await eventually(async () => (await value('zeroops.kpi.incidents')) === 5);
    expect(await value('zeroops.kpi.deployments')).toBe(5);
    expect(await value('zeroops.kpi.verified_fix_rate')).toBeCloseTo(2 / 3, 9);
    stop();
    await provider.shutdown();
  });
});
