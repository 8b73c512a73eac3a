/**
 * The API serves the web UI: client routes answer index.html (never cached),
 * hashed assets are cached for a year, all without a token while the data
 * routes keep their roles; without a build `/` says how to build it and the
 * API still works.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../../services/api/deps.ts';
import { type ApiApp, buildApiApp } from '../../../services/api/index.ts';
import { webUiRoutes } from '../../../services/api/routes/web-ui.ts';
import { createMemoryBus, topicNames } from '../../../services/bus/index.ts';
import { createTelemetry, loadConfig, silentLogger } from '../../../services/core/index.ts';
import { createStore, MEMORY_DATA_DIR, type Store } from '../../../services/store/index.ts';
import { ensureWebBuild } from '../../helpers/web-build.ts';

describe('web UI routes', () => {
  let store: Store;
  let app: ApiApp;

  beforeAll(async () => {
    ensureWebBuild();
    store = await createStore({ databaseUrl: '', dataDir: MEMORY_DATA_DIR, poolSize: 1, connectTimeoutMs: 10_000, logger: silentLogger() });
    const config = loadConfig({ ZEROOPS_API_TOKENS: 'viewer:web-viewer-token-1234567890' }, { apiPort: 0 });
    app = await buildApiApp({ store, bus: createMemoryBus(), config, logger: silentLogger(), telemetry: createTelemetry(), topics: topicNames('') });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('answers index.html at / and at client routes, without a token and uncached', async () => {
    for (const url of ['/', '/incidents', '/incidents/ep-123', '/executions/x', '/playbooks', '/login']) {
      const r = await app.inject({ url });
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/html/);
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.body).toContain('<div id="app">');
      expect(r.body).toMatch(/src="\/assets\/index-[\w-]+\.js"/);
    }
  });

  it('serves the hashed assets with a year of caching, and 404 for an unknown one', async () => {
    const html = (await app.inject({ url: '/' })).body;
    const js = html.match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
    const css = html.match(/href="(\/assets\/[^"]+\.css)"/)?.[1];
    expect(js && css).toBeTruthy();
    const r = await app.inject({ url: js! });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/javascript/);
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.body.length).toBeGreaterThan(10_000);
    expect((await app.inject({ url: css! })).headers['content-type']).toMatch(/^text\/css/);
    const missing = await app.inject({ url: '/assets/index-nothere.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('ZEROOPS_NOT_FOUND');
    // No path is ever built from the URL: traversal spellings match no asset name (at most the page itself).
    for (const url of ['/assets/..%2f..%2fpackage.json', '/assets/%2e%2e', '/assets/../package.json', '/assets/..%2f..%2f..%2fpackage.json']) {
      const t = await app.inject({ url });
      expect(t.body, url).not.toContain('"devDependencies"');
      if (t.statusCode === 200) expect(t.body, url).toContain('<div id="app">');
      else expect([400, 401, 404], url).toContain(t.statusCode);
    }
  });

  it('keeps the data behind the roles: the page is public, the API answers 401 without a token', async () => {
    expect((await app.inject({ url: '/api/v1/incidents' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/v1/executions' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/incidents' })).statusCode).toBe(200);
  });
});

describe('web UI not built', () => {
  it('answers / with 503 and how to build it; the other routes still register', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'zeroops-noweb-'));
    expect(existsSync(join(empty, 'index.html'))).toBe(false);
    const app = Fastify();
    await webUiRoutes([empty])(app as unknown as ApiApp, {} as ApiDeps);
    app.get('/healthz', async () => ({ status: 'ok' }));
    const r = await app.inject({ url: '/' });
    expect(r.statusCode).toBe(503);
    expect(r.body).toContain('make web');
    expect(r.body).toContain('ZEROOPS_WEB_NOT_BUILT');
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    await app.close();
  });
});
