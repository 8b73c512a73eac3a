/**
 * The episode step of the fleet scoring round: how one scored window moves
 * its service's episode (open, ongoing, closed) and whether it deserves an
 * anomaly event.
 */
import type { Evidence, ServiceScore, Severity, WindowInput } from './outputs.ts';
import { BLIP_WINDOWS } from './seasonal-scorer.ts';
import { DEFAULT_WARMUP_WINDOWS, type Live, type ServiceMeta, type ServiceModelsOptions } from './service-state.ts';
import { deviationGrew, isSymptomFeature, largestDeviation, severityDeviation, severityOfDeviation, severityRank } from './severity.ts';
import { shareRunZ } from './share-run.ts';
import { advanceLatencyRun, isLatencyFeature } from './sustained-latency.ts';
import { advanceMetricRuns } from './sustained-metrics.ts';

/** Windows without a single request in a row that hold an open episode open (see {@link episodeStep}). */
export const SILENT_HOLD_WINDOWS = 15;

/** Callees not seen for this long are forgotten, ms. */
const CALLEE_MEMORY_MS = 5 * 60_000;

/** A window's combined score, the likelihood reported with it and its evidence. */
export interface Scored {
  score: number;
  likelihood: number;
  evidence: Evidence[];
}

/**
 * A window's result as a class instance rather than an object literal: V8
 * tracks the survival of each object literal's allocations and, since a
 * round's results all live until the round ends (the caller holds them),
 * soon allocates that literal's objects in the old generation directly
 * ("pretenuring"). There they die, but only a full collection frees them,
 * and until then they keep alive every young object they point to (the
 * evidence, the callees), which each scavenge then copies and promotes: at
 * 1,000 services a quarter of the round's allocation was promoted. A `new`
 * is not tracked that way, so the results stay young and die young. Same
 * fields in the same order as the literal (`expected` is set after).
 */
class WindowScore implements ServiceScore {
  declare expected?: ServiceScore['expected'];
  declare recoveryStartMs?: number;
  constructor(
    readonly input: WindowInput,
    public score: number,
    public likelihood: number,
    public evidence: Evidence[],
    public transition: ServiceScore['transition'],
    public episodeId: string | null,
    public openedAtMs: number,
    public flapping: boolean,
    public peak: number,
    public callees: string[],
    public episodeFeature: string | undefined,
    public deviation: number,
    public severity: Severity,
    public warmingUp: boolean,
    public emit: boolean,
  ) {}
}

/**
 * Advances the episode of service `m` by one scored window and builds its
 * result: the transition, the episode id and peak, severity and whether the
 * window deserves an event. Updates `m` (episode, callees, emitted state).
 */
export function episodeStep(w: WindowInput, m: Live, scored: Scored, opts: ServiceModelsOptions): ServiceScore {
  const { score, likelihood, evidence } = scored;
  const st = m.st;
  for (const c of w.callees) st.callees[c] = w.endMs;
  for (const c in st.callees) if (w.endMs - (st.callees[c] as number) > CALLEE_MEMORY_MS) delete st.callees[c];
  // A window in which the service answered no request says nothing about whether it recovered (a service whose
  // connection pool is exhausted answers in bursts, and the empty windows in between closed its episode while the
  // fault went on): it holds an open episode as it is, for at most SILENT_HOLD_WINDOWS in a row (a service whose
  // traffic stopped for good closes on its quiet windows after that). A service that never served requests (metrics
  // only) never holds.
  const served = (w.features.request_rate ?? 0) > 0;
  m.silentRun = served ? 0 : m.silentRun + 1;
  const u = !served && m.episode.isOpen && m.silentRun <= SILENT_HOLD_WINDOWS ? m.episode.hold(w.endMs) : m.episode.update(score, w.endMs);
  let transition: ServiceScore['transition'] = u.open ? 'ongoing' : 'none';
  if (u.event?.type === 'opened') m.peak = score;
  else if (u.open) m.peak = Math.max(m.peak, score);
  let peak = u.open ? m.peak : 0;
  if (u.event?.type === 'opened') noteEpisode(st, w.endMs, true);
  else if (u.event?.type === 'closed') noteEpisode(st, w.endMs, false);
  if (u.event?.type === 'opened') {
    transition = 'open';
    st.episodeId = trainId(st, w.endMs, m.episode.config.flapWindowMs, evidence[0]?.feature) ?? `${w.service}:${w.endMs}:${++st.seq}`;
    st.openedAtMs = w.endMs;
    st.episodeFeature = evidence[0]?.feature;
    st.anomalous = 0;
  } else if (u.event?.type === 'closed') {
    transition = 'closed';
    peak = u.event.peak;
  }
  if (u.open && score >= m.episode.config.openLevel) st.anomalous = (st.anomalous ?? 0) + 1;
  const warmingUp = st.scored <= (opts.warmupWindows ?? DEFAULT_WARMUP_WINDOWS);
  const deviation = largestDeviation(evidence);
  const severity = windowSeverity(w, st, evidence, m.seasonal.hasFeature(isSymptomFeature), warmingUp, transition === 'open' || transition === 'ongoing');
  const emit = shouldEmit(st, transition, severityRank(severity), deviation, u.flapping, opts.heartbeatWindows ?? 6);
  const result = new WindowScore(
    w,
    score,
    likelihood,
    evidence,
    transition,
    transition === 'none' ? null : st.episodeId,
    st.openedAtMs,
    u.flapping,
    peak,
    Object.keys(st.callees),
    st.episodeFeature,
    deviation,
    severity,
    warmingUp,
    emit,
  );
  // The end of the first window of the quiet run: a window cannot place the recovery more finely, so an action sent
  // before that window ended may have caused it (one sent during the window that first read normal is credited).
  if (u.event?.type === 'closed') result.recoveryStartMs = u.event.quietSince;
  if (transition === 'closed') {
    // A blip may be the first spike of a train: remembered, so that the next spike continues its incident.
    if ((st.anomalous ?? 0) <= BLIP_WINDOWS && st.episodeId !== null) st.train = { id: st.episodeId, closedAtMs: w.endMs, family: familyOf(st.episodeFeature) };
    st.episodeId = null;
    st.episodeFeature = undefined;
    st.anomalous = undefined;
  }
  return result;
}

/**
 * Severity of window `w` (severity.ts), counting the failing requests of the
 * run of windows whose error ratio stands above its expectation (`st.shareRun`,
 * share-run.ts, already advanced with `w`; so that a few failures of a few
 * requests do not page, and a sustained failing share does however noisy
 * its baseline), counting a latency deviation only once it has lasted
 * (sustained-latency.ts: a service that slows alone for a window or two on a
 * busy host does not page), and raised to `warning` by a runtime metric that deviates
 * sustained and beyond noise (sustained-metrics.ts) in a window of an open
 * episode (`inEpisode`: the window that closes one is back to normal by the
 * episode's measure, and is as mild as its symptoms say). Updates the latency
 * and metric runs kept in `st`.
 */
export function windowSeverity(
  w: WindowInput,
  st: ServiceMeta,
  evidence: readonly Evidence[],
  reportsSymptoms: boolean,
  warmingUp: boolean,
  inEpisode: boolean,
): Severity {
  let errorRatio: Evidence | undefined;
  for (const e of evidence) if (e.feature === 'error_ratio' && e.deviation > 0) errorRatio = e;
  const requests = ((w.features.request_rate ?? 0) * (w.endMs - w.startMs)) / 1000;
  // The run this window's error ratio belongs to (advanced with it before the episode step, share-run.ts).
  const failureZ = errorRatio && requests > 0 ? shareRunZ(st.shareRun) : Number.NaN;
  const metrics = advanceMetricRuns(st.metricRuns, evidence);
  if (metrics.runs) st.metricRuns = metrics.runs;
  else if (st.metricRuns) st.metricRuns = undefined;
  const counts = w.features.request_rate === undefined ? Number.NaN : requests;
  const latency = advanceLatencyRun(st.latencyRun, w.startMs, w.endMs, evidence, counts);
  if (latency.run) st.latencyRun = latency.run;
  else if (st.latencyRun) st.latencyRun = undefined;
  const counted = latency.sustained || !evidence.some((e) => isLatencyFeature(e.feature)) ? evidence : evidence.filter((e) => !isLatencyFeature(e.feature));
  const severity = severityOfDeviation(severityDeviation(counted, reportsSymptoms, failureZ, counts), warmingUp);
  return severity === 'info' && metrics.sustained && inEpisode && !warmingUp ? 'warning' : severity;
}

/**
 * The episode id an episode opening at `atMs` continues, if any: a spike
 * train is one incident. Short spikes that recur are one episode to the
 * operator, not one each: an episode that opens within the flap window
 * (`flapWindowMs`, the time scale over which recurring openings already
 * mark a service flapping) of the close of a blip (an episode of at most
 * `BLIP_WINDOWS` anomalous windows, the length the tail calibration also
 * treats as a blip) re-opens that blip's episode, under its id, so its
 * incident re-opens; the train goes on as long as each spike comes within
 * the flap window of the last one's close. An episode that lasted longer
 * was a fault: when it comes back, even at once, it is a new incident (a
 * fault that returns is news each time), and so is an episode opened by
 * another family of feature (a traffic blip, then an error fault). Forgets
 * the train either way.
 */
function trainId(st: ServiceMeta, atMs: number, flapWindowMs: number, feature: string | undefined): string | undefined {
  const t = st.train;
  st.train = undefined;
  return t && atMs - t.closedAtMs <= flapWindowMs && t.family === familyOf(feature) ? t.id : undefined;
}

/** The family of the feature that opened an episode (`latency`, `error`, `request`, `log`, or the metric itself): spikes of one train share it. */
function familyOf(feature: string | undefined): string {
  if (feature === undefined) return '';
  return feature.startsWith('metric:') ? feature : (feature.split('_')[0] as string);
}

/** Whether a window of an episode deserves an event (see {@link ServiceScore.emit}); notes it as emitted when it does. */
function shouldEmit(st: ServiceMeta, transition: ServiceScore['transition'], rank: number, deviation: number, flapping: boolean, heartbeat: number): boolean {
  const e = st.emitted;
  if (transition === 'none') return false;
  e.windowsSince++;
  const material =
    transition !== 'ongoing' || rank > e.rank || deviationGrew(e.deviation ?? 0, deviation) || flapping !== e.flapping || e.windowsSince >= heartbeat;
  if (!material) return false;
  const worst = transition === 'open' ? deviation : Math.max(e.deviation ?? 0, deviation);
  st.emitted = { rank: transition === 'open' ? rank : Math.max(e.rank, rank), flapping, windowsSince: 0, deviation: worst };
  return true;
}

/** One daily period, ms: the period of the seasonal baselines. */
const DAY_MS = 86_400_000;
/** Episodes remembered at most (start and end each), whatever their number in a day. */
const MAX_EPISODES = 32;

/** Notes that an episode of `st` opened (or closed) at `atMs`; forgets episodes that ended more than a day and an hour before. */
function noteEpisode(st: ServiceMeta, atMs: number, opened: boolean): void {
  if (!st.episodes) st.episodes = [];
  const e = st.episodes;
  if (opened) e.push(atMs, Number.POSITIVE_INFINITY);
  else if (e.length > 0) e[e.length - 1] = atMs;
  let drop = 0;
  while (drop < e.length && ((e[drop + 1] as number) < atMs - DAY_MS - 3_600_000 || e.length - drop > 2 * MAX_EPISODES)) drop += 2;
  if (drop > 0) e.splice(0, drop);
}

/**
 * Whether the service was inside an episode one daily period before
 * `atMs`: a window of an episode that repeats what the service did at the
 * same time the day before belongs to its daily pattern, not to a new fault.
 */
export function episodeADayBefore(st: ServiceMeta, atMs: number): boolean {
  const e = st.episodes;
  if (!e) return false;
  const t = atMs - DAY_MS;
  // Only an episode that had closed since: one still open has merely lasted a day, which is not a pattern but a
  // change (`acceptAfterMs` of the service models decides when its level becomes the new normal).
  for (let k = 0; k + 1 < e.length; k += 2) if ((e[k] as number) <= t && t <= (e[k + 1] as number) && e[k + 1] !== Number.POSITIVE_INFINITY) return true;
  return false;
}
