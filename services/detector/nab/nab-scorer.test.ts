import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FileScores, loadNabProfiles, loadNabWindows, NAB_PROFILES, readScoreFile, scoreCorpus } from './nab-corpus.ts';
import { type NabProfile, prepareRows, probationRows, scaledSigmoid, scoreAtThreshold, sweepThreshold } from './nab-scorer.ts';
import { csvLines } from './series-csv.ts';

// The labelled NAB subset lives beside the repository (../shared/datasets/nab) on
// development and CI machines; ZEROOPS_NAB_DIR overrides. Missing data fails loudly.
const NAB_CANDIDATES = [process.env.ZEROOPS_NAB_DIR, join(import.meta.dirname, '../../../../shared/datasets/nab'), '/work/shared/datasets/nab'].filter(
  (d): d is string => typeof d === 'string' && d.length > 0,
);
const NAB_DIR = NAB_CANDIDATES.find((d) => existsSync(join(d, 'results'))) ?? '';
const STANDARD: NabProfile = { tp: 1, fp: 0.11, fn: 1 };

/** Loads a published detector's per-row outputs keyed like the labels. */
async function loadPublished(detector: string): Promise<Map<string, FileScores>> {
  const dir = join(NAB_DIR, 'results', detector);
  const out = new Map<string, FileScores>();
  for (const cat of (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory())) {
    for (const f of (await readdir(join(dir, cat.name))).sort()) {
      out.set(`${cat.name}/${f.slice(detector.length + 1)}`, await readScoreFile(join(dir, cat.name, f)));
    }
  }
  return out;
}

/** Parses `<detector>_<profile>_scores.csv` rows (skipping Totals). */
async function loadPublishedScores(detector: string, profile: string) {
  const text = await readFile(join(NAB_DIR, 'results', detector, `${detector}_${profile}_scores.csv`), 'utf8');
  return csvLines(text)
    .slice(1)
    .map((l) => l.split(','))
    .filter((c) => c[0] !== 'Totals')
    .map((c) => ({ file: c[2] as string, score: Number(c[4]), tp: Number(c[5]), tn: Number(c[6]), fp: Number(c[7]), fn: Number(c[8]) }));
}

describe('NAB scoring primitives', () => {
  it('computes probation as min(floor(15%), 750)', () => {
    expect(probationRows(1000)).toBe(150);
    expect(probationRows(4032)).toBe(604);
    expect(probationRows(15902)).toBe(750);
  });

  it('scaled sigmoid is 1-ish at the window start, 0 at its end and -1 far after', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(3.5)).toBe(-1);
  });

  it('counts only the earliest detection in a window and weights false positives', () => {
    const n = 100; // probation 15 rows
    const scores = new Array<number>(n).fill(0);
    scores[20] = 1; // FP before any window: -fp
    scores[50] = 1; // first row of window [50, 59]: full tp
    scores[55] = 1; // later in the same window: ignored
    scores[60] = 1; // right after the window: almost free
    const rows = prepareRows(scores, [{ start: 50, end: 59 }], STANDARD);
    const r = scoreAtThreshold(rows, 0.5, STANDARD);
    const fpAfter = scaledSigmoid(1 / 9) * STANDARD.fp;
    expect(r.score).toBeCloseTo(-0.11 + 1 + fpAfter, 12);
    expect([r.tp, r.fp]).toEqual([2, 2]);
  });

  it('sweeps to the best threshold and never fires when every detection costs', () => {
    const scores = Array.from({ length: 100 }, (_, i) => (i === 30 ? 0.9 : i === 52 ? 0.8 : 0.1));
    const rows = prepareRows(scores, [{ start: 50, end: 59 }], STANDARD);
    const s = sweepThreshold(rows, STANDARD);
    expect(s.threshold).toBe(0.8);
    expect(s.nullScore).toBe(-1);
    const only = prepareRows(
      scores.map((_v, i) => (i === 30 ? 0.9 : 0)),
      [{ start: 50, end: 59 }],
      STANDARD,
    );
    expect(sweepThreshold(only, STANDARD).threshold).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('NAB scorer against published results', () => {
  it('finds the NAB dataset', () => {
    expect(NAB_DIR, `NAB dataset not found in ${NAB_CANDIDATES.join(', ')}: set ZEROOPS_NAB_DIR to the folder holding data/, labels/ and results/`).not.toBe(
      '',
    );
  });

  for (const detector of ['numenta', 'windowedGaussian']) {
    it(`reproduces ${detector}'s per-file scores at its published thresholds`, async () => {
      const files = await loadPublished(detector);
      const windows = await loadNabWindows(NAB_DIR);
      const profiles = await loadNabProfiles(NAB_DIR);
      const thresholds = JSON.parse(await readFile(join(NAB_DIR, 'config', 'thresholds.json'), 'utf8'));
      for (const profile of NAB_PROFILES) {
        const published = await loadPublishedScores(detector, profile);
        expect(published.length).toBe(files.size);
        const { perFile } = scoreCorpus(files, windows, profiles[profile], thresholds[detector][profile].threshold);
        for (const p of published) {
          const mine = perFile.get(p.file);
          expect(mine, p.file).toBeDefined();
          expect(mine?.score, `${profile} ${p.file}`).toBeCloseTo(p.score, 9);
          expect([mine?.tp, mine?.tn, mine?.fp, mine?.fn], p.file).toEqual([p.tp, p.tn, p.fp, p.fn]);
        }
      }
    });
  }

  it("reproduces Windowed Gaussian's subset scores from the README (50.9 / 31.1 / 59.0)", async () => {
    const files = await loadPublished('windowedGaussian');
    const windows = await loadNabWindows(NAB_DIR);
    const profiles = await loadNabProfiles(NAB_DIR);
    const got = NAB_PROFILES.map((p) => Number(scoreCorpus(files, windows, profiles[p]).sweep.normalized.toFixed(1)));
    expect(got).toEqual([50.9, 31.1, 59.0]);
  });
});
