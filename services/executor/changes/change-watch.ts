/**
 * Watching a changed service: its signals after the change against the
 * same signals before it (the pre-change baseline). A regression is a
 * sustained deviation: over the latest span of the sustain time (at least
 * MIN_WATCH_WINDOWS windows) cut into three parts, a watched feature worse
 * beyond noise (the verify step's rule: more than WORSE_SPREADS spreads and
 * WORSE_SHARE of the baseline) in each part, or the detector's service score
 * anomalous in at least half the windows of each part; for the score, the
 * share of anomalous windows since the change must also be beyond what the
 * baseline's share explains by chance. With three windows each part is one
 * window. A blip (a few seconds of a fresh process serving its first
 * requests slowly, a single-window anomaly episode) is not a regression; a
 * bad version stays bad and is.
 */
import { and, asc, eq, gt, gte, lt } from 'drizzle-orm';
import type { Db } from '../../store/index.ts';
import { incidents, rollups } from '../../store/index.ts';
import { WORSE_SHARE, WORSE_SPREADS } from '../steps/wait-verify-step.ts';

/** The signals watched, with the smallest spread that counts as noise in their unit (a constant series has none). */
export const WATCHED_FEATURES: Record<string, number> = { error_ratio: 0.01, latency_p99_ms: 5, latency_p95_ms: 5 };
/** Fewest windows, the latest, a regression is judged on (whatever the sustain time): one per part. */
export const MIN_WATCH_WINDOWS = 3;
/** The latest span is cut into this many parts, and a regression must show in each. */
export const WATCH_PARTS = 3;
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

/** The span judged: the latest windows covering the sustain time, and what each of its parts showed. */
export interface SpanParts {
  windows: number;
  seconds: number;
  /** Per part, oldest first: the feature's value (pooled error ratio, median latency) or the share of anomalous scores. */
  parts: number[];
}

/** A regression found, or none, with the comparison behind it. */
export interface WatchVerdict {
  regression: boolean;
  reason: string;
  /** Per feature: baseline mean, the value over the latest span (as for its parts), the limit, the span's parts. */
  compared: Record<string, { baseline: number; watched: number; limit: number; span: SpanParts }>;
  /** The service score: anomalous windows since the change, the baseline's share, the test's p value, the latest span's parts (shares). */
  score?: { anomalous: number; windows: number; baselineShare: number; pValue: number; span: SpanParts };
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

/**
 * The span judged: the latest windows ending within the sustain time of the
 * latest one, at least {@link MIN_WATCH_WINDOWS} (one per part); undefined
 * while the windows since the change are fewer or cover less than the
 * sustain time (windows may be missing: time counts, not windows).
 */
export function latestSpan(after: WatchWindow[], rule: WatchRule): WatchWindow[] | undefined {
  const last = after.at(-1);
  const n = Math.max(MIN_WATCH_WINDOWS, WATCH_PARTS);
  if (!last || after.length < n || last.endMs - (after[0] as WatchWindow).endMs + rule.windowMs < rule.sustainMs) return undefined;
  let i = after.length - n;
  while (i > 0 && last.endMs - (after[i - 1] as WatchWindow).endMs + rule.windowMs <= rule.sustainMs) i--;
  return after.slice(i);
}

/** Cuts `xs` into {@link WATCH_PARTS} contiguous parts of (nearly) equal size, oldest first. */
function partsOf<T>(xs: T[]): T[][] {
  return Array.from({ length: WATCH_PARTS }, (_, k) => xs.slice(Math.round((k * xs.length) / WATCH_PARTS), Math.round(((k + 1) * xs.length) / WATCH_PARTS)));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/**
 * A feature's value over some windows: the error ratio pooled over their
 * requests (a window with few requests weighs little: a sparse bad version
 * still shows its share of failures), a latency the median of the windows
 * (one very slow window does not make a slow stretch). NaN without values.
 */
function valueOver(f: string, ws: WatchWindow[], windowMs: number): number {
  const xs = ws.filter((w) => finite(w.features[f]));
  if (xs.length === 0) return Number.NaN;
  if (f !== 'error_ratio') return median(xs.map((w) => w.features[f] as number));
  const requests = xs.map((w) => (finite(w.features.request_rate) ? (w.features.request_rate as number) * (windowMs / 1000) : 1));
  const total = requests.reduce((a, b) => a + b, 0);
  if (total <= 0) return median(xs.map((w) => w.features[f] as number));
  return xs.reduce((a, w, i) => a + (w.features[f] as number) * (requests[i] as number), 0) / total;
}

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
 * the baseline. The latest windows within the sustain time (at least
 * three, see {@link latestSpan}) are cut into {@link WATCH_PARTS} parts. A feature
 * regressed when, in each part, it is above the baseline mean by more than
 * {@link WORSE_SPREADS} spreads and more than {@link WORSE_SHARE} of it
 * (error ratio pooled over the part's requests, latency the part's median
 * window). The service score regressed when at least half the windows of
 * each part score at or above {@link ANOMALOUS_SCORE} and the anomalous
 * windows since the change are more than the baseline's share (smoothed:
 * (k + 1) / (n + 2)) explains at {@link SHARE_SIGNIFICANCE}. Undecided (no
 * regression) with fewer windows than the span.
 */
export function judgeWatch(baseline: WatchBaseline, after: WatchWindow[], rule: WatchRule): WatchVerdict {
  const compared: WatchVerdict['compared'] = {};
  const sustainSeconds = rule.sustainMs / 1000;
  const base = { compared, windows: after.length, sustainSeconds };
  const span = latestSpan(after, rule);
  if (!span)
    return {
      regression: false,
      reason: `${after.length} window(s) since the change: too few to judge (${sustainSeconds} s and ${Math.max(MIN_WATCH_WINDOWS, WATCH_PARTS)} windows needed)`,
      ...base,
    };
  const n = span.length;
  const parts = partsOf(span);
  const spanSeconds = ((span.at(-1) as WatchWindow).endMs - (span[0] as WatchWindow).endMs + rule.windowMs) / 1000;
  const spanText = `each third of the latest ${spanSeconds.toFixed(0)} s (${n} windows)`;
  const worse: string[] = [];
  const brief: string[] = [];
  for (const [f, b] of Object.entries(baseline.features)) {
    const watched = valueOver(f, span, rule.windowMs);
    if (!Number.isFinite(watched)) continue;
    const limit = Math.max(b.mean + WORSE_SPREADS * b.spread, b.mean * (1 + WORSE_SHARE));
    const values = parts.map((p) => valueOver(f, p, rule.windowMs));
    compared[f] = { baseline: b.mean, watched, limit, span: { windows: n, seconds: spanSeconds, parts: values } };
    const what = `${f} ${fmt(watched)} against ${fmt(b.mean)} before (limit ${fmt(limit)})`;
    const beyond = values.filter((v) => Number.isFinite(v) && v > limit).length;
    if (beyond === WATCH_PARTS) worse.push(`${what} in ${spanText}`);
    else if (beyond > 0) brief.push(`${f} beyond noise in ${beyond} of ${WATCH_PARTS} parts`);
  }
  const s = scoreVerdict(baseline.score, after, parts, { windows: n, seconds: spanSeconds });
  if (s) {
    const share = `${s.anomalous} of ${s.windows} windows since the change, ${pct(s.baselineShare)} before`;
    const partsAnomalous = s.span.parts.filter((x) => x >= 0.5).length;
    if (partsAnomalous === WATCH_PARTS && s.pValue < SHARE_SIGNIFICANCE)
      worse.push(`service score anomalous (>= ${ANOMALOUS_SCORE}) in at least half the windows of ${spanText} (${share})`);
    else if (s.anomalous > 0) brief.push(`service score anomalous in ${share}`);
  }
  const verdict = { ...base, ...(s ? { score: s } : {}) };
  if (worse.length > 0) return { regression: true, reason: `regression: ${worse.join('; ')}`, ...verdict };
  const judged = Object.keys(compared);
  const within = judged.length === 0 ? 'no baseline to compare with' : `${judged.join(', ')} within noise of the baseline`;
  const notSustained = brief.length > 0 ? ` (not sustained over the latest ${spanSeconds.toFixed(0)} s: ${brief.join('; ')})` : '';
  return { regression: false, reason: `${within}${notSustained}`, ...verdict };
}

function scoreVerdict(
  b: ScoreBaseline | undefined,
  after: WatchWindow[],
  parts: WatchWindow[][],
  span: { windows: number; seconds: number },
): WatchVerdict['score'] {
  const scored = after.filter((w) => finite(w.score));
  if (scored.length === 0) return undefined;
  const anomalous = scored.filter((w) => w.score >= ANOMALOUS_SCORE).length;
  const baselineShare = ((b?.anomalous ?? 0) + 1) / ((b?.windows ?? 0) + 2);
  const shares = parts.map((p) => {
    const xs = p.filter((w) => finite(w.score));
    return xs.length === 0 ? 0 : xs.filter((w) => w.score >= ANOMALOUS_SCORE).length / xs.length;
  });
  return {
    anomalous,
    windows: scored.length,
    baselineShare,
    pValue: binomialUpperTail(anomalous, scored.length, baselineShare),
    span: { ...span, parts: shares },
  };
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));
const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)} %`;

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
