/**
 * The API serves HTTPS when ZEROOPS_TLS_CERT_FILE and ZEROOPS_TLS_KEY_FILE
 * are set (a certificate made at test time), and says so in its address.
 */
import { get } from 'node:https';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiServer } from '../../../services/api/index.ts';
import { createMemoryBus } from '../../../services/bus/index.ts';
import { topicNames } from '../../../services/bus/topics.ts';
import { loadConfig } from '../../../services/core/config.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { createStore, MEMORY_DATA_DIR, type Store } from '../../../services/store/index.ts';
import { makeTestCerts, type TestCerts } from '../../helpers/tls-certs.ts';

let certs: TestCerts;
let store: Store;
let api: ReturnType<typeof createApiServer>;

beforeAll(async () => {
  certs = makeTestCerts();
  store = await createStore({ databaseUrl: '', dataDir: MEMORY_DATA_DIR, poolSize: 1, connectTimeoutMs: 10_000, logger: silentLogger() });
  const config = loadConfig({ ZEROOPS_API_PORT: '0', ZEROOPS_TLS_CERT_FILE: certs.certFile, ZEROOPS_TLS_KEY_FILE: certs.keyFile });
  api = createApiServer({ store, bus: createMemoryBus(), config, logger: silentLogger(), telemetry: createTelemetry(), topics: topicNames('') }, config);
  await api.start();
});

afterAll(async () => {
  await api?.stop();
  await store?.close();
  certs?.remove();
});

function getJson(url: string): Promise<{ status: number; body: string; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    get(url, { ca: certs.ca, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, authorized: (res.socket as import('node:tls').TLSSocket).authorized }));
    }).on('error', reject);
  });
}

it('serves /healthz over HTTPS with the configured certificate, and not over plain HTTP', async () => {
  expect(api.address()).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const res = await getJson(`${api.address()}/healthz`);
  expect(res.status).toBe(200);
  expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
  expect(res.authorized).toBe(true);
  const plain = await fetch(api.address().replace('https:', 'http:') + '/healthz').then(
    (r) => r.status,
    (err: Error) => err.name,
  );
  expect(plain).not.toBe(200);
});

it('refuses to start on an unreadable certificate file, naming the setting', () => {
  const config = loadConfig({ ZEROOPS_API_PORT: '0', ZEROOPS_TLS_CERT_FILE: `${certs.dir}/missing.pem`, ZEROOPS_TLS_KEY_FILE: certs.keyFile });
  const bad = createApiServer({ store, bus: createMemoryBus(), config, logger: silentLogger(), telemetry: createTelemetry(), topics: topicNames('') }, config);
  return expect(bad.start()).rejects.toThrow(/ZEROOPS_TLS_CERT_FILE: cannot read .*missing\.pem/);
});
