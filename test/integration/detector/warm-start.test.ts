/**
 * Warm start from a backtest: `zeroops detect --save-state` over an OTLP/JSON
 * export of a service's old history (2024) stores the fleet models as the
 * detector's checkpoints; a detector started afterwards restores that
 * service past its warm-up (its first live fault is reported at full
 * severity, without the warming-up mark), while a service it never saw is
 * still warming up. On both buses and both stores.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runServiceBacktest } from '../../../services/cli/backtest/backtest-command.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { anomalies, detectorCheckpoints } from '../../../services/store/index.ts';
import { assertKafkaReachable, testKafkaBrokers, uniqueName } from '../../helpers/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';
import { type Env, type Injection, openEnv, publishWindows, startDetector, WINDOW_MS, waitForRollups } from './fleet-fixture.ts';

const WARM = 'warm-checkout';
const COLD = 'cold-cart';
const HISTORY_WINDOWS = 240;
const LIVE_WINDOWS = 24;
const FAULT: Injection[] = [
  { service: WARM, from: 12, to: 20, kind: 'errors' },
  { service: COLD, from: 12, to: 20, kind: 'errors' },
];
const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
const hex = (n: number, len: number) => n.toString(16).padStart(len, '0').slice(-len);

/** One OTLP/JSON export request line: 22 server spans of `service` in window `w` from `firstMs`, 20-26 ms, rarely failing. */
function historyLine(service: string, w: number, firstMs: number): string {
  const spans = Array.from({ length: 22 }, (_, i) => {
    const start = firstMs + w * WINDOW_MS + Math.floor((i * WINDOW_MS) / 24);
    return {
      traceId: hex(w * 1000 + i, 32),
      spanId: hex(w * 100 + i + 1, 16),
      name: 'GET /',
      kind: 2,
      startTimeUnixNano: ns(start),
      endTimeUnixNano: ns(start + 20 + ((w * 13 + i) % 7)),
      status: (w + i) % 97 === 0 ? { code: 2 } : {},
    };
  });
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: service } }] };
  return JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'history' }, spans }] }] });
}

const modes = [
  { name: 'in-process bus + PGlite', env: async () => ({}) },
  {
    name: 'Kafka + Postgres',
    env: async () => {
      await assertKafkaReachable();
      const db = await createTestDatabase();
      dbs.push(db);
      return { KAFKA_BROKERS: testKafkaBrokers().join(','), DATABASE_URL: db.url, ZEROOPS_TOPIC_PREFIX: `${uniqueName('backtest-warm')}.` };
    },
  },
];
const dbs: TestDatabase[] = [];
const envs: Env[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const e of envs) await e.close();
  for (const d of dbs) await d.drop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe.each(modes)('warm start from a backtest ($name)', (mode) => {
  it('a detector started after the backtest is past warm-up for the services of the history', async () => {
    const env = await openEnv({ ZEROOPS_DETECTOR_NEURAL: 'false', ...(await mode.env()) });
    envs.push(env);
    const dir = await mkdtemp(join(tmpdir(), 'zeroops-backtest-warm-'));
    dirs.push(dir);
    const old = Date.UTC(2024, 0, 1);
    const lines = Array.from({ length: HISTORY_WINDOWS }, (_, w) => historyLine(WARM, w, old));
    await writeFile(join(dir, 'export.jsonl'), `${lines.join('\n')}\n`);
    const summary = await runServiceBacktest({
      input: join(dir, 'export.jsonl'),
      output: join(dir, 'out'),
      config: env.config,
      saveState: true,
      store: env.store,
      logger: silentLogger(),
    });
    expect(summary).toMatchObject({ services: 1, windows: HISTORY_WINDOWS });
    expect(summary.saved?.services).toBe(1);
    const rows = await env.store.db.select().from(detectorCheckpoints);
    expect(rows.some((r) => JSON.stringify(r.state).includes(WARM))).toBe(true);

    const { detector, telemetry } = await startDetector(env);
    try {
      const first = Math.floor((Date.now() - 120_000) / WINDOW_MS) * WINDOW_MS;
      await publishWindows(env.bus, env.topics.traces, [WARM, COLD], 0, LIVE_WINDOWS, first, FAULT);
      await waitForRollups(env.store, 2 * (LIVE_WINDOWS - 1), 90_000);
      await detector.flush();
      expect(telemetry.snapshot()['zeroops.detector.restored_services']).toBeGreaterThanOrEqual(1);
      const events = await env.store.db.select().from(anomalies);
      const warm = events.filter((e) => e.service === WARM);
      const opened = warm.find((e) => e.episodeState === 'open' && e.windowStart.getTime() === first + 12 * WINDOW_MS);
      expect(opened, 'the warm service reports the fault in its first window').toBeDefined();
      expect(opened?.kind).toBe('errors');
      expect(warm.every((e) => e.attributes['zeroops.model_state'] === undefined)).toBe(true);
      expect(opened?.severity).not.toBe('info');
      // The service the history did not hold is still learning: whatever it reports is marked as warming up.
      const cold = events.filter((e) => e.service === COLD);
      expect(cold.length).toBeGreaterThan(0);
      expect(cold.every((e) => e.attributes['zeroops.model_state'] === 'warming_up')).toBe(true);
    } finally {
      await detector.stop();
    }
  }, 240_000);
});
