/**
 * `make bench-backtest`: the multivariate backtest (`zeroops detect` on a
 * directory of service CSVs) over a labelled set laid out as
 * jumpstarter-d2 is (`services/<name>.csv`, `labels/<name>.csv` with
 * `timestamp,label` for the scored rows; the rows before the first label
 * are history). Prints, per service and as the mean over services, point F1
 * (no point adjustment) and event-wise Fc1 at each service's best threshold,
 * for the live detector's models and for the per-metric z-score baseline
 * scored the same way, and the backtest's rows/s.
 *
 * Usage: npx tsx test/bench/backtest/bench-backtest.ts [dir] [--no-neural] [--backend cpu|wasm|node|auto]
 * (dir defaults to $BACKTEST_DIR, else ../shared/datasets/jumpstarter-d2).
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { NeuralScorer } from '../../../models/fleet/index.ts';
import { runBacktest } from '../../../services/cli/backtest/backtest.ts';
import { historyBatches, readServiceDir } from '../../../services/cli/backtest/service-csv.ts';
import { readColumn } from '../../../services/cli/series-csv.ts';
import { loadBackend } from '../../../services/detector/index.ts';
import { bestFigures, type ServiceFigures, zScoreBaseline } from './backtest-scorer.ts';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'no-neural': { type: 'boolean' }, backend: { type: 'string', default: 'auto' } },
});
const dir = resolve(positionals[0] ?? process.env.BACKTEST_DIR ?? join(import.meta.dirname, '../../../../shared/datasets/jumpstarter-d2'));

const histories = await readServiceDir(join(dir, 'services'));
const labels = new Map<string, { from: number; labels: number[] }>();
for (const h of histories) {
  const text = await readFile(join(dir, 'labels', `${h.service}.csv`), 'utf8');
  const { timestamps, values } = readColumn(text, 'label');
  const first = Date.parse(timestamps[0] ?? '');
  const from = h.times.indexOf(first);
  if (from < 0) throw new Error(`${h.service}: the first label's timestamp is not a row of the service file`);
  labels.set(h.service, { from, labels: values });
}

let neural: NeuralScorer | undefined;
if (!opts['no-neural']) {
  const b = await loadBackend(opts.backend as 'auto');
  neural = new NeuralScorer(b.tf);
  process.stderr.write(`neural model on the ${b.backend} backend\n`);
}
const stepMs = histories[0]?.stepMs ?? 300_000;
const total = histories.reduce((a, h) => a + h.times.length, 0);
const result = runBacktest(historyBatches(histories), {
  windowMs: stepMs,
  neural,
  keepEvents: false,
  progress: (n, s) => process.stderr.write(`  ${n}/${total} windows, ${(n / s).toFixed(0)} windows/s\n`),
});

const ours: ServiceFigures[] = [];
const base: ServiceFigures[] = [];
console.log(`backtest of ${histories.length} services in ${dir}`);
console.log('service      | model point F1  Fc1 | z-score point F1  Fc1');
for (const h of histories) {
  const l = labels.get(h.service) as { from: number; labels: number[] };
  const scored = (result.scores.get(h.service)?.score ?? []).slice(l.from, l.from + l.labels.length);
  const m = bestFigures(scored, l.labels);
  const z = bestFigures(zScoreBaseline(h.values, h.columns.length, l.from).subarray(0, l.labels.length), l.labels);
  ours.push(m);
  base.push(z);
  console.log(`${h.service.padEnd(12)} |   ${m.pointF1.toFixed(3)}  ${m.fc1.toFixed(3)} |   ${z.pointF1.toFixed(3)}  ${z.fc1.toFixed(3)}`);
}
const mean = (xs: ServiceFigures[], k: keyof ServiceFigures): number => xs.reduce((a, x) => a + x[k], 0) / Math.max(1, xs.length);
console.log('');
console.log(`mean over ${ours.length} services: model point F1 ${mean(ours, 'pointF1').toFixed(3)}, Fc1 ${mean(ours, 'fc1').toFixed(3)}`);
console.log(`                       z-score point F1 ${mean(base, 'pointF1').toFixed(3)}, Fc1 ${mean(base, 'fc1').toFixed(3)}`);
console.log(
  `throughput: ${result.windows} windows (rows) in ${result.seconds.toFixed(1)} s = ${(result.windows / result.seconds).toFixed(0)} rows/s (neural ${neural ? 'on' : 'off'})`,
);
neural?.model.dispose();
