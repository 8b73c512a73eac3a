/**
 * A process that runs no API (`zeroops executor` here) serves /healthz and
 * /readyz on ZEROOPS_HEALTH_PORT, as Kubernetes probes need: alive from the
 * start, ready once its consumer joined, 404 elsewhere, and it exits 0 on
 * SIGTERM. Real Kafka and Postgres.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertKafkaReachable, testKafkaBrokers, uniqueName } from '../helpers/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { freePort, spawnZeroops, type ZeroopsProcess } from '../helpers/zeroops-process.ts';

let db: TestDatabase;
let proc: ZeroopsProcess | undefined;

beforeAll(async () => {
  await assertKafkaReachable();
  db = await createTestDatabase();
});
afterAll(async () => {
  proc?.child.kill('SIGKILL');
  await db?.drop();
});

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

it('zeroops executor serves /healthz and /readyz on ZEROOPS_HEALTH_PORT and nothing else', async () => {
  const port = await freePort();
  proc = spawnZeroops(['executor'], {
    KAFKA_BROKERS: testKafkaBrokers().join(','),
    DATABASE_URL: db.url,
    ZEROOPS_TOPIC_PREFIX: `${uniqueName('health')}.`,
    ZEROOPS_TOPIC_PARTITIONS: '2',
    ZEROOPS_HEALTH_PORT: String(port),
  });
  const base = `http://127.0.0.1:${port}`;
  let ready: { status: number; body: Record<string, unknown> } | undefined;
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    ready = await get(`${base}/readyz`);
    if (ready?.status === 200) break;
    if (ready) expect(ready.status).toBe(503);
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(ready, `never ready:\n${proc.stderr()}`).toMatchObject({ status: 200, body: { status: 'ready', components: { executor: 'ok' } } });
  expect(await get(`${base}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
  expect((await get(`${base}/api/v1/playbooks`))?.status).toBe(404);
  expect(proc.stdout()).toContain(`Health     ${base}/healthz`);
  proc.child.kill('SIGTERM');
  expect(await proc.exited).toBe(0);
}, 300_000);
