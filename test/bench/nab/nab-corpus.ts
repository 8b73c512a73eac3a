/**
 * Loading a NAB-layout folder (labels, profiles, thresholds, detector output
 * files) and scoring a whole corpus with `nab-scorer.ts`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseTimestamp, readColumn } from '../../../services/cli/series-csv.ts';
import {
  type NabProfile,
  prepareRows,
  type ScoredRow,
  type SweepResult,
  scoreAtThreshold,
  sweepThreshold,
  type ThresholdScore,
  windowsToRows,
} from './nab-scorer.ts';

/** The three NAB profile names, in NAB's order. */
export const NAB_PROFILES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const;

/** One of the three NAB profile names. */
export type NabProfileName = (typeof NAB_PROFILES)[number];

/** Label windows per file (path relative to `data/`), as `[startMs, endMs]`. */
export type NabWindows = Map<string, [number, number][]>;

/** One file's detector output: row timestamps (ms) and anomaly scores. */
export interface FileScores {
  /** Row timestamps, epoch ms. */
  readonly times: number[];
  /** Anomaly score per row. */
  readonly scores: number[];
}

/** Reads `labels/combined_windows.json` below a NAB folder. */
export async function loadNabWindows(nabDir: string): Promise<NabWindows> {
  const raw = JSON.parse(await readFile(join(nabDir, 'labels', 'combined_windows.json'), 'utf8')) as Record<string, [string, string][]>;
  const out: NabWindows = new Map();
  for (const [file, wins] of Object.entries(raw)) {
    out.set(
      file,
      wins.map(([s, e]) => [parseTimestamp(s), parseTimestamp(e)]),
    );
  }
  return out;
}

/** Reads the three profiles from `config/profiles.json`. */
export async function loadNabProfiles(nabDir: string): Promise<Record<NabProfileName, NabProfile>> {
  type Raw = Record<string, { CostMatrix: { tpWeight: number; fpWeight: number; fnWeight: number } }>;
  const raw = JSON.parse(await readFile(join(nabDir, 'config', 'profiles.json'), 'utf8')) as Raw;
  const pick = (name: NabProfileName): NabProfile => {
    const c = raw[name]?.CostMatrix;
    if (c === undefined) throw new Error(`profiles.json has no profile "${name}"`);
    return { tp: c.tpWeight, fp: c.fpWeight, fn: c.fnWeight };
  };
  return { standard: pick('standard'), reward_low_FP_rate: pick('reward_low_FP_rate'), reward_low_FN_rate: pick('reward_low_FN_rate') };
}

/** Reads a detector output CSV (`timestamp,...,anomaly_score,...`). */
export async function readScoreFile(path: string): Promise<FileScores> {
  const { timestamps, values } = readColumn(await readFile(path, 'utf8'), 'anomaly_score');
  return { times: timestamps.map(parseTimestamp), scores: values };
}

/** Per-file and corpus results of one profile. */
export interface CorpusScore {
  /** Best corpus-wide threshold and normalized score. */
  readonly sweep: SweepResult;
  /** Each file's result at the chosen threshold. */
  readonly perFile: Map<string, ThresholdScore>;
}

/** Prepares each file's rows with distinct window ids. */
export function prepareCorpus(files: Map<string, FileScores>, windows: NabWindows, profile: NabProfile): Map<string, ScoredRow[]> {
  const out = new Map<string, ScoredRow[]>();
  let base = 0;
  for (const [file, fs] of files) {
    const wins = windowsToRows(fs.times, windows.get(file) ?? []);
    out.set(file, prepareRows(fs.scores, wins, profile, base));
    base += wins.length;
  }
  return out;
}

/**
 * Scores a corpus under one profile: sweeps the threshold over all files
 * together (or uses `threshold` if given) and reports each file at it.
 */
export function scoreCorpus(files: Map<string, FileScores>, windows: NabWindows, profile: NabProfile, threshold?: number): CorpusScore {
  const prepared = prepareCorpus(files, windows, profile);
  const all = [...prepared.values()].flat();
  const sweep = sweepThreshold(all, profile);
  const chosen = threshold ?? sweep.threshold;
  const perFile = new Map<string, ThresholdScore>();
  for (const [file, rows] of prepared) perFile.set(file, scoreAtThreshold(rows, chosen, profile));
  return { sweep, perFile };
}
