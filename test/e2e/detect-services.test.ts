/**
 * `zeroops detect` on service history (the binary): a directory of
 * multivariate service CSVs with an injected fault, an OTLP/JSON export, and
 * bad input. The scores come from the live detector's models (seasonal
 * baselines and the neural model on the cpu backend).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnZeroops } from '../helpers/zeroops-process.ts';

const STEP = 300_000;
const ROWS = 1200;
const FAULT_AT = 1000;
const FAULT_LEN = 6;
const ENV = { ZEROOPS_DETECTOR_BACKEND: 'cpu', ZEROOPS_LOG_LEVEL: 'warn' };

/** A service with a daily cycle in three metrics and deterministic noise; `fault` adds a CPU and latency surge. */
function serviceCsv(seed: number, fault: boolean): string {
  const rows = ['timestamp,cpu,latency_ms,queue'];
  const t0 = Date.UTC(2023, 5, 1);
  for (let i = 0; i < ROWS; i++) {
    const day = Math.sin((2 * Math.PI * i * STEP) / 86_400_000);
    const noise = (k: number) => (((i * 7919 + seed * 104729 + k * 31) % 101) / 101 - 0.5) * 2;
    const hit = fault && i >= FAULT_AT && i < FAULT_AT + FAULT_LEN;
    const cpu = 40 + 15 * day + noise(1) * 2 + (hit ? 45 : 0);
    const latency = 120 + 30 * day + noise(2) * 5 + (hit ? 400 : 0);
    const queue = 10 + 3 * day + noise(3);
    rows.push(`${new Date(t0 + i * STEP).toISOString()},${cpu.toFixed(3)},${latency.toFixed(3)},${queue.toFixed(3)}`);
  }
  return `${rows.join('\n')}\n`;
}

const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);

/** OTLP/JSON export lines: one metrics request per 10 s window, a gauge per service. */
function otlpExport(windows: number, spikeAt: number): string {
  const t0 = Date.UTC(2022, 2, 1);
  const lines: string[] = [];
  for (let w = 0; w < windows; w++) {
    const t = t0 + w * 10_000 + 5_000;
    const resourceMetrics = ['api', 'db'].map((service, k) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeMetrics: [
        {
          scope: { name: 'export' },
          metrics: [
            {
              name: 'pool.used',
              gauge: { dataPoints: [{ timeUnixNano: ns(t), asDouble: (k === 1 && w === spikeAt ? 400 : 50) + ((w * 37 + k * 11) % 9) }] },
            },
          ],
        },
      ],
    }));
    lines.push(JSON.stringify({ resourceMetrics }));
  }
  return `${lines.join('\n')}\n`;
}

function scoresOf(file: string): { ts: string[]; score: number[]; header: string } {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const rows = lines.slice(1).map((l) => l.split(','));
  return { header: lines[0] as string, ts: rows.map((r) => r[0] as string), score: rows.map((r) => Number(r[1])) };
}

describe('zeroops detect on service history (the binary)', () => {
  it('scores a directory of service CSVs with the live models and finds the injected fault', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeroops-backtest-'));
    mkdirSync(join(dir, 'in'));
    writeFileSync(join(dir, 'in', 'checkout.csv'), serviceCsv(1, true));
    writeFileSync(join(dir, 'in', 'search.csv'), serviceCsv(2, false));
    const p = spawnZeroops(['detect', '--input', join(dir, 'in'), '--output', join(dir, 'out')], ENV);
    expect(await p.exited, p.stderr()).toBe(0);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['anomalies.jsonl', 'checkout.csv', 'incidents.json', 'search.csv']);
    const input = readFileSync(join(dir, 'in', 'checkout.csv'), 'utf8')
      .trim()
      .split('\n');
    const checkout = scoresOf(join(dir, 'out', 'checkout.csv'));
    expect(checkout.header).toBe('timestamp,anomaly_score');
    expect(checkout.ts).toEqual(input.slice(1).map((l) => l.split(',')[0]));
    expect(checkout.score.every((s) => s >= 0 && s <= 1)).toBe(true);
    // The fault's windows outscore everything of the last two days before it.
    const before = Math.max(...checkout.score.slice(FAULT_AT - 576, FAULT_AT));
    const during = Math.max(...checkout.score.slice(FAULT_AT, FAULT_AT + FAULT_LEN));
    expect(during).toBeGreaterThan(0.7);
    expect(during).toBeGreaterThan(before);
    expect(scoresOf(join(dir, 'out', 'search.csv')).score).toHaveLength(ROWS);

    const events = readFileSync(join(dir, 'out', 'anomalies.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const faultStart = Date.parse(checkout.ts[FAULT_AT] as string);
    const opened = events.find((e) => e.service === 'checkout' && e.episodeState === 'open' && e.windowStartUnixMs === faultStart);
    expect(opened, 'an event opens the fault in its first window').toBeDefined();
    expect(opened.evidence.map((e: { feature: string }) => e.feature)).toEqual(expect.arrayContaining(['metric:latency_ms']));
    expect(opened.attributes['zeroops.model_state']).toBeUndefined();
    const incidents = JSON.parse(readFileSync(join(dir, 'out', 'incidents.json'), 'utf8'));
    const incident = incidents.find((i: { id: string }) => i.id === opened.episodeId);
    expect(incident).toMatchObject({ service: 'checkout', state: 'resolved', openedAt: new Date(faultStart + STEP).toISOString() });
    expect(p.stderr()).toMatch(/scored 2400 windows of 2 service\(s\)/);
  }, 180_000);

  it('replays an OTLP/JSON export on its own clock (years old) into 10 s windows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeroops-backtest-otlp-'));
    writeFileSync(join(dir, 'export.jsonl'), otlpExport(300, 250));
    const p = spawnZeroops(['detect', '--input', join(dir, 'export.jsonl'), '--output', join(dir, 'out')], ENV);
    expect(await p.exited, p.stderr()).toBe(0);
    const db = scoresOf(join(dir, 'out', 'db.csv'));
    expect(db.score).toHaveLength(300);
    expect(db.ts[0]).toBe(new Date(Date.UTC(2022, 2, 1)).toISOString());
    expect(db.score.indexOf(Math.max(...db.score))).toBe(250);
    expect(db.score[250]).toBeGreaterThan(0.7);
    expect(Math.max(...scoresOf(join(dir, 'out', 'api.csv')).score.slice(100))).toBeLessThan(db.score[250] as number);
    const events = readFileSync(join(dir, 'out', 'anomalies.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.some((e) => e.service === 'db' && e.episodeState === 'open' && e.evidence[0]?.feature === 'metric:pool.used')).toBe(true);
  }, 180_000);

  it('names the file and line of bad input and exits non-zero', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeroops-backtest-bad-'));
    mkdirSync(join(dir, 'csv'));
    writeFileSync(join(dir, 'csv', 'svc.csv'), serviceCsv(3, false).replace(/\n(2023-06-01T00:15:00\.000Z),[^,]+,/, '\n$1,lots,'));
    const a = spawnZeroops(['detect', '--services', '--input', join(dir, 'csv'), '--output', join(dir, 'o1')], ENV);
    expect(await a.exited).toBe(1);
    expect(a.stderr()).toMatch(/ZEROOPS_DETECT_BAD_INPUT: .*svc\.csv:5: cpu "lots" is not a finite number/);

    writeFileSync(join(dir, 'bad.jsonl'), `${otlpExport(2, -1).split('\n')[0]}\n{"resourceSpans": [\n`);
    const b = spawnZeroops(['detect', '--input', join(dir, 'bad.jsonl'), '--output', join(dir, 'o2')], ENV);
    expect(await b.exited).toBe(1);
    expect(b.stderr()).toMatch(/ZEROOPS_DETECT_BAD_INPUT: .*bad\.jsonl:2: not JSON/);

    writeFileSync(join(dir, 'other.json'), '{"hello": "world"}');
    const c = spawnZeroops(['detect', '--input', join(dir, 'other.json'), '--output', join(dir, 'o3')], ENV);
    expect(await c.exited).toBe(1);
    expect(c.stderr()).toMatch(/other\.json: request 1: not an OTLP\/JSON export request/);
  }, 120_000);
});
