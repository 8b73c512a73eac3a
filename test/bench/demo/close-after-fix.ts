/**
 * How many windows after a fix the fleet models close an error episode, by
 * the service's traffic: a service with `--rps` requests a second (Poisson),
 * 10 s windows and the detector's episode settings, 300 healthy windows,
 * then `--fault-windows` windows with 60 % of requests failing (a bad
 * deploy), then healthy windows again until the episode closes. Prints, per
 * rate and seed, the healthy windows it took (the closing one included).
 * Pure models, no I/O: the figure is the models', not the host's.
 *
 *   npx tsx test/bench/demo/close-after-fix.ts [--rps 0.5,1,2,4] [--seeds 5] [--fault-windows 10]
 */
import { parseArgs } from 'node:util';
import type { ServiceScore, WindowInput } from '../../../models/fleet/outputs.ts';
import { ServiceModels } from '../../../models/fleet/service-models.ts';
import { createRng, poissonSample, type Rng } from '../../../models/stats/index.ts';

const STEP = 10_000;
/** The detector's episode settings for a window of STEP (services/detector/detector-state.ts). */
const EPISODE = { openLevel: 0.7, closeLevel: 0.5, minOpenMs: 0, minCloseMs: STEP, flapWindowMs: 60 * STEP, flapOpenings: 3 };

function window(k: number, rng: Rng, rps: number, failing: number): WindowInput {
  const n = poissonSample(rng, (rps * STEP) / 1000);
  let failed = 0;
  for (let i = 0; i < n; i++) if (rng.next() < failing) failed++;
  const features: Record<string, number> = { request_rate: n / (STEP / 1000) };
  if (n > 0) {
    const latency = 100 + 10 * rng.next();
    Object.assign(features, { error_ratio: failed / n, latency_p50_ms: latency, latency_p95_ms: latency * 1.2, latency_p99_ms: latency * 1.3 });
  }
  return { service: 'svc', startMs: k * STEP, endMs: (k + 1) * STEP, features, callees: [] };
}

/** Healthy windows after the fix until the episode closed (the closing one included); -1 if it did not within 30. */
export function windowsToClose(rps: number, seed: number, faultWindows: number): number {
  const rng = createRng(seed);
  const models = new ServiceModels({ episode: EPISODE, warmupWindows: 30 });
  let k = 0;
  for (; k < 300; k++) models.scoreBatch([window(k, rng, rps, 0)]);
  for (let i = 0; i < faultWindows; i++) models.scoreBatch([window(k++, rng, rps, 0.6)]);
  for (let i = 1; i <= 30; i++) if ((models.scoreBatch([window(k++, rng, rps, 0)])[0] as ServiceScore).transition === 'closed') return i;
  return -1;
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const { values } = parseArgs({
    options: { rps: { type: 'string', default: '0.5,1,2,4' }, seeds: { type: 'string', default: '5' }, 'fault-windows': { type: 'string', default: '10' } },
  });
  for (const rps of values.rps.split(',').map(Number)) {
    const runs = Array.from({ length: Number(values.seeds) }, (_, s) => windowsToClose(rps, s + 1, Number(values['fault-windows'])));
    process.stdout.write(`${rps} req/s (${rps * 10} a window): closed after ${runs.join(', ')} healthy windows (seeds 1-${runs.length})\n`);
  }
}
