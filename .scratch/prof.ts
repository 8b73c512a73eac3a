import { NeuralScorer, ServiceModels, type WindowInput } from '../models/fleet/index.ts';
import { loadBackend } from '../services/detector/tf-backend.ts';
const b = process.argv[4] === 'nn' ? await loadBackend('auto') : undefined;
const neural = b ? new NeuralScorer(b.tf) : undefined;
import { SyntheticFleet } from '../test/bench/detector/synthetic-fleet.ts';
import { TailCalibration } from '../models/fleet/tail-calibration.ts';
if (process.env.NOTAIL) { TailCalibration.prototype.calibrate = (_i: number, z: number) => z; TailCalibration.prototype.learn = () => {}; }
const n = Number(process.argv[2] ?? 1000);
const W = Number(process.argv[3] ?? 160);
const fleet = new SyntheticFleet(n, 42);
fleet.inject(0.02, 40, 94); fleet.inject(0.02, 105, 160);
const names = Array.from({ length: n }, (_, s) => `svc-${s}`);
const T0 = Date.UTC(2026, 0, 5);
const models = new ServiceModels({ episode: { openLevel: 0.7, closeLevel: 0.5, minOpenMs: 0, minCloseMs: 10000, flapWindowMs: 600000, flapOpenings: 3 }, neural });
const round = (w: number): WindowInput[] => { const endMs = T0 + (w + 1) * 10000; return names.map((service, s) => ({ service, startMs: endMs - 10000, endMs, features: fleet.features(s, w, endMs), callees: [] })); };
for (let w = 0; w < 100; w++) models.scoreBatch(round(w));
const c = process.cpuUsage();
let sum = 0; let cpu = 0;
for (let w = 100; w < W; w++) { const inp = round(w); const c0 = process.cpuUsage(); for (const r of models.scoreBatch(inp)) sum += r.score; const d = process.cpuUsage(c0); cpu += d.user + d.system; }
const u = { user: cpu, system: 0 };
console.log(`${((n * (W - 100)) / ((u.user + u.system) / 1e6)).toFixed(0)} sw/cpu-s  checksum ${sum.toFixed(6)}`);
