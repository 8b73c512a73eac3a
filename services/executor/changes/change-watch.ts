/**
 * Watching a changed service: its signals after the change against the
 * same signals before it (the pre-change baseline). A regression is a
 * sustained deviation: a watched feature worse beyond noise (the verify
 * step's rule: more than WORSE_SPREADS spreads and WORSE_SHARE of the
 * baseline), or the detector's service score anomalous, in every window of
 * the latest stretch of at least MIN_WATCH_WINDOWS windows and the change's
 * sustain time; for the score, the share of anomalous windows since the
 * change must also be beyond what the baseline's share explains by chance.
 * A blip (a window or a few seconds of a fresh process serving its first
 * requests slowly, a single-window anomaly episode) is not a regression; a
 * bad version stays bad and is.
 */
import { and, asc, eq, gt, gte, lt } from 'drizzle-orm';
import type { Db } from '../../store/index.ts';
import { incidents, rollups } from '../../store/index.ts';
import { WORSE_SHARE, WORSE_SPREADS } from '../steps/wait-verify-step.ts';

/** The signals watched, with the smallest spread that counts as noise in their unit (a constant series has none). */
export const WATCHED_FEATURES: Record<string, number> = { error_ratio: 0.01, latency_p99_ms: 5, latency_p95_ms: 5 };
/** Fewest consecutive windows, the latest, that must all deviate for a regression (whatever the sustain time). */
export const MIN_WATCH_WINDOWS = 3;
/** Default sustain time, in seconds (at most half the watch): how long a deviation must last to be a regression. */
export const DEFAULT_SUSTAIN_SECONDS = 15;
/**
 * A window's service score at or above this is anomalous: the level the
 * detector keeps an open episode open at (it opens one at 0.7; see
 * `episodeConfig` in the detector).
 */
export const ANOMALOUS_SCORE = 0.5;
/**
 * The share of anomalous windows since the change is beyond the baseline's
 * when that many or more would happen by chance at the baseline's share with
 * a probability below this (one-sided binomial test).
 */
export const SHARE_SIGNIFICANCE = 0.01;

/** One feature's pre-change level. */
export interface FeatureBaseline {
  mean: number;
  spread: number;
  windows: number;
}

/** The pre-change baseline of a service's features, per watched feature. */
export type ChangeBaseline = Record<string, FeatureBaseline>;

/** How often the service's score was anomalous before the change. */
export interface ScoreBaseline {
  anomalous: number;
  windows: number;
}

/** The pre-change baseline: features, and the anomalous share of the service score. */
export interface WatchBaseline {
  features: ChangeBaseline;
  score?: ScoreBaseline;
}

/** One detector window of the service: its end, its service score and its features. */
export interface WatchWindow {
  endMs: number;
  score: number;
  features: Record<string, number>;
}

/** How the watch judges: the detector's window length and the sustain time, in ms. */
export interface WatchRule {
  windowMs: number;
  sustainMs: number;
}

/** The latest stretch of deviating windows of one signal. */
export interface Stretch {
  windows: number;
  seconds: number;
}

/** A regression found, or none, with the comparison behind it. */
export interface WatchVerdict {
  regression: boolean;
  reason: string;
  /** Per feature: baseline mean, watched mean (over the latest deviating stretch, at least the latest three windows), the limit, the stretch. */
  compared: Record<string, { baseline: number; watched: number; limit: number; deviating: Stretch }>;
  /** The service score: anomalous windows since the change, the baseline's share, the latest anomalous stretch and the test's p value. */
  score?: { anomalous: number; windows: number; baselineShare: number; deviating: Stretch; pValue: number };
  windows: number;
  sustainSeconds: number;
}

/** Mean and (sample) standard deviation, the spread floored at the feature's noise. */
function level(xs: number[], floor: number): FeatureBaseline {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, spread: Math.max(sd, floor, 0.05 * Math.abs(mean)), windows: xs.length };
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Pure: the baseline from pre-change windows: each watched feature's level, and how many windows scored anomalous. */
export function baselineOf(windows: WatchWindow[]): WatchBaseline {
  const features: ChangeBaseline = {};
  for (const [f, floor] of Object.entries(WATCHED_FEATURES)) {
    const xs = windows.map((w) => w.features[f]).filter(finite);
    if (xs.length > 0) features[f] = level(xs, floor);
  }
  const scored = windows.filter((w) => finite(w.score));
  return { features, score: { anomalous: scored.filter((w) => w.score >= ANOMALOUS_SCORE).length, windows: scored.length } };
}

/** The latest run of windows for which `deviates` holds, and the time it spans. */
function latestStretch(after: WatchWindow[], windowMs: number, deviates: (w: WatchWindow) => boolean): Stretch {
  let i = after.length;
  while (i > 0 && deviates(after[i - 1] as WatchWindow)) i--;
  const n = after.length - i;
  if (n === 0) return { windows: 0, seconds: 0 };
  const first = after[i] as WatchWindow;
  const last = after[after.length - 1] as WatchWindow;
  return { windows: n, seconds: (last.endMs - first.endMs + windowMs) / 1000 };
}

const sustained = (s: Stretch, rule: WatchRule) => s.windows >= MIN_WATCH_WINDOWS && s.seconds * 1000 >= rule.sustainMs;

/** Pure: P(X >= k) for X ~ Binomial(n, p), summed in log space (n up to a day of 1 s windows). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n || p <= 0) return 0;
  if (p >= 1) return 1;
  let logPmf = k * Math.log(p) + (n - k) * Math.log1p(-p);
  for (let i = 0; i < k; i++) logPmf += Math.log((n - i) / (i + 1));
  const odds = Math.log(p) - Math.log1p(-p);
  let sum = 0;
  for (let i = k; i <= n; i++) {
    sum += Math.exp(logPmf);
    if (i < n) logPmf += Math.log((n - i) / (i + 1)) + odds;
  }
  return Math.min(1, sum);
}

/**
 * Pure: whether the windows since the change (oldest first) regressed from
 * the baseline. A feature regressed when it is above the baseline mean by
 * more than {@link WORSE_SPREADS} spreads and more than {@link WORSE_SHARE}
 * of it in every window of the latest stretch of at least
 * {@link MIN_WATCH_WINDOWS} windows lasting at least the sustain time. The
 * service score regressed when it is at or above {@link ANOMALOUS_SCORE} in
 * every window of such a stretch and the anomalous windows since the change
 * are more than the baseline's share (smoothed: (k + 1) / (n + 2)) explains
 * at {@link SHARE_SIGNIFICANCE}. Undecided (no regression) with fewer windows.
 */
export function judgeWatch(baseline: WatchBaseline, after: WatchWindow[], rule: WatchRule): WatchVerdict {
  const compared: WatchVerdict['compared'] = {};
  const sustainSeconds = rule.sustainMs / 1000;
  const base = { compared, windows: after.length, sustainSeconds };
  if (after.length < MIN_WATCH_WINDOWS) return { regression: false, reason: `${after.length} window(s) since the change: too few to judge`, ...base };
  const worse: string[] = [];
  const brief: string[] = [];
  for (const [f, b] of Object.entries(baseline.features)) {
    if (!after.some((w) => finite(w.features[f]))) continue;
    const limit = Math.max(b.mean + WORSE_SPREADS * b.spread, b.mean * (1 + WORSE_SHARE));
    const deviating = latestStretch(after, rule.windowMs, (w) => finite(w.features[f]) && (w.features[f] as number) > limit);
    const xs = after
      .slice(-Math.max(MIN_WATCH_WINDOWS, deviating.windows))
      .map((w) => w.features[f])
      .filter(finite);
    const watched = xs.length > 0 ? xs.reduce((a, c) => a + c, 0) / xs.length : Number.NaN;
    compared[f] = { baseline: b.mean, watched, limit, deviating };
    const what = `${f} ${fmt(watched)} against ${fmt(b.mean)} before (limit ${fmt(limit)})`;
    if (sustained(deviating, rule)) worse.push(`${what} for the latest ${stretchText(deviating)}`);
    else if (deviating.windows > 0) brief.push(`${f} beyond noise for the latest ${stretchText(deviating)} only`);
  }
  const s = scoreVerdict(baseline.score, after, rule);
  if (s) {
    const share = `${s.anomalous} of ${s.windows} windows since the change, ${pct(s.baselineShare)} before`;
    if (sustained(s.deviating, rule) && s.pValue < SHARE_SIGNIFICANCE)
      worse.push(`service score anomalous (>= ${ANOMALOUS_SCORE}) for the latest ${stretchText(s.deviating)} (${share})`);
    else if (s.anomalous > 0) brief.push(`service score anomalous in ${share}${s.deviating.windows > 0 ? `, the latest ${stretchText(s.deviating)}` : ''}`);
  }
  const verdict = { ...base, ...(s ? { score: s } : {}) };
  if (worse.length > 0) return { regression: true, reason: `regression: ${worse.join('; ')}`, ...verdict };
  const judged = Object.keys(compared);
  const within = judged.length === 0 ? 'no baseline to compare with' : `${judged.join(', ')} within noise of the baseline`;
  const notSustained = brief.length > 0 ? ` (not sustained for ${sustainSeconds} s: ${brief.join('; ')})` : '';
  return { regression: false, reason: `${within}${notSustained}`, ...verdict };
}

function scoreVerdict(b: ScoreBaseline | undefined, after: WatchWindow[], rule: WatchRule): WatchVerdict['score'] {
  const scored = after.filter((w) => finite(w.score));
  if (scored.length === 0) return undefined;
  const anomalous = scored.filter((w) => w.score >= ANOMALOUS_SCORE).length;
  const baselineShare = ((b?.anomalous ?? 0) + 1) / ((b?.windows ?? 0) + 2);
  const deviating = latestStretch(after, rule.windowMs, (w) => finite(w.score) && w.score >= ANOMALOUS_SCORE);
  return { anomalous, windows: scored.length, baselineShare, deviating, pValue: binomialUpperTail(anomalous, scored.length, baselineShare) };
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));
const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)} %`;
const stretchText = (s: Stretch) => `${s.seconds.toFixed(0)} s (${s.windows} windows)`;

/** The detector's windows of `service` ending in [fromMs, toMs), oldest first. */
export async function readWindows(db: Db, service: string, fromMs: number, toMs: number): Promise<WatchWindow[]> {
  const rows = await db
    .select({ windowEnd: rollups.windowEnd, score: rollups.score, features: rollups.features })
    .from(rollups)
    .where(and(eq(rollups.service, service), gte(rollups.windowEnd, new Date(fromMs)), lt(rollups.windowEnd, new Date(toMs)), eq(rollups.stepSeconds, 0)))
    .orderBy(asc(rollups.windowEnd))
    .limit(100_000);
  return rows.map((r) => ({ endMs: r.windowEnd.getTime(), score: r.score, features: r.features }));
}

/** The first anomaly episode the detector opened on `service` after `sinceMs`, if any (named in a regression's reason). */
export async function episodeOpenedSince(db: Db, service: string, sinceMs: number): Promise<{ id: string; openedAt: Date; maxScore: number } | undefined> {
  const rows = await db
    .select({ id: incidents.id, openedAt: incidents.openedAt, maxScore: incidents.maxScore })
    .from(incidents)
    .where(and(eq(incidents.service, service), gt(incidents.openedAt, new Date(sinceMs))))
    .orderBy(asc(incidents.openedAt))
    .limit(1);
  return rows[0];
}
