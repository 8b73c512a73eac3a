/**
 * NAB benchmark under an honest protocol.
 *
 * 1. The scorer is checked against NAB's published results.
 * 2. `zeroops detect` (runDetect: the live detector's per-feature model,
 *    models/univariate/series-model.ts, with its defaults) runs over the
 *    data folder; its in-sample figure (threshold picked on all categories)
 *    and its LOCO figure (threshold picked on the other four) are printed.
 * 3. The same model runs with every configuration of the declared grid
 *    (nab-loco.ts); the in-sample figure picks (configuration, threshold)
 *    on all categories, the LOCO figure picks them on four categories and
 *    scores the fifth.
 * Every configuration run is appended to trials.jsonl next to this file, and
 * the number of configurations ever tried is printed with the figures.
 *
 * Usage: npx tsx test/bench/nab/bench-nab.ts [--data <nab dir>] [--no-detect]
 * Default dir: $ZEROOPS_NAB_DIR, else ../shared/datasets/nab from the repo root.
 */
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runDetect } from '../../../services/cli/detect-command.ts';
import { listCsvFiles } from '../../../services/cli/series-csv.ts';
import { checkNabScorer } from './check-nab-scorer.ts';
import { type FileScores, loadNabProfiles, loadNabWindows, NAB_PROFILES, type NabWindows, readScoreFile } from './nab-corpus.ts';
import { declaredGrid, inSample, isDefault, leaveOneCategoryOut, loadSeries, MODEL_VERSION, rowsByCategory, runConfig, type Series } from './nab-loco.ts';
import type { NabProfile, ScoredRow } from './nab-scorer.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const TRIALS = join(import.meta.dirname, 'trials.jsonl');

function nabDir(argv: readonly string[]): string {
  const i = argv.indexOf('--data');
  if (i >= 0 && argv[i + 1] !== undefined) return resolve(argv[i + 1] as string);
  return resolve(process.env.ZEROOPS_NAB_DIR ?? join(REPO_ROOT, '../shared/datasets/nab'));
}

/** Distinct (model version, configuration) pairs in the record, and its runs. */
async function trialsEver(): Promise<{ distinct: number; runs: number }> {
  const lines = (await readFile(TRIALS, 'utf8').catch(() => '')).split('\n').filter((l) => l.trim() !== '');
  const keys = lines.map((l) => {
    // A dev run's `variant` names a prototype of the model under its version (nab-experiment.ts, NAB_VARIANT).
    const t = JSON.parse(l) as { model?: string; config?: unknown; variant?: unknown };
    return `${t.model} ${JSON.stringify(t.config)} ${JSON.stringify(t.variant ?? null)}`;
  });
  return { distinct: new Set(keys).size, runs: lines.length };
}

/** `zeroops detect` as users run it: one fixed detector, only the threshold is picked. */
async function benchDetect(dir: string, series: readonly Series[], windows: NabWindows, profiles: Record<string, NabProfile>): Promise<void> {
  const out = await mkdtemp(join(tmpdir(), 'zeroops-bench-nab-'));
  try {
    const summary = await runDetect({ input: join(dir, 'data'), output: out });
    const files = new Map<string, FileScores>();
    for (const rel of await listCsvFiles(out)) files.set(rel, await readScoreFile(join(out, rel)));
    const scores = series.map((s) => (files.get(s.file) as FileScores).scores);
    console.log(
      `zeroops detect (the shared model, defaults; ${summary.files} files, ${summary.rows} rows, ${Math.round(summary.rows / summary.seconds)} rows/s):`,
    );
    for (const p of NAB_PROFILES) {
      const prepared = [rowsByCategory(series, scores, windows, profiles[p] as NabProfile)];
      const ins = inSample(prepared, profiles[p] as NabProfile);
      const loco = leaveOneCategoryOut(prepared, profiles[p] as NabProfile);
      console.log(`  ${p.padEnd(20)} in-sample ${ins.normalized.toFixed(2).padStart(6)}   LOCO (threshold only) ${loco.normalized.toFixed(2).padStart(6)}`);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** The shared per-signal model over the declared grid. */
async function benchGrid(series: readonly Series[], windows: NabWindows, profiles: Record<string, NabProfile>): Promise<void> {
  const grid = declaredGrid();
  const rows = series.reduce((a, s) => a + s.values.length, 0);
  const all: number[][][] = [];
  let seconds = 0;
  for (const config of grid) {
    const run = runConfig(series, config);
    all.push(run.scores);
    seconds += run.seconds;
    await appendFile(TRIALS, `${JSON.stringify({ at: new Date().toISOString(), source: 'bench-nab', model: MODEL_VERSION, config })}\n`);
  }
  const label = (k: number): string => JSON.stringify(grid[k]);
  console.log(
    `shared per-signal model (${MODEL_VERSION}), declared grid of ${grid.length} configurations (${(rows / (seconds / grid.length)).toFixed(0)} rows/s, one core):`,
  );
  for (const p of NAB_PROFILES) {
    const profile = profiles[p] as NabProfile;
    const prepared: Map<string, ScoredRow[]>[] = all.map((scores) => rowsByCategory(series, scores, windows, profile));
    const ins = inSample(prepared, profile);
    const loco = leaveOneCategoryOut(prepared, profile);
    console.log(`  ${p.padEnd(20)} in-sample ${ins.normalized.toFixed(2).padStart(6)} (${label(ins.config)})   LOCO ${loco.normalized.toFixed(2).padStart(6)}`);
    // The default configuration alone, only its threshold picked per fold: what `zeroops detect` gives.
    const def = grid.findIndex((c) => isDefault(c));
    if (def >= 0) {
      const fixed = leaveOneCategoryOut([prepared[def] as Map<string, ScoredRow[]>], profile);
      console.log(
        `      default configuration, threshold only: in-sample ${inSample([prepared[def] as Map<string, ScoredRow[]>], profile).normalized.toFixed(2)}   LOCO ${fixed.normalized.toFixed(2)}`,
      );
    }
    for (const [cat, pick] of loco.folds)
      console.log(`      held out ${cat.padEnd(22)} ${pick.normalized.toFixed(2).padStart(7)}  picked ${label(pick.config)} thr ${pick.threshold.toFixed(3)}`);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const dir = nabDir(argv);
  // The scorer is checked against NAB's published results first: a wrong scorer would make every figure below meaningless.
  await checkNabScorer(dir);
  const series = await loadSeries(dir);
  const windows = await loadNabWindows(dir);
  const profiles = (await loadNabProfiles(dir)) as Record<string, NabProfile>;
  console.log(`NAB data: ${dir} (${series.length} files, ${series.reduce((a, s) => a + s.values.length, 0)} rows)`);
  if (!argv.includes('--no-detect')) await benchDetect(dir, series, windows, profiles);
  await benchGrid(series, windows, profiles);
  const t = await trialsEver();
  console.log(`configurations ever tried (test/bench/nab/trials.jsonl): ${t.distinct} distinct (model version, configuration), ${t.runs} runs`);
}

await main();
