/**
 * The project's own implementation of the Numenta Anomaly Benchmark (NAB v1.1)
 * scoring method: probation, anomaly windows, scaled-sigmoid weighting,
 * false-positive weighting against the preceding window, a corpus-wide
 * threshold sweep and normalization against the null and perfect detectors.
 *
 * Pure code: callers load files (see `nab-corpus.ts`) and pass arrays in.
 */

/** Weights of one NAB scoring profile (its cost matrix). */
export interface NabProfile {
  /** Reward for detecting a window at its very start (NAB `tpWeight`). */
  readonly tp: number;
  /** Cost of a false positive far from any window (NAB `fpWeight`). */
  readonly fp: number;
  /** Cost of a window without any detection (NAB `fnWeight`). */
  readonly fn: number;
}

/** Where a scored row lies: in a window (its id), outside every window, or in probation. */
export type RowRole = { kind: 'window'; window: number } | { kind: 'outside' } | { kind: 'probation' };

/**
 * One row of a file, prepared for scoring under one profile: the detector's
 * score, the weight the row earns if it is a detection, and its role.
 */
export interface ScoredRow {
  /** The detector's anomaly score for the row. */
  readonly score: number;
  /** Weight the row contributes when detected (tp reward or fp cost, signed). */
  readonly weight: number;
  /** Window membership of the row. */
  readonly role: RowRole;
}

/** A labelled window as inclusive row indices into its file. */
export interface RowWindow {
  /** Index of the first row of the window. */
  readonly start: number;
  /** Index of the last row of the window (inclusive). */
  readonly end: number;
}

/** Result of scoring at one threshold. */
export interface ThresholdScore {
  /** The threshold: a row is a detection when `score >= threshold`. */
  readonly threshold: number;
  /** Raw NAB score (sum of window rewards, misses and false positives). */
  readonly score: number;
  /** Detected rows inside windows (after probation). */
  readonly tp: number;
  /** Detected rows outside windows (after probation). */
  readonly fp: number;
  /** Undetected rows outside windows (after probation). */
  readonly tn: number;
  /** Undetected rows inside windows (after probation). */
  readonly fn: number;
}

/** Largest probation (in rows) NAB applies: 15 % of 5000 rows. */
export const MAX_PROBATION_ROWS = 750;

/** Number of leading rows of an `n`-row file that NAB does not score. */
export function probationRows(n: number): number {
  return Math.min(Math.floor(0.15 * n), MAX_PROBATION_ROWS);
}

/**
 * NAB's scaled sigmoid: 2 / (1 + e^(5x)) - 1, clamped to -1 beyond x > 3
 * (as NAB does, for detections far after a window).
 */
export function scaledSigmoid(x: number): number {
  if (x > 3) return -1;
  return 2 / (1 + Math.exp(5 * x)) - 1;
}

/**
 * Converts label windows given as timestamps into inclusive row indices.
 * A window's start maps to the first row at or after it, its end to the last
 * row at or before it; windows that match no rows are dropped.
 *
 * @param times row timestamps in ms, ascending.
 * @param windows `[startMs, endMs]` pairs, inclusive.
 */
export function windowsToRows(times: readonly number[], windows: readonly (readonly [number, number])[]): RowWindow[] {
  const out: RowWindow[] = [];
  for (const [startMs, endMs] of windows) {
    const start = lowerBound(times, startMs);
    const end = lowerBound(times, endMs + 1) - 1;
    if (start <= end) out.push({ start, end });
  }
  return out.sort((a, b) => a.start - b.start);
}

function lowerBound(times: readonly number[], value: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Prepares every row of one file: its weight if detected and its role.
 * Window ids are `windowIdBase + k` for the file's k-th window so that rows of
 * many files can be swept together.
 *
 * @param scores the detector's per-row scores.
 * @param windows the file's windows as row indices, ascending, non-overlapping.
 */
export function prepareRows(scores: readonly number[], windows: readonly RowWindow[], profile: NabProfile, windowIdBase = 0): ScoredRow[] {
  const n = scores.length;
  const probation = probationRows(n);
  const rows: ScoredRow[] = [];
  let next = 0;
  let prev: { end: number; width: number } | undefined;
  for (let i = 0; i < n; i++) {
    const w = windows[next];
    const inWindow = w !== undefined && i >= w.start && i <= w.end;
    let weight: number;
    let role: RowRole;
    if (inWindow) {
      const width = w.end - w.start + 1;
      weight = (scaledSigmoid(-(w.end - i + 1) / width) * profile.tp) / scaledSigmoid(-1);
      role = { kind: 'window', window: windowIdBase + next };
    } else {
      weight = falsePositiveWeight(i, prev) * profile.fp;
      role = { kind: 'outside' };
    }
    if (i < probation) role = { kind: 'probation' };
    rows.push({ score: scores[i] as number, weight, role });
    if (inWindow && i === w.end) {
      prev = { end: w.end, width: w.end - w.start + 1 };
      next++;
    }
  }
  return rows;
}

function falsePositiveWeight(i: number, prev: { end: number; width: number } | undefined): number {
  if (prev === undefined) return -1;
  return scaledSigmoid(Math.abs(prev.end - i) / (prev.width - 1));
}

/** Ids of the windows that have at least one scored (non-probation) row. */
export function scoredWindowIds(rows: readonly ScoredRow[]): Set<number> {
  const ids = new Set<number>();
  for (const r of rows) if (r.role.kind === 'window') ids.add(r.role.window);
  return ids;
}

/**
 * Scores prepared rows at one threshold: each window earns its earliest
 * detection's weight (or `-fn` if missed), each false positive its weight.
 */
export function scoreAtThreshold(rows: readonly ScoredRow[], threshold: number, profile: NabProfile): ThresholdScore {
  const best = new Map<number, number>();
  for (const id of scoredWindowIds(rows)) best.set(id, -profile.fn);
  let fpSum = 0;
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (const r of rows) {
    if (r.role.kind === 'probation') continue;
    const detected = r.score >= threshold;
    if (r.role.kind === 'window') {
      if (detected) {
        tp++;
        best.set(r.role.window, Math.max(best.get(r.role.window) as number, r.weight));
      } else fn++;
    } else if (detected) {
      fp++;
      fpSum += r.weight;
    } else tn++;
  }
  let score = fpSum;
  for (const v of best.values()) score += v;
  return { threshold, score, tp, fp, tn, fn };
}

/** The best threshold of a sweep and its raw score. */
export interface SweepResult {
  /** Chosen threshold; `Infinity` means "never fire". */
  readonly threshold: number;
  /** Raw score at that threshold. */
  readonly score: number;
  /** Raw score of the null detector (never fires): `-fn` per window. */
  readonly nullScore: number;
  /** Raw score of the perfect detector: `tp` per window. */
  readonly perfectScore: number;
  /** `100 (score - null) / (perfect - null)`. */
  readonly normalized: number;
}

/**
 * Sweeps the threshold over every distinct score of all rows (of one or many
 * files, with distinct window ids) plus "never fire", and returns the best.
 * Runs in O(n log n).
 */
export function sweepThreshold(rows: readonly ScoredRow[], profile: NabProfile): SweepResult {
  const windowIds = scoredWindowIds(rows);
  const nullScore = -profile.fn * windowIds.size;
  const perfectScore = profile.tp * windowIds.size;
  const active = rows.filter((r) => r.role.kind !== 'probation').sort((a, b) => b.score - a.score);
  const best = new Map<number, number>();
  let total = nullScore;
  let bestScore = total;
  let bestThreshold = Number.POSITIVE_INFINITY;
  let i = 0;
  while (i < active.length) {
    const threshold = (active[i] as ScoredRow).score;
    for (; i < active.length && (active[i] as ScoredRow).score === threshold; i++) {
      total += addDetection(active[i] as ScoredRow, best, profile);
    }
    if (total > bestScore) {
      bestScore = total;
      bestThreshold = threshold;
    }
  }
  const normalized = (100 * (bestScore - nullScore)) / (perfectScore - nullScore || 1);
  return { threshold: bestThreshold, score: bestScore, nullScore, perfectScore, normalized };
}

/** Change of the total score when `row` becomes a detection. */
function addDetection(row: ScoredRow, best: Map<number, number>, profile: NabProfile): number {
  if (row.role.kind !== 'window') return row.weight;
  const current = best.get(row.role.window);
  const before = current ?? -profile.fn;
  if (current !== undefined && current >= row.weight) return 0;
  best.set(row.role.window, row.weight);
  return row.weight - before;
}

/** Normalizes a raw score given the number of scored windows. */
export function normalizeScore(raw: number, windows: number, profile: NabProfile): number {
  const nullScore = -profile.fn * windows;
  const perfect = profile.tp * windows;
  return (100 * (raw - nullScore)) / (perfect - nullScore || 1);
}
