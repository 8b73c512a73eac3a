import { SeasonalScorer } from '../models/fleet/seasonal-scorer.ts';
import { TailCalibration } from '../models/fleet/tail-calibration.ts';
import { createRng } from '../models/stats/index.ts';
const cal = TailCalibration.prototype.calibrate, lrn = TailCalibration.prototype.learn;
const rng = createRng(1);
const N = 200, W = 400;
const feats = Array.from({ length: W }, (_, w) => Array.from({ length: N }, () => ({ request_rate: 100 + rng.next() * 10, error_ratio: rng.next() * 0.01, latency_p50: 50 + rng.next() * 5, latency_p99: 200 + rng.next() * 50 * (rng.next() < 0.05 ? 10 : 1), log_error: rng.next() * 3, cpu: 0.3 + rng.next() * 0.05, mem: 100 + (rng.next() < 0.02 ? 50 : rng.next()), disk: 3 })));
function run(tails: boolean): number {
  if (tails) { TailCalibration.prototype.calibrate = cal; TailCalibration.prototype.learn = lrn; }
  else { TailCalibration.prototype.calibrate = (_i: number, z: number) => z; TailCalibration.prototype.learn = () => {}; }
  const sc = Array.from({ length: N }, () => new SeasonalScorer());
  const t = performance.now();
  let s = 0;
  for (let w = 0; w < W; w++) { const tMs = 1.7e12 + w * 10000; for (let i = 0; i < N; i++) { const f = feats[w]![i]!; const r = sc[i]!.score(f, tMs); s += r.score; sc[i]!.learn(f, tMs, r.score); sc[i]!.learnTail(); } }
  return (performance.now() - t) / (N * W) * 1e6;
}
const a: number[] = [], b: number[] = [];
for (let k = 0; k < 7; k++) { a.push(run(true)); b.push(run(false)); }
const med = (x: number[]) => [...x].sort((p, q) => p - q)[3]!;
console.log(`ns per service-window: tails ${med(a).toFixed(0)}  without ${med(b).toFixed(0)}  ratio ${(med(a) / med(b)).toFixed(3)}`);
