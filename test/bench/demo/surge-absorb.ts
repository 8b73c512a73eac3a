/**
 * Does scaling out absorb a traffic surge in the demo's sizing? Starts a
 * slice of the demo shop on free ports without zeroops (no telemetry), the
 * default load (12 requests/s), injects a surge of 4 on `--target`, scales
 * it to 3 replicas `--scale-after` seconds later, optionally scales the
 * services of `--also` to 3 `--also-after` seconds after that, and prints
 * the surge's requests per 5 s (sent straight to the target: count, share
 * failed, p50 and p95 latency in ms). Not a live demo run (free ports).
 *
 *   npx tsx test/bench/demo/surge-absorb.ts --target cart --services frontend,gateway,cart,sessions-db [--also sessions-db]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startDemo } from '../../../infra/demo/demo-system.ts';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'cart' },
    services: { type: 'string', default: 'frontend,gateway,cart,sessions-db' },
    also: { type: 'string', default: '' },
    'scale-after': { type: 'string', default: '30' },
    'also-after': { type: 'string', default: '60' },
  },
});
const target = values.target;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dataDir = mkdtempSync(join(tmpdir(), 'zeroops-surge-absorb-'));
const surge: Array<{ sentAt: number; ms: number; status: string }> = [];
const d = await startDemo({
  services: values.services.split(','),
  dataDir,
  otlpEndpoint: '',
  controlPort: 0,
  serviceBasePort: 0,
  rps: 12,
  onRequest: (r) => r.service === target && surge.push(r),
});
const t0 = Date.now();
const marks: string[] = [];
const mark = (s: string) => marks.push(`${Math.round((Date.now() - t0) / 1000)} s: ${s}`);
await sleep(10_000);
await d.book.inject(target, 'traffic-surge', 4, 600);
mark(`surge of 4 on ${target}`);
await sleep(Number(values['scale-after']) * 1000);
await d.supervisor.scale(target, 3);
mark(`${target} scaled to 3; fault ${d.book.fixedBy(target, 'scale', 3).length > 0 ? 'ended by its fix' : 'still active'}`);
await sleep(Number(values['also-after']) * 1000);
for (const s of values.also ? values.also.split(',') : []) {
  await d.supervisor.scale(s, 3);
  mark(`${s} scaled to 3; fault ${d.book.fixedBy(s, 'scale', 3).length > 0 ? 'ended by its fix' : 'still active'}`);
}
if (values.also) await sleep(40_000);
await d.stop();
rmSync(dataDir, { recursive: true, force: true });
const q = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))] ?? Number.NaN;
for (let t = 10; t < (Date.now() - t0) / 1000 - 5; t += 5) {
  const w = surge.filter((r) => r.sentAt >= t0 + t * 1000 && r.sentAt < t0 + (t + 5) * 1000);
  const failed = w.filter((r) => r.status !== '200').length / Math.max(1, w.length);
  const ms = w.map((r) => r.ms);
  process.stdout.write(
    `${String(t).padStart(4)} s: ${w.length} surge requests, ${(100 * failed).toFixed(0)} % failed, p50 ${q(ms, 0.5)} ms, p95 ${q(ms, 0.95)} ms\n`,
  );
}
process.stdout.write(`${marks.join('\n')}\n`);
process.exit(0);
