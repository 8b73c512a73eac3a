/**
 * The honest protocol of the NAB benchmark: a declared grid of per-signal
 * model configurations, each run once over every series; the in-sample
 * figure picks (configuration, threshold) on all categories; the
 * leave-one-category-out (LOCO) figure picks them on the other categories
 * and scores the held-out one with them, for each category in turn.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SeriesModelConfig, type SeriesReadout, scoreSeries } from '../../../models/univariate/index.ts';
import { csvLines, listCsvFiles, parseTimestamp } from '../../../services/cli/series-csv.ts';
import type { NabWindows } from './nab-corpus.ts';
import { type NabProfile, normalizeScore, prepareRows, type ScoredRow, scoreAtThreshold, sweepThreshold, windowsToRows } from './nab-scorer.ts';

/** One NAB series. */
export interface Series {
  /** Path relative to `data/`. */
  readonly file: string;
  /** Its category (the first folder of the path). */
  readonly category: string;
  readonly times: number[];
  readonly values: number[];
}

/** Reads every CSV below `<dir>/data`. */
export async function loadSeries(dir: string): Promise<Series[]> {
  const out: Series[] = [];
  for (const file of await listCsvFiles(join(dir, 'data'))) {
    const lines = csvLines(await readFile(join(dir, 'data', file), 'utf8')).slice(1);
    const times = lines.map((l) => parseTimestamp(l.split(',')[0] as string));
    const values = lines.map((l) => Number(l.split(',')[1]));
    out.push({ file, category: file.split('/')[0] as string, times, values });
  }
  return out;
}

/** Version of the shared per-signal model the trials record names (bumped when its mechanisms change). */
export const MODEL_VERSION = 'series-v13-weekly-where-better';

/**
 * One configuration of the benchmark: the shared model's settings and how
 * a row's score is read out. `score` is the live per-feature score of every
 * row; `onset` keeps it only on the row that opens an episode (the page a
 * live incident would send), 0 elsewhere; `alarm` is the model's alarm
 * score (`zeroops detect`'s `anomaly_score`: an episode's opening row, or a
 * row where it became ten times rarer, judged by how rare so severe an
 * episode is for the series, models/univariate/onset-rarity.ts).
 */
export interface NabConfig extends SeriesModelConfig {
  readout: SeriesReadout;
}

/**
 * The declared grid: the readout (the live score of episode openings, or the
 * alarm score with the onset rarity) and the time after which an open
 * episode's level is accepted as normal (the live default of a day, or two
 * hours). 2 x 2 = 4 configurations; every other setting stays at the
 * default. (Until series-v8 the grid's readouts were `score` and `onset`;
 * `score`, every row's score, was never picked.)
 */
export function declaredGrid(): NabConfig[] {
  const readouts = ['onset', 'alarm'] as const;
  const accepts = [86_400_000, 7_200_000];
  return readouts.flatMap((readout) => accepts.map((acceptAfterMs) => ({ readout, acceptAfterMs })));
}

/** Whether a grid point is what `zeroops detect` writes as `anomaly_score`: the defaults, the alarm score. */
export function isDefault(c: NabConfig): boolean {
  return c.readout === 'alarm' && Object.entries(c).every(([k, v]) => k === 'readout' || (k === 'acceptAfterMs' && v === 86_400_000));
}

/** Scores every series with one configuration; returns per-series scores and the seconds it took. */
export function runConfig(series: readonly Series[], config: NabConfig): { scores: number[][]; seconds: number } {
  const t0 = performance.now();
  const { readout, ...model } = config;
  const scores = series.map((s) => scoreSeries(s.times, s.values, model, readout));
  return { scores, seconds: (performance.now() - t0) / 1000 };
}

/** Rows per category under one profile, window ids distinct across the corpus. */
export function rowsByCategory(series: readonly Series[], scores: number[][], windows: NabWindows, profile: NabProfile): Map<string, ScoredRow[]> {
  const out = new Map<string, ScoredRow[]>();
  let base = 0;
  for (const [k, s] of series.entries()) {
    const wins = windowsToRows(s.times, windows.get(s.file) ?? []);
    const rows = prepareRows(scores[k] as number[], wins, profile, base);
    base += wins.length;
    const list = out.get(s.category) ?? [];
    for (const r of rows) list.push(r);
    out.set(s.category, list);
  }
  return out;
}

/** How many distinct labelled windows `rows` touch. */
export function windowCount(rows: readonly ScoredRow[]): number {
  const ids = new Set<number>();
  for (const r of rows) if (r.role.kind === 'window') ids.add(r.role.window);
  return ids.size;
}

/** A choice of configuration and threshold and the normalized score it earns. */
export interface Pick {
  /** Index into the grid. */
  readonly config: number;
  readonly threshold: number;
  /** Normalized score (in-sample: on all categories; LOCO: on the held-out one, or the total). */
  readonly normalized: number;
}

/** In-sample: the best (configuration, threshold) over all categories together. */
export function inSample(prepared: readonly Map<string, ScoredRow[]>[], profile: NabProfile): Pick {
  let best: Pick = { config: 0, threshold: Number.POSITIVE_INFINITY, normalized: Number.NEGATIVE_INFINITY };
  for (const [k, byCat] of prepared.entries()) {
    const sweep = sweepThreshold([...byCat.values()].flat(), profile);
    if (sweep.normalized > best.normalized) best = { config: k, threshold: sweep.threshold, normalized: sweep.normalized };
  }
  return best;
}

/** LOCO: per held-out category, the pick made on the others; and the corpus figure of those held-out scores. */
export function leaveOneCategoryOut(prepared: readonly Map<string, ScoredRow[]>[], profile: NabProfile): { folds: Map<string, Pick>; normalized: number } {
  const cats = [...(prepared[0] ?? new Map<string, ScoredRow[]>()).keys()];
  const folds = new Map<string, Pick>();
  let raw = 0;
  let windows = 0;
  for (const held of cats) {
    let best = { score: Number.NEGATIVE_INFINITY, k: 0, threshold: 0 };
    for (const [k, byCat] of prepared.entries()) {
      const sweep = sweepThreshold(
        cats.filter((c) => c !== held).flatMap((c) => byCat.get(c) ?? []),
        profile,
      );
      if (sweep.normalized > best.score) best = { score: sweep.normalized, k, threshold: sweep.threshold };
    }
    const test = (prepared[best.k] as Map<string, ScoredRow[]>).get(held) ?? [];
    const r = scoreAtThreshold(test, best.threshold, profile).score;
    const w = windowCount(test);
    raw += r;
    windows += w;
    folds.set(held, { config: best.k, threshold: best.threshold, normalized: normalizeScore(r, w, profile) });
  }
  return { folds, normalized: normalizeScore(raw, windows, profile) };
}
