import pg from 'pg';
import { createTestDatabase } from '../test/helpers/postgres.ts';
import { spawnZeroops } from '../test/helpers/zeroops-process.ts';
const db = await createTestDatabase();
const z = spawnZeroops(['start'], { DATABASE_URL: db.url, ZEROOPS_API_PORT: '0', ZEROOPS_OTLP_HTTP_PORT: '0', ZEROOPS_OTLP_GRPC_PORT: '0' });
const [, api] = (await z.waitFor(/API\s+(http:\/\/\S+)/, 180_000)) as [string, string];
const c = new pg.Client({ connectionString: db.url }); await c.connect();
const now = Date.now(); const span = 30 * 86_400_000;
for (let s = 0; s < 10000; s += 1000) {
  const vals: unknown[] = []; const rows: string[] = [];
  for (let i = s; i < s + 1000; i++) {
    const o = new Date(now - span + Math.floor((i / 10000) * span)); const open = i >= 9950;
    const n = vals.length; rows.push(`(${Array.from({ length: 10 }, (_, k) => `$${n + k + 1}`).join(',')})`);
    vals.push(`b-${i}`, `svc-${i % 40}`, 'errors', 'warning', open ? 'open' : 'closed', o, open ? null : new Date(o.getTime() + 90000), 0.9, 0.5, open ? null : 'auto');
  }
  await c.query(`INSERT INTO incidents (id, service, kind, severity, state, opened_at, closed_at, max_score, last_score, resolved_by) VALUES ${rows.join(',')}`, vals);
}
const to = new Date(); const from = new Date(to.getTime() - 7 * 86_400_000);
const urls = [`/api/v1/kpis?from=${from.toISOString()}&to=${to.toISOString()}&bucket=1d`, '/api/v1/incidents?state=open&limit=20', '/api/v1/services', '/api/v1/auth/whoami'];
for (const u of urls) {
  const ts: number[] = [];
  for (let i = 0; i < 7; i++) { const t = performance.now(); const r = await fetch(api + u); await r.text(); ts.push(performance.now() - t); }
  ts.sort((a, b) => a - b); console.log(u.slice(0, 40), 'median', ts[3]?.toFixed(0), 'min', ts[0]?.toFixed(0));
}
for (const q of [`EXPLAIN ANALYZE SELECT * FROM incidents WHERE opened_at < now() AND (closed_at IS NULL OR closed_at >= now() - interval '7 days')`]) console.log((await c.query(q)).rows.map((r) => Object.values(r)[0]).join('\n'));
await c.end(); z.child.kill('SIGTERM'); await z.exited; await db.drop();
