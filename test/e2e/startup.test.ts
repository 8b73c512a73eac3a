import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertKafkaReachable, testKafkaBrokers, uniqueName } from '../helpers/kafka.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { spawnZeroops } from '../helpers/zeroops-process.ts';

const freePorts = { ZEROOPS_API_PORT: '0', ZEROOPS_OTLP_HTTP_PORT: '0', ZEROOPS_OTLP_GRPC_PORT: '0' };

describe('zeroops start (the binary)', () => {
  it('embedded mode answers /readyz, then exits 0 on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zeroops-run-'));
    const p = spawnZeroops(['start'], { ...freePorts, ZEROOPS_DATA_DIR: dataDir });
    try {
      const [, api] = await p.waitFor(/API\s+(http:\/\/\S+)/, 30_000);
      expect(p.stdout()).toMatch(/OTLP HTTP\s+http:\/\/127\.0\.0\.1:\d+/);
      expect(p.stdout()).toMatch(/bus memory, store pglite/);
      const ready = await fetch(`${api}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', checks: { bus: 'ok', store: 'ok' } });
      expect((await fetch(`${api}/healthz`)).status).toBe(200);
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exited).toBe(0);
  });

  it('production mode (Kafka + Postgres) answers /readyz, then drains and exits 0 on SIGINT', async () => {
    await assertKafkaReachable();
    const db = await createTestDatabase();
    const p = spawnZeroops(['start'], {
      ...freePorts,
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      DATABASE_URL: db.url,
      ZEROOPS_TOPIC_PREFIX: `${uniqueName('start')}.`,
    });
    try {
      const [, api] = await p.waitFor(/API\s+(http:\/\/\S+)/, 60_000);
      expect(p.stdout()).toMatch(/bus kafka, store postgres/);
      const ready = await fetch(`${api}/readyz`);
      expect(await ready.json()).toMatchObject({ status: 'ready', bus: 'kafka', store: 'postgres' });
    } finally {
      p.child.kill('SIGINT');
    }
    expect(await p.exited, p.stderr()).toBe(0);
    await db.drop();
  });

  it('fails within 30 s naming Kafka when KAFKA_BROKERS points at a closed port', async () => {
    const t0 = Date.now();
    const p = spawnZeroops(['start'], {
      ...freePorts,
      KAFKA_BROKERS: '127.0.0.1:1',
      ZEROOPS_CONNECT_TIMEOUT_MS: '8000',
      ZEROOPS_DATA_DIR: mkdtempSync(join(tmpdir(), 'zeroops-run-')),
    });
    const code = await p.exited;
    expect(code).not.toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(p.stderr()).toMatch(/Kafka/);
    expect(p.stderr()).toContain('127.0.0.1:1');
  });

  it('fails within 30 s naming the database when DATABASE_URL cannot connect', async () => {
    const t0 = Date.now();
    const p = spawnZeroops(['start'], { ...freePorts, DATABASE_URL: 'postgres://zeroops:hunter2@127.0.0.1:1/zeroops', ZEROOPS_CONNECT_TIMEOUT_MS: '8000' });
    const code = await p.exited;
    expect(code).not.toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(p.stderr()).toContain('127.0.0.1:1');
    expect(p.stderr()).not.toContain('hunter2');
  });

  it('refuses an invalid setting, naming it', async () => {
    const p = spawnZeroops(['start'], { ZEROOPS_API_PORT: 'http' });
    expect(await p.exited).not.toBe(0);
    expect(p.stderr()).toMatch(/ZEROOPS_API_PORT: got "http", expected an integer/);
  });
});
