/**
 * `make bench-ui`: the web UI's first page load with 10,000 incidents in the
 * store. A real `zeroops start` (Postgres, in-process bus) over a fresh
 * database filled with 10,000 incidents over 30 days (50 of them open), then
 * headless Chromium opens `/` in a fresh context (empty cache) N times and
 * times navigation start -> the KPI tiles and the open-incident list drawn.
 * Prints each run and the median. Usage: bench-ui.ts [runs=5]
 */
import { loadavg } from 'node:os';
import pg from 'pg';
import { launchChromium, screenshot } from '../../helpers/browser.ts';
import { createTestDatabase } from '../../helpers/postgres.ts';
import { ensureWebBuild } from '../../helpers/web-build.ts';
import { spawnZeroops } from '../../helpers/zeroops-process.ts';

const INCIDENTS = 10_000;
const OPEN = 50;
const SERVICES = Array.from({ length: 40 }, (_, i) => `svc-${String(i).padStart(2, '0')}`);

/** Inserts the incidents in batches of 1,000 (one multi-row INSERT each). */
async function fill(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const now = Date.now();
  const span = 30 * 86_400_000;
  for (let start = 0; start < INCIDENTS; start += 1000) {
    const values: unknown[] = [];
    const rows: string[] = [];
    for (let i = start; i < Math.min(INCIDENTS, start + 1000); i++) {
      const opened = new Date(now - span + Math.floor((i / INCIDENTS) * span));
      const open = i >= INCIDENTS - OPEN;
      const closed = open ? null : new Date(opened.getTime() + 60_000 + (i % 17) * 30_000);
      const row = [`bench-${i}`, SERVICES[i % SERVICES.length], i % 3 === 0 ? 'latency' : 'errors', i % 5 === 0 ? 'critical' : 'warning'];
      const n = values.length;
      rows.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}, $${n + 7}, $${n + 8}, $${n + 9}, $${n + 10})`);
      values.push(...row, open ? 'open' : 'closed', opened, closed, 0.9, 0.5, open ? null : ['auto', 'human', 'self'][i % 3]);
    }
    await client.query(
      `INSERT INTO incidents (id, service, kind, severity, state, opened_at, closed_at, max_score, last_score, resolved_by) VALUES ${rows.join(',')}`,
      values,
    );
  }
  await client.end();
}

/** When each request of the page ended, in ms from navigation start (the browser's own resource timing). */
async function breakdown(page: import('playwright-core').Page): Promise<string> {
  // Runs in the page; written against a minimal shape because the test tsconfig has no DOM types.
  const entries = (await page.evaluate(`[...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
    .map((e) => ({ name: e.name, end: e.responseEnd }))`)) as { name: string; end: number }[];
  return entries.map((e) => `${new URL(e.name).pathname.replace(/^\/api\/v1\//, '').replace(/-[\w-]{8}\.(js|css)$/, '.$1')} ${e.end.toFixed(0)}`).join(', ');
}

/** Records in the page when the tiles (loaded or failed) and an incident row are first both in the DOM. */
const DRAWN_PROBE = `new MutationObserver((_, obs) => {
  if (document.querySelector('.tiles[data-loaded="yes"], .tiles[data-loaded="error"]') && document.querySelector('table.incidents tr[data-incident]')) {
    window.__drawnMs = performance.now();
    obs.disconnect();
  }
}).observe(document, { childList: true, subtree: true, attributes: true })`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 5);
  ensureWebBuild();
  const db = await createTestDatabase();
  const z = spawnZeroops(['start'], { DATABASE_URL: db.url, ZEROOPS_API_PORT: '0', ZEROOPS_OTLP_HTTP_PORT: '0', ZEROOPS_OTLP_GRPC_PORT: '0' });
  const browser = await launchChromium();
  try {
    const [, api] = (await z.waitFor(/API\s+(http:\/\/\S+)/, 180_000)) as [string, string];
    await fill(db.url);
    const count = (await (await fetch(`${api}/api/v1/incidents?limit=1000`)).json()) as { items: unknown[] };
    process.stdout.write(`store: ${INCIDENTS} incidents (${OPEN} open) over 30 days; first list page ${count.items.length} items\n`);
    const times: number[] = [];
    const walls: number[] = [];
    for (let i = 0; i < runs; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1300, height: 900 } });
      const page = await ctx.newPage();
      // In the page: navigation start -> the first moment both the tiles and an incident row are in the DOM
      // (without the automation's own round trips, which a loaded machine makes long).
      await page.addInitScript(DRAWN_PROBE);
      const t0 = performance.now();
      await page.goto(`${api}/`);
      const tiles = await page.waitForSelector('.tiles[data-loaded="yes"], .tiles[data-loaded="error"]', { timeout: 60_000 });
      if ((await tiles.getAttribute('data-loaded')) === 'error') process.stdout.write(`  KPI tiles failed: ${await tiles.textContent()}\n`);
      await page.waitForSelector('table.incidents tr[data-incident]', { timeout: 60_000 });
      const wall = performance.now() - t0;
      const ms = (await (await page.waitForFunction('window.__drawnMs')).jsonValue()) as number;
      times.push(ms);
      walls.push(wall);
      process.stdout.write(`run ${i + 1}: ${ms.toFixed(0)} ms in the page, ${wall.toFixed(0)} ms as the automation saw it (${await breakdown(page)})\n`);
      if (i === 0) await screenshot(page, 'bench-overview');
      await ctx.close();
    }
    process.stdout.write(
      `first page load (navigation start -> KPI tiles + open incidents drawn), ${INCIDENTS} incidents: median ${median(times).toFixed(0)} ms of ${runs} ` +
        `(as the automation saw it: median ${median(walls).toFixed(0)} ms); load average ${loadavg()[0]?.toFixed(1)}\n`,
    );
  } finally {
    await browser.close();
    z.child.kill('SIGTERM');
    await z.exited;
    await db.drop();
  }
}

await main();
