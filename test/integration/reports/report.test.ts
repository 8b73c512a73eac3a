/**
 * The incident report (JSON and Markdown) and the series endpoint, over a
 * known history, on both stores.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markdownProblems, markdownTables, tableCells } from '../../helpers/markdown-check.ts';
import { type ReportsHarness, SETUPS, startHarness } from './harness.ts';
import { T0, writeHistory } from './history.ts';

describe.each(SETUPS)('incident report on $name', (setup) => {
  let h: ReportsHarness;

  beforeAll(async () => {
    h = await startHarness(setup);
    await writeHistory(h.store.db);
  }, 180_000);
  afterAll(async () => h?.close());

  it('assembles the report of an incident', async () => {
    const res = await h.app.inject('/api/v1/incidents/i1/report');
    expect(res.statusCode).toBe(200);
    const r = res.json();
    expect(r.incident).toMatchObject({ id: 'i1', service: 'checkout', state: 'closed', resolvedBy: 'auto' });
    expect(r.timeline.map((t: { anomalyId: string }) => t.anomalyId)).toEqual(['i1:open', 'i1:peak']);
    expect(r.modelVersion).toBe('test-model-2');
    // The peak's evidence; the band of error_ratio is the one stored at that window, latency's is derived from its deviation.
    expect(r.features).toEqual([
      { feature: 'error_ratio', unit: 'ratio of failed requests (0..1)', observed: 0.5, expected: 0.01, lower: 0, upper: 0.04, deviation: 12 },
      // latency's derived band (120 ± 3 * 156) starts at 0: a latency is never negative.
      { feature: 'latency_p99_ms', unit: 'ms', observed: 900, expected: 120, lower: 0, upper: 120 + 3 * 156, deviation: 5 },
    ]);
    const err = r.series.find((s: { feature: string }) => s.feature === 'error_ratio');
    // 30 min before opening (00:30) to 10 min after closing (01:20): 51 one-minute windows.
    expect(err.points).toHaveLength(51);
    expect(err.points[0]).toEqual({ t: new Date(T0 + 30 * 60_000).toISOString(), value: 0.01, expected: 0.01, lower: 0, upper: 0.05 });
    expect(r.rootCauses).toEqual([
      { service: 'payments', rank: 1, score: 0.8, reason: 'payments became anomalous 40 s before checkout' },
      { service: 'checkout', rank: 2, score: 0.3, reason: 'the service itself' },
    ]);
    expect(r.neighbourhood.nodes).toEqual(
      expect.arrayContaining([
        { service: 'checkout', state: 'healthy', root: false },
        { service: 'payments', state: 'healthy', root: true },
      ]),
    );
    // Failed calls: 20 in each bad window (01:00, 01:02 to 01:05) and 30 at the peak (01:01).
    expect(r.neighbourhood.edges).toEqual(
      expect.arrayContaining([
        { from: 'checkout', to: 'payments', calls: 51 * 40, errors: 5 * 20 + 30 },
        { from: 'checkout', to: 'db', calls: 50 * 10, errors: 0 },
      ]),
    );
    expect(r.executions).toMatchObject([
      { id: 'e1', playbookName: 'restart', playbookVersion: 1, mode: 'auto', outcome: 'resolved', steps: [{ name: 'restart pods' }, { name: 'verify' }] },
    ]);
    // checkout's v1 -> v2 and its callee payments' p7 -> p8, both within the hour before opening.
    expect(r.deployments).toEqual([
      { service: 'payments', oldVersion: 'p7', newVersion: 'p8', firstSeen: new Date(T0 + 45 * 60_000).toISOString() },
      { service: 'checkout', oldVersion: 'v1', newVersion: 'v2', firstSeen: new Date(T0 + 30 * 60_000).toISOString() },
    ]);
    expect(r.labels.map((l: { label: string }) => l.label)).toEqual(['false_positive', 'true_positive']);
  });

  it('says the unit of every number in the report', async () => {
    const r = (await h.app.inject('/api/v1/incidents/i1/report')).json();
    const paths = new Set<string>();
    const walk = (v: unknown, path: string) => {
      if (typeof v === 'number') paths.add(path);
      else if (Array.isArray(v)) for (const x of v) walk(x, `${path}[]`);
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (path !== 'units') walk(x, path ? `${path}.${k}` : k);
    };
    walk(r, '');
    expect(paths.size).toBeGreaterThan(8);
    for (const p of paths) expect(r.units[p], `no unit for ${p}`).toEqual(expect.any(String));
    expect(r.units['features[].deviation']).toMatch(/robust standard deviations/);
  });

  it('renders it as Markdown with every section', async () => {
    const res = await h.app.inject('/api/v1/incidents/i1/report?format=md');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/markdown/);
    const md = res.body;
    const sections = [...md.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(sections).toEqual(['Summary', 'Deviating signals', 'Root cause', 'Actions', 'Deployments', 'Labels', 'Timeline']);
    expect(md).toMatch(/^# Incident i1: errors on checkout \(severity [a-z]+\)$/m);
    expect(md).toContain('| error_ratio | 0.5 | 0.01 | 0 .. 0.04 | 12 | ratio of failed requests (0..1) |');
    expect(md).toContain('1. **payments** (score 0.8)');
    expect(md).toContain('payments (2040 calls, 130 failed: 6.373 %)');
    expect(md).toContain('- **restart** v1 (auto): succeeded, outcome resolved');
    expect(md).toContain('- checkout: v1 → v2 at 2026-01-01T00:30:00.000Z');
    expect(md).toContain('- true_positive by token:test');
    // The timeline: both anomaly events, the execution started and finished, the labels and the closing, in time order.
    const timeline = (markdownTables(md).at(-1) ?? []).slice(2).map(tableCells);
    expect(timeline.filter((c) => c[1] === 'anomaly')).toHaveLength(2);
    expect(timeline.filter((c) => c[1] === 'execution').map((c) => c[2])).toEqual(['restart v1 started (auto)', 'restart v1 succeeded, outcome resolved']);
    expect(timeline.some((c) => c[1] === 'incident' && c[2] === 'closed (resolved by auto)')).toBe(true);
    expect(timeline.map((c) => c[0])).toEqual(timeline.map((c) => c[0]).sort());
    expect(markdownProblems(md)).toEqual([]);
  });

  it('answers 404 for an unknown incident and 400 for an unknown format', async () => {
    expect((await h.app.inject('/api/v1/incidents/nope/report')).json().error.code).toBe('ZEROOPS_NOT_FOUND');
    expect((await h.app.inject('/api/v1/incidents/i1/report?format=pdf')).statusCode).toBe(400);
  });

  it('serves a service series downsampled to the points asked for', async () => {
    const from = new Date(T0 + 30 * 60_000).toISOString();
    const to = new Date(T0 + 90 * 60_000).toISOString();
    const res = await h.app.inject(`/api/v1/services/checkout/series?features=error_ratio,request_rate,nothing&from=${from}&to=${to}&points=6`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ service: 'checkout', from, to });
    const [err, rate, nothing] = body.series;
    expect(err.points).toHaveLength(6);
    expect(rate.points.every((p: { value: number }) => p.value === 100)).toBe(true);
    expect(nothing).toEqual({ feature: 'nothing', unit: '', points: [] });
    // Bucket 3 covers 01:00..01:10: windows 01:00 to 01:05 at 0.5 and 01:06 to 01:09 at 0.01.
    const third = err.points[3];
    expect(third.value).toBeCloseTo((6 * 0.5 + 4 * 0.01) / 10, 10);
    expect(third.expected).toBeCloseTo(0.01, 10);
    const bad = await h.app.inject(`/api/v1/services/checkout/series?from=${to}&to=${from}`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/earlier/);
  });
});
