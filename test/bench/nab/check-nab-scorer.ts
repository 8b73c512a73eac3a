/**
 * Checks the project's NAB scorer against NAB's published results before the
 * benchmark trusts it: for the `numenta` and `windowedGaussian` detectors it
 * must reproduce every published per-file score and count at their published
 * thresholds, and the Windowed Gaussian subset scores of the NAB README
 * (50.9 / 31.1 / 59.0). Needs the dataset's results/ and config/ folders.
 *
 * Usage: npx tsx test/bench/nab/check-nab-scorer.ts [<nab dir>] (also run by bench-nab.ts)
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { csvLines } from '../../../services/cli/series-csv.ts';
import { type FileScores, loadNabProfiles, loadNabWindows, NAB_PROFILES, readScoreFile, scoreCorpus } from './nab-corpus.ts';

/** Loads a published detector's per-row outputs keyed like the labels. */
async function loadPublished(nabDir: string, detector: string): Promise<Map<string, FileScores>> {
  const dir = join(nabDir, 'results', detector);
  const out = new Map<string, FileScores>();
  for (const cat of (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory())) {
    for (const f of (await readdir(join(dir, cat.name))).sort()) {
      out.set(`${cat.name}/${f.slice(detector.length + 1)}`, await readScoreFile(join(dir, cat.name, f)));
    }
  }
  return out;
}

/** Parses `<detector>_<profile>_scores.csv` rows (skipping Totals). */
async function loadPublishedScores(nabDir: string, detector: string, profile: string) {
  const text = await readFile(join(nabDir, 'results', detector, `${detector}_${profile}_scores.csv`), 'utf8');
  return csvLines(text)
    .slice(1)
    .map((l) => l.split(','))
    .filter((c) => c[0] !== 'Totals')
    .map((c) => ({ file: c[2] as string, score: Number(c[4]), counts: [Number(c[5]), Number(c[6]), Number(c[7]), Number(c[8])] }));
}

/** Differences between the scorer and one published detector's per-file results (empty when they agree). */
async function comparePublished(nabDir: string, detector: string): Promise<string[]> {
  const files = await loadPublished(nabDir, detector);
  const windows = await loadNabWindows(nabDir);
  const profiles = await loadNabProfiles(nabDir);
  const thresholds = JSON.parse(await readFile(join(nabDir, 'config', 'thresholds.json'), 'utf8'));
  const wrong: string[] = [];
  for (const profile of NAB_PROFILES) {
    const published = await loadPublishedScores(nabDir, detector, profile);
    if (published.length !== files.size) wrong.push(`${detector} ${profile}: ${published.length} published files, ${files.size} result files`);
    const { perFile } = scoreCorpus(files, windows, profiles[profile], thresholds[detector][profile].threshold);
    for (const p of published) {
      const mine = perFile.get(p.file);
      const counts = mine ? [mine.tp, mine.tn, mine.fp, mine.fn] : [];
      if (!mine || Math.abs(mine.score - p.score) > 1e-9 || counts.join() !== p.counts.join()) {
        wrong.push(`${detector} ${profile} ${p.file}: got ${mine?.score} [${counts}], published ${p.score} [${p.counts}]`);
      }
    }
  }
  return wrong;
}

/** Throws, listing every difference, unless the scorer reproduces NAB's published results in `nabDir`. */
export async function checkNabScorer(nabDir: string): Promise<void> {
  const wrong = [...(await comparePublished(nabDir, 'numenta')), ...(await comparePublished(nabDir, 'windowedGaussian'))];
  const files = await loadPublished(nabDir, 'windowedGaussian');
  const windows = await loadNabWindows(nabDir);
  const profiles = await loadNabProfiles(nabDir);
  const subset = NAB_PROFILES.map((p) => scoreCorpus(files, windows, profiles[p]).sweep.normalized.toFixed(1)).join(' / ');
  if (subset !== '50.9 / 31.1 / 59.0') wrong.push(`windowedGaussian subset scores ${subset}, the NAB README says 50.9 / 31.1 / 59.0`);
  if (wrong.length > 0) throw new Error(`the NAB scorer does not reproduce NAB's published results:\n${wrong.slice(0, 20).join('\n')}`);
}

if (import.meta.filename === resolve(process.argv[1] ?? '')) {
  const dir = resolve(process.argv[2] ?? process.env.ZEROOPS_NAB_DIR ?? join(import.meta.dirname, '../../../../shared/datasets/nab'));
  await checkNabScorer(dir);
  console.log(`NAB scorer reproduces the published numenta and windowedGaussian results (${dir})`);
}
