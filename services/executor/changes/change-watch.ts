/**
 * Watching a changed service: its signals after the change against the
 * same signals before it (the pre-change baseline), and any anomaly
 * episode the detector opened on it since. A regression is judged with the
 * verify step's rule for "worse beyond noise" (more than WORSE_SPREADS
 * spreads and WORSE_SHARE of the baseline).
 */
import { and, asc, eq, gt, gte, lt } from 'drizzle-orm';
import type { Db } from '../../store/index.ts';
import { incidents, rollups } from '../../store/index.ts';
import { WORSE_SHARE, WORSE_SPREADS } from '../steps/wait-verify-step.ts';

/** The signals watched, with the smallest spread that counts as noise in their unit (a constant series has none). */
export const WATCHED_FEATURES: Record<string, number> = { error_ratio: 0.01, latency_p99_ms: 5, latency_p95_ms: 5 };
/**
 * Consecutive windows, the latest, that must all be worse beyond noise for a
 * regression: one window's noise, or the blip of processes being replaced
 * during a rollout, is not one; a bad version stays bad.
 */
export const MIN_WATCH_WINDOWS = 3;

/** One feature's pre-change level. */
export interface FeatureBaseline {
  mean: number;
  spread: number;
  windows: number;
}

/** The pre-change baseline of a service, per watched feature. */
export type ChangeBaseline = Record<string, FeatureBaseline>;

/** A regression found, or none, with the comparison behind it. */
export interface WatchVerdict {
  regression: boolean;
  reason: string;
  /** Per feature: baseline mean, watched mean, the limit it was held to. */
  compared: Record<string, { baseline: number; watched: number; limit: number }>;
  windows: number;
}

/** Mean and (sample) standard deviation, the spread floored at the feature's noise. */
function level(xs: number[], floor: number): FeatureBaseline {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, spread: Math.max(sd, floor, 0.05 * Math.abs(mean)), windows: xs.length };
}

/** Pure: the baseline of each watched feature from pre-change windows' features. */
export function baselineOf(windows: Array<Record<string, number>>): ChangeBaseline {
  const out: ChangeBaseline = {};
  for (const [f, floor] of Object.entries(WATCHED_FEATURES)) {
    const xs = windows.map((w) => w[f]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (xs.length > 0) out[f] = level(xs, floor);
  }
  return out;
}

/**
 * Pure: whether the windows since the change regressed from the baseline:
 * some feature is above the baseline mean by more than {@link WORSE_SPREADS}
 * spreads and more than {@link WORSE_SHARE} of it (the verify step's "worse
 * beyond noise") in each of the latest {@link MIN_WATCH_WINDOWS} windows.
 * Undecided (no regression) with fewer windows.
 */
export function judgeWatch(baseline: ChangeBaseline, after: Array<Record<string, number>>): WatchVerdict {
  const compared: WatchVerdict['compared'] = {};
  const recent = after.slice(-MIN_WATCH_WINDOWS);
  if (after.length < MIN_WATCH_WINDOWS)
    return { regression: false, reason: `${after.length} window(s) since the change: too few to judge`, compared, windows: after.length };
  const worse: string[] = [];
  for (const [f, b] of Object.entries(baseline)) {
    const xs = recent.map((w) => w[f]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (xs.length === 0) continue;
    const watched = xs.reduce((a, c) => a + c, 0) / xs.length;
    const limit = Math.max(b.mean + WORSE_SPREADS * b.spread, b.mean * (1 + WORSE_SHARE));
    compared[f] = { baseline: b.mean, watched, limit };
    if (xs.length === recent.length && xs.every((x) => x > limit)) worse.push(`${f} ${fmt(watched)} against ${fmt(b.mean)} before (limit ${fmt(limit)})`);
  }
  if (worse.length > 0) return { regression: true, reason: `regression: ${worse.join('; ')}`, compared, windows: after.length };
  const judged = Object.keys(compared);
  const reason = judged.length === 0 ? 'no baseline to compare with' : `${judged.join(', ')} within noise of the baseline`;
  return { regression: false, reason, compared, windows: after.length };
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));

/** The detector's windows (features) of `service` ending in [fromMs, toMs), oldest first. */
export async function readWindows(db: Db, service: string, fromMs: number, toMs: number): Promise<Array<Record<string, number>>> {
  const rows = await db
    .select({ features: rollups.features })
    .from(rollups)
    .where(and(eq(rollups.service, service), gte(rollups.windowEnd, new Date(fromMs)), lt(rollups.windowEnd, new Date(toMs)), eq(rollups.stepSeconds, 0)))
    .orderBy(asc(rollups.windowEnd))
    .limit(20_000);
  return rows.map((r) => r.features);
}

/** The first anomaly episode the detector opened on `service` after `sinceMs`, if any. */
export async function episodeOpenedSince(db: Db, service: string, sinceMs: number): Promise<{ id: string; openedAt: Date; maxScore: number } | undefined> {
  const rows = await db
    .select({ id: incidents.id, openedAt: incidents.openedAt, maxScore: incidents.maxScore })
    .from(incidents)
    .where(and(eq(incidents.service, service), gt(incidents.openedAt, new Date(sinceMs))))
    .orderBy(asc(incidents.openedAt))
    .limit(1);
  return rows[0];
}
