/**
 * The incident report as Markdown (`GET /api/v1/incidents/:id/report?format=md`)
 * of a real incident: a real `zeroops start` fed through OTLP by the
 * OpenTelemetry SDK's exporters with traffic of a call chain frontend -> cart
 * -> db, where an error fault is injected into cart (the callee) and its
 * caller fails with it. A suggest-mode playbook waits for approval and an
 * operator approves it; the incident is labelled. The Markdown of frontend's
 * incident must read well pasted into a ticket: the title says service, kind
 * and severity; the deviating features show observed vs expected with units;
 * the root-cause ranking names cart first; the actions list the execution with
 * its steps; the timeline lists the anomaly windows and the execution; no
 * `undefined`/`NaN`/`[object Object]`; every table row has the header's cells.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type HttpTarget, startHttpTarget } from '../helpers/http-target.ts';
import { INCIDENT_REPORT_SECTIONS, markdownProblems, markdownSections, markdownTables, tableCells } from '../helpers/markdown-check.ts';
import { sendCallChainWindows } from '../helpers/otlp-call-graph.ts';
import { startZeroopsOnFreePorts, type ZeroopsProcess } from '../helpers/zeroops-process.ts';

const WINDOW_MS = 1000;
const BASELINE = 50;
const FAULTY = 6;
const TOKEN = 'report-md-operator-token-0123456789';
const ARTEFACTS = join(import.meta.dirname, '../../test-results/reports');

describe('incident report Markdown of a call-chain fault, from a real zeroops start', () => {
  let zeroops: ZeroopsProcess;
  let target: HttpTarget;
  let api: string;
  let otlp: string;

  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${api}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const json = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const res = await call(path, init);
    const body = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${body}`);
    return JSON.parse(body) as T;
  };

  beforeAll(async () => {
    target = await startHttpTarget();
    ({ zeroops, api, otlp } = await startZeroopsOnFreePorts('report-md', WINDOW_MS, { ZEROOPS_API_TOKENS: `admin:${TOKEN}` }));
    await json('/api/v1/playbooks', {
      method: 'POST',
      body: JSON.stringify({
        name: 'restart-cart',
        mode: 'suggest',
        match: { service: 'frontend', kinds: ['errors'] },
        guardrails: { cooldownSeconds: 0, maxConcurrent: 5 },
        steps: [{ id: 'restart', type: 'http', http: { method: 'POST', url: `${target.url}/restart/cart` } }],
      }),
    });
  }, 300_000);

  afterAll(async () => {
    zeroops?.child.kill('SIGTERM');
    await zeroops?.exited;
    await target?.close();
  });

  it('reads well: title, deviating features with units, cart ranked first, the execution, the timeline, well-formed tables', async () => {
    const first = Math.floor((Date.now() - 100_000) / WINDOW_MS) * WINDOW_MS;
    await sendCallChainWindows(() => new OTLPTraceExporter({ url: `${otlp}/v1/traces` }), {
      chain: ['frontend', 'cart', 'db'],
      firstWindowMs: first,
      windowMs: WINDOW_MS,
      windows: BASELINE + FAULTY,
      perWindow: 30,
      failFrom: { cart: BASELINE },
      errorShare: 0.7,
    });
    // frontend's incident and the execution the playbook proposed for it.
    const incident = await eventually(
      "frontend's incident",
      async () => (await json<{ items: { id: string }[] }>('/api/v1/incidents?service=frontend')).items[0],
      60_000,
    );
    const waiting = await eventually(
      'the execution waiting for approval',
      async () => (await json<{ items: { id: string; status: string }[] }>('/api/v1/executions?status=awaiting_approval')).items[0],
      30_000,
    );
    await json(`/api/v1/executions/${waiting.id}/approve`, { method: 'POST', body: '{}' });
    await target.waitFor((r) => r.method === 'POST' && r.url === '/restart/cart', 1, 30_000);
    await eventually(
      'the execution to finish',
      async () => (await json<{ status: string }>(`/api/v1/executions/${waiting.id}`)).status === 'succeeded',
      30_000,
    );
    await json(`/api/v1/incidents/${encodeURIComponent(incident.id)}/feedback`, {
      method: 'POST',
      body: JSON.stringify({ label: 'true_positive', note: 'cart | failing, | in the note' }),
    });

    const res = await call(`/api/v1/incidents/${encodeURIComponent(incident.id)}/report?format=md`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/markdown/);
    const md = await res.text();
    mkdirSync(ARTEFACTS, { recursive: true });
    writeFileSync(join(ARTEFACTS, 'call-chain-incident.md'), md);

    expect(markdownProblems(md)).toEqual([]);
    expect(md.split('\n')[0]).toMatch(
      new RegExp(`^# Incident ${incident.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: errors on frontend \\(severity (warning|critical)\\)$`),
    );
    expect(markdownSections(md)).toEqual(INCIDENT_REPORT_SECTIONS);

    // Deviating signals: error_ratio observed far above expected, in its unit.
    const tables = markdownTables(md);
    const signals = tables[0] ?? [];
    expect(tableCells(signals[0] ?? '')).toEqual(['Feature', 'Observed', 'Expected', 'Expected band', 'Deviation', 'Unit']);
    const errorRow = signals.map(tableCells).find((c) => c[0] === 'error_ratio');
    expect(errorRow, md).toBeDefined();
    const [, observed, expected, band, deviation, unit] = errorRow as string[];
    expect(Number(observed)).toBeGreaterThan(0.4);
    expect(Number(expected)).toBeLessThan(0.1);
    expect(band).toMatch(/^\S+ \.\. \S+$/);
    expect(Number(deviation)).toBeGreaterThan(0);
    expect(unit).toBe('ratio of failed requests (0..1)');
    expect(md).toMatch(/Deviation is in robust standard deviations/);

    // Root cause: cart (the callee whose own spans fail) ranks first; frontend calls it with failures.
    const ranking = [...md.matchAll(/^(\d+)\. \*\*([^*]+)\*\* \(score ([\d.e-]+)\): (.+)$/gm)];
    expect(ranking.length, md).toBeGreaterThan(0);
    expect(ranking[0]?.[2]).toBe('cart');
    expect(Number(ranking[0]?.[3])).toBeGreaterThan(0);
    expect(md).toMatch(/Calls from frontend in the period: .*cart \(\d+ calls, [1-9]\d* failed: [\d.]+ %\)/);

    // Actions: the approved execution with its step.
    expect(md).toMatch(/^- \*\*restart-cart\*\* v1 \(suggest\): succeeded, outcome \S+/m);
    expect(md).toMatch(/^ {2}- restart \(http\): succeeded$/m);

    // Labels: the note's pipes are escaped, not table breakers.
    expect(md).toContain('- true_positive by ');

    // Timeline: a table of the anomaly windows, the execution and the label, in time order.
    const timeline = tables.at(-1) ?? [];
    expect(tableCells(timeline[0] ?? '')).toEqual(['Time (UTC)', 'Event', 'Detail']);
    const rows = timeline.slice(2).map(tableCells);
    expect(rows.filter((r) => r[1] === 'anomaly').length).toBeGreaterThan(0);
    expect(rows.some((r) => r[1] === 'execution' && /restart-cart v1 started/.test(r[2] ?? ''))).toBe(true);
    expect(rows.some((r) => r[1] === 'label' && /true_positive/.test(r[2] ?? ''))).toBe(true);
    const times = rows.map((r) => r[0] ?? '').filter((t) => t !== '…');
    expect(times.every((t) => !Number.isNaN(Date.parse(t)))).toBe(true);
    expect([...times].sort()).toEqual(times);
  }, 150_000);
});
