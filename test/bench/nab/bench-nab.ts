/**
 * NAB benchmark: runs `runDetect` over the NAB data folder into a temporary
 * directory, scores the outputs with the project's NAB scorer and prints the
 * normalized standard / low-FP / low-FN scores and throughput. The scorer is
 * first checked against NAB's published results (check-nab-scorer.ts).
 *
 * Usage: npx tsx test/bench/nab/bench-nab.ts [--data <nab dir>]
 * Default dir: $ZEROOPS_NAB_DIR, else ../shared/datasets/nab from the repo root.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runDetect } from '../../../services/cli/detect-command.ts';
import { listCsvFiles } from '../../../services/cli/series-csv.ts';
import { checkNabScorer } from './check-nab-scorer.ts';
import { type FileScores, loadNabProfiles, loadNabWindows, NAB_PROFILES, readScoreFile, scoreCorpus } from './nab-corpus.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');

function nabDir(argv: readonly string[]): string {
  const i = argv.indexOf('--data');
  if (i >= 0 && argv[i + 1] !== undefined) return resolve(argv[i + 1] as string);
  return resolve(process.env.ZEROOPS_NAB_DIR ?? join(REPO_ROOT, '../shared/datasets/nab'));
}

async function main(): Promise<void> {
  const dir = nabDir(process.argv.slice(2));
  // The scorer is checked against NAB's published results first: a wrong scorer would make every figure below meaningless.
  await checkNabScorer(dir);
  const out = await mkdtemp(join(tmpdir(), 'zeroops-bench-nab-'));
  try {
    const summary = await runDetect({ input: join(dir, 'data'), output: out });
    const files = new Map<string, FileScores>();
    for (const rel of await listCsvFiles(out)) files.set(rel, await readScoreFile(join(out, rel)));
    const windows = await loadNabWindows(dir);
    const profiles = await loadNabProfiles(dir);
    console.log(`NAB data: ${dir} (${summary.files} files, ${summary.rows} rows)`);
    for (const p of NAB_PROFILES) {
      const { sweep } = scoreCorpus(files, windows, profiles[p]);
      console.log(`${p.padEnd(20)} ${sweep.normalized.toFixed(2).padStart(7)}   (threshold ${sweep.threshold.toFixed(6)}, raw ${sweep.score.toFixed(3)})`);
    }
    console.log(`detect: ${summary.seconds.toFixed(2)} s, ${Math.round(summary.rows / summary.seconds)} rows/s`);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

await main();
