import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { findWebBuild, loadWebBuild, WEB_CLIENT_ROUTES, WEB_NOT_BUILT_HTML, type WebBuild } from '../../web/index.ts';
import type { RouteModule } from '../deps.ts';

/** Loads the build once and again whenever its index.html changes (a rebuild while the API runs). */
function buildCache(candidates?: string[]): () => WebBuild | null {
  let cached: WebBuild | null = null;
  let stamp = 0;
  return () => {
    const dir = findWebBuild(candidates);
    if (!dir) return null;
    const mtime = statSync(join(dir, 'index.html')).mtimeMs;
    if (!cached || cached.dir !== dir || mtime !== stamp) {
      cached = loadWebBuild(dir);
      stamp = mtime;
    }
    return cached;
  };
}

/**
 * The web UI at `/`: the client routes answer index.html (never cached, so a
 * new build is picked up), `/assets/<hashed name>` the built files (cached for
 * a year: their names change with their content). All `public`: the page
 * holds no data; the data stays behind the API's roles. Without a build, `/`
 * answers 503 with how to build it, and the API works as before.
 */
export function webUiRoutes(candidates?: string[]): RouteModule {
  return (app) => {
    const current = buildCache(candidates);
    const page = { schema: { hide: true }, config: { access: 'public' as const } };
    for (const url of WEB_CLIENT_ROUTES) {
      app.get(url, page, async (_req, reply) => {
        const build = current();
        void reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8');
        if (!build) return reply.status(503).send(WEB_NOT_BUILT_HTML);
        return reply.send(build.indexHtml);
      });
    }
    const assetParams = Type.Object({ file: Type.String({ pattern: '^[A-Za-z0-9._-]{1,200}$' }) });
    app.get('/assets/:file', { ...page, schema: { hide: true, params: assetParams } }, async (req, reply) => {
      const asset = current()?.assets.get(req.params.file);
      if (!asset) {
        return reply
          .status(404)
          .send({ error: { code: 'ZEROOPS_NOT_FOUND', message: `no web asset "${req.params.file}": reload the page (the UI was rebuilt)` } });
      }
      return reply.header('cache-control', 'public, max-age=31536000, immutable').type(asset.type).send(asset.body);
    });
  };
}
