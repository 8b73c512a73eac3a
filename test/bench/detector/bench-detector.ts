/**
 * Detector benchmark: scores a synthetic fleet (1,000 and 10,000 services by
 * default) with the production scoring path (seasonal baselines, the shared
 * autoencoder batched across services, likelihood, episodes) on one core,
 * with anomalies injected at known windows (2% of the services in the
 * warm-up, as in a fleet where something is always going wrong somewhere,
 * and another 2% in the measured phase, which alone count). Prints:
 *  - scoring throughput, service-windows per CPU-second of the scoring loop
 *    (measured phase, after warm-up; CPU time of the whole process, so the
 *    figure is one core's worth of work whatever else the machine runs);
 *  - delay from window close to anomaly event: the scoring time of a round
 *    of closed windows, p50/p99, in CPU time (one core) and wall time (the
 *    detector's tick adds at most 250 ms of waiting, and storing and
 *    publishing come on top);
 *  - memory per tracked service (JavaScript heap plus array buffers, where
 *    typed arrays larger than a few dozen bytes keep their numbers; the
 *    TensorFlow.js WebAssembly memory is an array buffer too), after the run and with fully grown
 *    seasonal state (every daily and weekly slot seen);
 *  - precision and recall of opened episodes against the injections, and
 *    recall by kind of injection (correlation breaks only the neural model sees);
 *  - cardinality: the whole detector component fed one span from each of
 *    100,000 services with random names under the default cap (10,000):
 *    what it tracks and refuses, its memory per tracked service, its
 *    checkpoint, and its memory once all of them are evicted when idle
 *    (see bench-cardinality.ts).
 *
 * Usage: npx tsx test/bench/detector/bench-detector.ts [--services 1000,10000] [--backend auto|wasm|cpu] [--neural on|off]
 *        [--cardinality 100000 (0 skips it)] [--cap 10000]
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { NeuralScorer, ServiceModels, type ServiceScore, type WindowInput } from '../../../models/fleet/index.ts';
import { type BackendPreference, loadBackend } from '../../../services/detector/tf-backend.ts';
import { benchCardinality } from './bench-cardinality.ts';
import { type Injected, SyntheticFleet } from './synthetic-fleet.ts';

const WINDOW_MS = 10_000;
const WARMUP = 100;
const MEASURED = 60;
const EPISODE = { openLevel: 0.7, closeLevel: 0.5, minOpenMs: 0, minCloseMs: WINDOW_MS, flapWindowMs: 60 * WINDOW_MS, flapOpenings: 3 };
const T0 = Date.UTC(2026, 0, 5);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heap(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}

function round(fleet: SyntheticFleet, w: number, names: string[]): WindowInput[] {
  const endMs = T0 + (w + 1) * WINDOW_MS;
  return names.map((service, s) => ({ service, startMs: endMs - WINDOW_MS, endMs, features: fleet.features(s, w, endMs), callees: [] }));
}

/**
 * Precision and recall of the measured phase's episode openings against the
 * injections of that phase (an opening within an injection or one window
 * after it is a hit; an opening that matches no injection at all is a false
 * positive).
 */
function accuracy(
  fleet: SyntheticFleet,
  measured: Injected[],
  opened: Array<[number, number]>,
): { precision: number; recall: number; tp: number; fp: number; fn: number; byKind: string } {
  const hit = new Set<number>();
  let fp = 0;
  for (const [s, w] of opened) {
    const k = measured.findIndex((i) => i.service === s && w >= i.from && w <= i.to);
    if (k >= 0) hit.add(k);
    else if (!fleet.injected.some((i) => i.service === s && w >= i.from && w <= i.to)) fp++;
  }
  const tp = opened.length - fp;
  return {
    precision: opened.length ? tp / opened.length : 1,
    recall: measured.length ? hit.size / measured.length : 1,
    tp,
    fp,
    fn: measured.length - hit.size,
    byKind: [...new Set(measured.map((i) => i.kind))]
      .map((kind) => {
        const all = measured.flatMap((i, k) => (i.kind === kind ? [k] : []));
        return `${kind} ${all.filter((k) => hit.has(k)).length}/${all.length}`;
      })
      .join(', '),
  };
}

async function benchFleet(n: number, tf: Awaited<ReturnType<typeof loadBackend>>['tf']): Promise<void> {
  const fleet = new SyntheticFleet(n, 42);
  // Anomalies happen all the time in a fleet, so the warm-up has them too (and the scoring path is warm for them);
  // only the measured phase's count for recall. The warm-up's end before it starts.
  fleet.inject(0.02, WARMUP - 60, WARMUP - 6);
  const measured = fleet.inject(0.02, WARMUP + 5, WARMUP + MEASURED);
  const names = Array.from({ length: n }, (_, s) => `svc-${s}`);
  const before = heap();
  const neural = arg('neural', 'on') === 'off' ? undefined : new NeuralScorer(tf);
  const models = new ServiceModels({ episode: EPISODE, neural });
  const warmStart = performance.now();
  for (let w = 0; w < WARMUP; w++) models.scoreBatch(round(fleet, w, names));
  const warmSeconds = (performance.now() - warmStart) / 1000;
  const cpuDelays: number[] = [];
  const wallDelays: number[] = [];
  const opened: Array<[number, number]> = [];
  let scoring = 0;
  for (let w = WARMUP; w < WARMUP + MEASURED; w++) {
    const inputs = round(fleet, w, names);
    const t = performance.now();
    const c = process.cpuUsage();
    const results: ServiceScore[] = models.scoreBatch(inputs);
    const used = process.cpuUsage(c);
    const ms = (used.user + used.system) / 1000;
    wallDelays.push(performance.now() - t);
    scoring += ms;
    cpuDelays.push(ms);
    results.forEach((r, s) => {
      if (r.transition === 'open') opened.push([s, w]);
    });
  }
  const perService = (heap() - before) / n;
  const rate = (n * MEASURED) / (scoring / 1000);
  const acc = accuracy(fleet, measured, opened);
  console.log(`\n== ${n.toLocaleString('en')} services ==`);
  console.log(
    `warm-up          ${WARMUP} windows each in ${warmSeconds.toFixed(1)} s (${((n * WARMUP) / warmSeconds).toFixed(0)} service-windows/s), ${neural ? `${neural.model.trainingSteps} training steps` : 'neural model off'}`,
  );
  console.log(`throughput       ${rate.toFixed(0)} service-windows per CPU-second (scoring, batched, one core)`);
  console.log(
    `delay            p50 ${quantile(cpuDelays, 0.5).toFixed(1)} ms, p99 ${quantile(cpuDelays, 0.99).toFixed(1)} ms CPU (wall p50 ${quantile(wallDelays, 0.5).toFixed(1)}, p99 ${quantile(wallDelays, 0.99).toFixed(1)} ms) from window close to event (scoring a round; + <= 250 ms tick)`,
  );
  console.log(`memory           ${(perService / 1024).toFixed(1)} KB (heap + array buffers) per tracked service after ${WARMUP + MEASURED} windows`);
  console.log(
    `accuracy         precision ${acc.precision.toFixed(3)}, recall ${acc.recall.toFixed(3)} (injected ${measured.length}, tp ${acc.tp}, fp ${acc.fp}, missed ${acc.fn}; ${acc.byKind})`,
  );
  neural?.model.dispose();
}

/** Heap per service once every daily and weekly slot of every feature has been seen (a week of hourly windows). */
function fullStateMemory(n: number): number {
  const fleet = new SyntheticFleet(n, 7);
  const names = Array.from({ length: n }, (_, s) => `svc-${s}`);
  const before = heap();
  const models = new ServiceModels({ episode: EPISODE });
  for (let h = 0; h < 7 * 24 + 400; h++) {
    const endMs = T0 + (h < 168 ? h * 3_600_000 : 168 * 3_600_000 + (h - 168) * WINDOW_MS);
    models.scoreBatch(names.map((service, s) => ({ service, startMs: endMs - WINDOW_MS, endMs, features: fleet.features(s, h, endMs), callees: [] })));
  }
  const per = (heap() - before) / n;
  if (models.size() !== n) throw new Error('lost services');
  return per;
}

async function main(): Promise<void> {
  const cardinality = Number(arg('cardinality', '100000'));
  if (arg('services', '') === '0') {
    await benchCardinality(cardinality, Number(arg('cap', '10000')), heap);
    return;
  }
  const sizes = arg('services', '1000,10000').split(',').map(Number);
  const b = await loadBackend(arg('backend', 'auto') as BackendPreference);
  console.log(
    `backend: ${b.backend}${b.skipped.length ? ` (skipped ${b.skipped.join('; ')})` : ''}; window ${WINDOW_MS / 1000} s; ${WARMUP} warm-up + ${MEASURED} measured windows; 2% of services injected`,
  );
  for (const n of sizes) await benchFleet(n, b.tf);
  console.log(
    `\nmemory, full state: ${(fullStateMemory(1000) / 1024).toFixed(1)} KB (heap + array buffers) per service after a week of hourly windows (all 24 daily and 168 weekly slots) plus 400 windows`,
  );
  if (cardinality > 0) await benchCardinality(cardinality, Number(arg('cap', '10000')), heap);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
