import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One built asset, held in memory (the whole build is a few hundred kB). */
export interface WebAsset {
  body: Buffer;
  /** Content-Type header value. */
  type: string;
}

/** The built web UI: its index.html and its hashed assets by file name (`index-3f2a.js`). */
export interface WebBuild {
  dir: string;
  indexHtml: string;
  assets: Map<string, WebAsset>;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

/**
 * Where the build is looked for, first found wins: `dist/web/` of a checkout
 * (beside the TypeScript sources) and `web/` beside the compiled services
 * (an installed package, whose code runs from `dist/services/`).
 */
export function webBuildCandidates(): string[] {
  return [fileURLToPath(new URL('../../dist/web/', import.meta.url)), fileURLToPath(new URL('../../web/', import.meta.url))];
}

/** The first candidate directory holding an index.html, or null when the UI was never built. */
export function findWebBuild(candidates: string[] = webBuildCandidates()): string | null {
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? null;
}

/**
 * Reads a build directory made by `vite build` (index.html + assets/) into
 * memory. Asset names are fixed at load, so a request can only ever name a
 * file that was listed here (no path is built from the URL).
 */
export function loadWebBuild(dir: string): WebBuild {
  const assets = new Map<string, WebAsset>();
  const assetDir = join(dir, 'assets');
  if (existsSync(assetDir)) {
    for (const name of readdirSync(assetDir)) {
      const path = join(assetDir, name);
      if (!statSync(path).isFile()) continue;
      assets.set(name, { body: readFileSync(path), type: TYPES[extname(name)] ?? 'application/octet-stream' });
    }
  }
  return { dir, indexHtml: readFileSync(join(dir, 'index.html'), 'utf8'), assets };
}

/** Client-side routes of the UI: each answers index.html, the page is then drawn in the browser. */
export const WEB_CLIENT_ROUTES = ['/', '/login', '/incidents', '/incidents/:id', '/executions', '/executions/:id', '/playbooks', '/playbooks/:id'] as const;

/** The page `/` answers while the UI is not built: it says how to build it. */
export const WEB_NOT_BUILT_HTML =
  '<!doctype html><meta charset="utf-8"><title>zeroops</title>' +
  '<h1>The zeroops web UI is not built</h1>' +
  '<p>Build it with <code>make web</code> (or <code>npm run build:web</code>) in the zeroops checkout, then reload this page. ' +
  'The API itself works: see <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>' +
  '<p><small>ZEROOPS_WEB_NOT_BUILT</small></p>';
