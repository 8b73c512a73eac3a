/**
 * NAB experiment runner for detector development: loads the NAB folder once,
 * runs a detector with one or more JSON configs (partial `UnivariateConfig`s;
 * `"detector": "artime"` selects the ARTime-style detector, `"signal"` the
 * per-signal model (signal-model.ts), and
 * `"artime+univariate"` the larger of the two, the other keys being their
 * settings), prints the three profile scores with a per-category
 * breakdown, and, given several configs, a leave-one-category-out estimate:
 * for each category, the config and threshold are chosen on the other
 * categories and the held-out category is scored with them.
 *
 * Usage: npx tsx test/bench/nab/nab-experiment.ts [-v] [-a] '<json>' ['<json>' ...]
 * `-v` prints per-file raw standard score, hits and false positives; `-a` lists every alarm
 * (score > 0) with its role (TP = first detection of a window, T2 = a later
 * one, FP, pr = probation) and its standard-profile weight, ranked by score,
 * to see which alarms a threshold can separate.
 */
import { join, resolve } from 'node:path';
import {
  type ArtimeConfig,
  ArtimeDetector,
  type SignalConfig,
  SignalModel,
  type UnivariateConfig,
  UnivariateDetector,
} from '../../../models/univariate/index.ts';
import { loadNabProfiles, loadNabWindows, NAB_PROFILES, type NabWindows } from './nab-corpus.ts';
import { loadSeries, rowsByCategory, type Series, windowCount } from './nab-loco.ts';
import { type NabProfile, normalizeScore, prepareRows, type ScoredRow, scoreAtThreshold, sweepThreshold, windowsToRows } from './nab-scorer.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');

/** A config selects its detector with `"detector": "artime"` or `"artime+univariate"`; the univariate detector otherwise. */
function makeDetector(config: Record<string, unknown>): { update(t: number, v: number): number } {
  const { detector, ...rest } = config;
  if (detector === 'artime') return new ArtimeDetector(rest as Partial<ArtimeConfig>);
  if (detector === 'signal') return new SignalModel(rest as Partial<SignalConfig>);
  if (detector === 'artime+univariate') return artimeWithUnivariate(rest);
  return new UnivariateDetector(rest as Partial<UnivariateConfig>);
}

/**
 * `"detector": "artime+univariate"`: both detectors on the same rows, the
 * score being the larger of the univariate score and `weight` (default 0.5)
 * times the ARTime-style one; `univariate` and `artime` hold their settings.
 */
function artimeWithUnivariate(config: Record<string, unknown>): { update(t: number, v: number): number } {
  const weight = typeof config.weight === 'number' ? config.weight : 0.5;
  const uni = new UnivariateDetector((config.univariate ?? {}) as Partial<UnivariateConfig>);
  const art = new ArtimeDetector((config.artime ?? {}) as Partial<ArtimeConfig>);
  return { update: (t, v) => Math.max(uni.update(t, v), weight * art.update(t, v)) };
}

function detect(series: Series[], config: Record<string, unknown>): number[][] {
  return series.map((s) => {
    const d = makeDetector(config);
    return s.values.map((v, i) => d.update(s.times[i] as number, v));
  });
}

/** Every alarm of the corpus, highest score first, with its role and weight. */
function listAlarms(series: Series[], scores: number[][], windows: NabWindows, profile: NabProfile): void {
  const alarms: { score: number; line: string }[] = [];
  for (const [k, s] of series.entries()) {
    const sc = scores[k] as number[];
    const rows = prepareRows(sc, windowsToRows(s.times, windows.get(s.file) ?? []), profile);
    const seen = new Set<number>();
    for (const [i, r] of rows.entries()) {
      if (r.score <= 0) continue;
      let tag = r.role.kind === 'window' ? 'TP' : r.role.kind === 'probation' ? 'pr' : 'FP';
      if (r.role.kind === 'window') {
        if (seen.has(r.role.window)) tag = 'T2';
        seen.add(r.role.window);
      }
      alarms.push({ score: r.score, line: `${r.score.toFixed(4)} ${tag} w ${r.weight.toFixed(2).padStart(5)} ${s.file} row ${i}` });
    }
  }
  alarms.sort((a, b) => b.score - a.score);
  for (const a of alarms) console.log(`    ${a.line}`);
}

function report(series: Series[], scores: number[][], windows: NabWindows, profiles: Record<string, NabProfile>, verbose: boolean): void {
  const parts: string[] = [];
  for (const p of NAB_PROFILES) {
    const byCat = rowsByCategory(series, scores, windows, profiles[p] as NabProfile);
    const sweep = sweepThreshold([...byCat.values()].flat(), profiles[p] as NabProfile);
    parts.push(`${p.slice(0, 12)} ${sweep.normalized.toFixed(2)}`);
    if (p !== 'standard') continue;
    const cats = [...byCat.entries()].map(([c, rows]) => {
      const r = scoreAtThreshold(rows, sweep.threshold, profiles[p] as NabProfile);
      return `${c.slice(0, 14)} raw ${r.score.toFixed(2)} fp ${r.fp}`;
    });
    parts.push(`thr ${sweep.threshold.toFixed(4)}\n    ${cats.join(' | ')}`);
    if (verbose) perFile(series, scores, windows, sweep.threshold);
  }
  console.log(`  ${parts.join('  ')}`);
}

function perFile(series: Series[], scores: number[][], windows: NabWindows, thr: number): void {
  for (const [k, s] of series.entries()) {
    const wins = windowsToRows(s.times, windows.get(s.file) ?? []);
    const sc = scores[k] as number[];
    const prob = Math.min(Math.floor(0.15 * sc.length), 750);
    const hits = wins.map((w) => {
      for (let i = Math.max(w.start, prob); i <= w.end; i++) if ((sc[i] as number) >= thr) return ((i - w.start) / (w.end - w.start + 1)).toFixed(2);
      return w.end < prob ? 'prob' : 'MISS';
    });
    let fp = 0;
    for (let i = prob; i < sc.length; i++) if ((sc[i] as number) >= thr && !wins.some((w) => i >= w.start && i <= w.end)) fp++;
    const standard = { tp: 1, fp: 0.11, fn: 1 };
    const raw = scoreAtThreshold(prepareRows(sc, wins, standard), thr, standard).score;
    console.log(`    ${s.file.padEnd(55)} raw ${raw.toFixed(2).padStart(6)} fp ${String(fp).padStart(3)}  windows ${hits.join(' ')}`);
  }
}

/** Leave-one-category-out: pick (config, threshold) on 4 categories, score the 5th. */
function leaveOneOut(cats: string[], prepared: Map<string, ScoredRow[]>[], profile: NabProfile, labels: string[]): number {
  let raw = 0;
  let windowsTotal = 0;
  for (const held of cats) {
    let best = { score: Number.NEGATIVE_INFINITY, k: 0, threshold: 0 };
    for (const [k, byCat] of prepared.entries()) {
      const train = cats.filter((c) => c !== held).flatMap((c) => byCat.get(c) ?? []);
      const sweep = sweepThreshold(train, profile);
      if (sweep.score > best.score) best = { score: sweep.score, k, threshold: sweep.threshold };
    }
    const test = (prepared[best.k] as Map<string, ScoredRow[]>).get(held) ?? [];
    raw += scoreAtThreshold(test, best.threshold, profile).score;
    windowsTotal += windowCount(test);
    console.log(`    held out ${held.padEnd(22)} picked ${labels[best.k]} thr ${best.threshold.toFixed(4)}`);
  }
  return normalizeScore(raw, windowsTotal, profile);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const verbose = argv.includes('-v');
  const alarms = argv.includes('-a');
  const configs = argv.filter((a) => a !== '-v' && a !== '-a');
  if (configs.length === 0) configs.push('{}');
  const dir = resolve(process.env.ZEROOPS_NAB_DIR ?? join(REPO_ROOT, '../shared/datasets/nab'));
  const series = await loadSeries(dir);
  const windows = await loadNabWindows(dir);
  const profiles = (await loadNabProfiles(dir)) as Record<string, NabProfile>;
  const all: number[][][] = [];
  for (const c of configs) {
    const t0 = performance.now();
    const scores = detect(series, JSON.parse(c) as Record<string, unknown>);
    all.push(scores);
    console.log(`${c}  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    report(series, scores, windows, profiles, verbose);
    if (alarms) listAlarms(series, scores, windows, profiles.standard as NabProfile);
  }
  const cats = [...new Set(series.map((s) => s.category))];
  for (const p of NAB_PROFILES) {
    const prepared = all.map((scores) => rowsByCategory(series, scores, windows, profiles[p] as NabProfile));
    console.log(`leave-one-category-out ${p}:`);
    console.log(`  => ${leaveOneOut(cats, prepared, profiles[p] as NabProfile, configs).toFixed(2)}`);
  }
}

await main();
