/**
 * NAB experiment runner for development of the shared per-signal model
 * (models/univariate/series-model.ts): runs it with one or more JSON
 * configurations (`NabConfig` of nab-loco.ts; `readout` defaults to
 * `score`), prints per configuration the standard-profile in-sample figure
 * and its threshold-only LOCO figure with the per-category results, and,
 * given several, the LOCO figure with the configuration chosen per fold.
 * Every configuration run is appended to trials.jsonl (`source: "dev"`),
 * because each one is a trial that inflates the in-sample figure.
 *
 * Usage: npx tsx test/bench/nab/nab-experiment.ts [-v] '<json>' ['<json>' ...]
 * `NAB_VARIANT='<json>'` names a prototype of the model being run (code not
 * in the configuration): it is recorded with each trial as `variant`.
 * `-v` prints per file its hits (H) and misses (-) of the labelled windows
 * and its false alarms after the probation at the in-sample threshold.
 */
import { appendFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadNabProfiles, loadNabWindows } from './nab-corpus.ts';
import { inSample, leaveOneCategoryOut, loadSeries, MODEL_VERSION, type NabConfig, rowsByCategory, runConfig, type Series } from './nab-loco.ts';
import { type NabProfile, windowsToRows } from './nab-scorer.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const TRIALS = join(import.meta.dirname, 'trials.jsonl');

function perFile(series: readonly Series[], scores: number[][], windows: Awaited<ReturnType<typeof loadNabWindows>>, thr: number): void {
  for (const [k, s] of series.entries()) {
    const sc = scores[k] as number[];
    const wins = windowsToRows(s.times, windows.get(s.file) ?? []);
    const prob = Math.min(Math.floor(0.15 * sc.length), 750);
    const hits = wins.map((w) => (sc.slice(w.start, w.end + 1).some((x) => x >= thr) ? 'H' : '-'));
    let fp = 0;
    for (let i = prob; i < sc.length; i++) if ((sc[i] as number) >= thr && !wins.some((w) => i >= w.start && i <= w.end)) fp++;
    console.log(`    ${s.file.padEnd(58)} fp ${String(fp).padStart(4)}  ${hits.join('')}`);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const verbose = argv.includes('-v');
  const configs = argv.filter((a) => a !== '-v').map((a) => ({ readout: 'score', ...JSON.parse(a) }) as NabConfig);
  if (configs.length === 0) configs.push({ readout: 'score' });
  const dir = resolve(process.env.ZEROOPS_NAB_DIR ?? join(REPO_ROOT, '../shared/datasets/nab'));
  const series = await loadSeries(dir);
  const windows = await loadNabWindows(dir);
  const standard = (await loadNabProfiles(dir)).standard as NabProfile;
  const rows = series.reduce((a, s) => a + s.values.length, 0);
  const variant: unknown = process.env.NAB_VARIANT ? JSON.parse(process.env.NAB_VARIANT) : undefined;
  const prepared = [];
  for (const config of configs) {
    const run = runConfig(series, config);
    const trial = { at: new Date().toISOString(), source: 'dev', model: MODEL_VERSION, config, ...(variant ? { variant } : {}) };
    await appendFile(TRIALS, `${JSON.stringify(trial)}\n`);
    const byCat = rowsByCategory(series, run.scores, windows, standard);
    prepared.push(byCat);
    const ins = inSample([byCat], standard);
    const loco = leaveOneCategoryOut([byCat], standard);
    const folds = [...loco.folds].map(([c, p]) => `${c.slice(0, 14)} ${p.normalized.toFixed(1)}`).join(' | ');
    console.log(`${JSON.stringify(config)} ${Math.round(rows / run.seconds)} rows/s`);
    console.log(`  in-sample ${ins.normalized.toFixed(2)} (thr ${ins.threshold.toFixed(4)})  threshold-only LOCO ${loco.normalized.toFixed(2)}: ${folds}`);
    if (verbose) perFile(series, run.scores, windows, ins.threshold);
  }
  if (configs.length > 1) {
    const loco = leaveOneCategoryOut(prepared, standard);
    console.log(`LOCO over these ${configs.length} configurations: ${loco.normalized.toFixed(2)}`);
    for (const [c, p] of loco.folds)
      console.log(`  held out ${c.padEnd(22)} ${p.normalized.toFixed(2).padStart(7)} picked ${JSON.stringify(configs[p.config])}`);
  }
}

await main();
