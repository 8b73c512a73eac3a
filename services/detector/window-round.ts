/**
 * The window round of the detector: closes the windows that are due, scores
 * them in one batch with the fleet models, stores their rollups and emits
 * the anomaly events of episodes that opened, continued or closed, with
 * their ranked root causes.
 */

import { bandOf, bandsRecord, isSymptomFeature, type ServiceScore, type WindowInput } from '../../models/fleet/index.ts';
import { PENDING_LEVEL, type ServiceEvidence } from '../../models/root-cause/index.ts';
import { describeError } from '../core/errors.ts';
import { anomalyEvent, demandOf } from './anomaly-events.ts';
import { modelVersionOf } from './calibration-sync.ts';
import { shareHints } from './call-hints.ts';
import { VERSION_ATTRIBUTE } from './deployment-tracker.ts';
import { type DetectorState, enqueue } from './detector-state.ts';
import { awaitPeers, peerCallees, shareEvidence, withPeers } from './peer-evidence.ts';

/** Largest deviation of a window's symptom evidence (of all its evidence when it has no symptom), in spreads. */
function symptomDeviation(r: ServiceScore): number {
  const symptoms = r.evidence.filter((e) => isSymptomFeature(e.feature));
  return Math.max(0, ...(symptoms.length > 0 ? symptoms : r.evidence).map((e) => Math.abs(e.deviation)));
}

/** Requests the window received over what the baseline expects (the demand's rise, see models/root-cause/demand-entry.ts); undefined without a rate or an expectation above 0. */
function demandRatio(r: ServiceScore): number | undefined {
  const rate = r.input.features.request_rate;
  const band = bandOf(r.expected, 'request_rate');
  return rate !== undefined && band !== undefined && band[0] > 0 ? rate / band[0] : undefined;
}

/** The latency features whose rise against the baseline the ranking compares between caller and callee (ms). */
const LATENCY_FEATURES = ['latency_p50_ms', 'latency_p95_ms', 'latency_p99_ms'] as const;

/** Per latency feature of the window: observed minus what the baseline expected, ms; undefined when the window had no latency (no requests) or no baseline yet. */
function latencyRise(r: ServiceScore): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  let any = false;
  for (const f of LATENCY_FEATURES) {
    const observed = r.input.features[f];
    const band = bandOf(r.expected, f);
    if (observed === undefined || band === undefined) continue;
    out[f] = observed - band[0];
    any = true;
  }
  return any ? out : undefined;
}

/** The latency feature of the window's evidence that deviates most upward (its slowness shows there), if any. */
function slowestFeature(r: ServiceScore): string | undefined {
  const slow = r.evidence.filter((e) => e.feature.startsWith('latency_') && e.deviation > 0).sort((a, b) => b.deviation - a.deviation);
  return slow[0]?.feature;
}

/** The semantic conventions' requests waiting for a connection of a pool (pg-pool's instrumentation, the demo services). */
const POOL_PENDING = 'metric:db.client.connection.pending_requests';

/**
 * Whether requests wait for a connection of the service's pool beyond what is
 * usual for it (above its band when it has one): the pool is exhausted, and
 * its requests pile up before any span of theirs ends (models/root-cause/pool-pileup.ts).
 */
function poolSaturated(r: ServiceScore): boolean {
  const pending = r.input.features[POOL_PENDING];
  const band = bandOf(r.expected, POOL_PENDING);
  return pending !== undefined && pending >= PENDING_LEVEL && (band === undefined || pending > band[2]);
}

/** What the ranking last knew of a service: its evidence, the end of its window, and since when its episode shows symptoms. */
interface Recent {
  ev: ServiceEvidence;
  endMs: number;
  episodeId: string | null;
  /** Start of the first window of the current episode with a symptom (errors, latency, traffic, error logs), Unix ms. */
  symptomSinceMs?: number;
  /** Its `service.version` when last seen, and when that last changed (a deployment), Unix ms. */
  version?: string;
  deployedAtMs?: number;
  /** End of its latest window that had latency (requests), Unix ms: a window without requests keeps the previous rise a while. */
  latencyEndMs?: number;
}

/** Windows after a deployment (a new `service.version`) during which the service counts as recently changed. */
const DEPLOYED_WINDOWS = 15;

/** Per detector: the latest evidence of every service it scores (its windows close in different rounds). */
const recentOf = new WeakMap<DetectorState, Map<string, Recent>>();

/** Windows for which a service's latest evidence stands in for a round it was not scored in. */
const RECENT_WINDOWS = 3;

/**
 * Every service scored this round as root-cause evidence: its score (its
 * episode's peak while one is open), since when its episode shows symptoms
 * (an episode opened for runtime-metric drift that later shows errors
 * started to matter then, not at its opening), error ratio and what it
 * deviates in; plus the latest evidence of the services scored in the last
 * few rounds, so that the ranking sees the whole fleet whatever round each
 * service's window closed in.
 */
function roundEvidence(s: DetectorState, results: ServiceScore[]): Map<string, ServiceEvidence> {
  const recent = recentOf.get(s) ?? new Map<string, Recent>();
  recentOf.set(s, recent);
  for (const r of results) {
    const prev = recent.get(r.input.service);
    const symptom = r.evidence.some((e) => isSymptomFeature(e.feature));
    // A window that closes its episode is back to normal: its episode's peak no longer makes it anomalous.
    const open = r.episodeId !== null && r.transition !== 'closed';
    const sameEpisode = open && prev?.episodeId === r.episodeId;
    const symptomSinceMs = open ? ((sameEpisode ? prev?.symptomSinceMs : undefined) ?? (symptom ? r.input.startMs : undefined)) : undefined;
    const version = s.tracker.attributesOf(r.input.service)[VERSION_ATTRIBUTE];
    const deployedAtMs = prev?.version !== undefined && version !== undefined && version !== prev.version ? r.input.startMs : prev?.deployedAtMs;
    // A leaf with a request every few seconds has windows without latency: its last rise stands for a few windows.
    const rise = latencyRise(r);
    const keptRise = prev?.latencyEndMs !== undefined && r.input.endMs - prev.latencyEndMs <= RECENT_WINDOWS * s.windowMs ? prev.ev.latencyRiseMs : undefined;
    recent.set(r.input.service, {
      endMs: r.input.endMs,
      episodeId: open ? r.episodeId : null,
      symptomSinceMs,
      version: version ?? prev?.version,
      deployedAtMs,
      latencyEndMs: rise ? r.input.endMs : keptRise ? prev?.latencyEndMs : undefined,
      ev: {
        deployedRecently: deployedAtMs !== undefined && r.input.endMs - deployedAtMs <= DEPLOYED_WINDOWS * s.windowMs,
        score: open ? Math.max(r.score, r.peak) : r.score,
        openedAtMs: open ? Math.max(r.openedAtMs, symptomSinceMs ?? r.openedAtMs) : undefined,
        errorsUp: r.evidence.some((e) => (e.feature === 'error_ratio' || /^log_.*(error|fatal)/.test(e.feature)) && e.deviation > 0),
        serverErrorRatio: r.input.features.error_ratio,
        clientErrorRatioTo: s.graph.clientErrorRatios(r.input.service, r.input.startMs, r.input.endMs),
        // How long it waited for each callee against the pair's baseline, learned only outside an episode.
        callWaits: s.graph.clientWaits(r.input.service, r.input.startMs, r.input.endMs, !open),
        lostTraffic: r.evidence.length > 0 && r.evidence.every((e) => e.feature === 'request_rate' && e.observed < e.expected),
        // Deviating only in its own runtime metrics (GC, event loop, heap): its callers feel nothing of it.
        resourceOnly: r.evidence.length > 0 && r.evidence.every((e) => !isSymptomFeature(e.feature)),
        // Only slower, or only its runtime metrics: what a host short of CPU does to every service (models/root-cause/shared-cause.ts).
        slowOnly: r.evidence.length > 0 && r.evidence.every((e) => !isSymptomFeature(e.feature) || (e.feature.startsWith('latency_') && e.deviation > 0)),
        deviation: symptomDeviation(r),
        demandUp: demandOf(r) === 'above',
        demandRatio: demandRatio(r),
        demandDown: demandOf(r) === 'below',
        // How much slower than expected, per latency quantile: a caller waiting for a slower callee inherits its added time.
        latencyRiseMs: rise ?? keptRise,
        slowestFeature: slowestFeature(r),
        poolPending: r.input.features[POOL_PENDING],
        poolSaturated: poolSaturated(r),
      },
    });
  }
  const latest = Math.max(...results.map((r) => r.input.endMs));
  const out = new Map<string, ServiceEvidence>();
  for (const [service, x] of recent) {
    if (x.endMs >= latest - RECENT_WINDOWS * s.windowMs) out.set(service, x.ev);
    else if (x.endMs < latest - 100 * s.windowMs) recent.delete(service);
  }
  return out;
}

/**
 * The results of a round as consecutive steps of time, one per window end,
 * oldest first. A detector that fell behind (a busy host delays its timer)
 * closes several windows of a service in one round; each must be ranked with
 * the evidence of its own time, not with that of a later window of the same
 * round (a fault's first window, ranked with its service's next window that
 * was already back to normal, named a callee as its cause).
 */
export function stepsOfRound(results: ServiceScore[]): ServiceScore[][] {
  const byEnd = new Map<number, ServiceScore[]>();
  for (const r of results) {
    const step = byEnd.get(r.input.endMs);
    if (step) step.push(r);
    else byEnd.set(r.input.endMs, [r]);
  }
  return [...byEnd.entries()].sort((a, b) => a[0] - b[0]).map(([, step]) => step);
}

/** Emits the events of a round, one window end after the other (see {@link stepsOfRound}). */
export async function emitAll(s: DetectorState, results: ServiceScore[]): Promise<void> {
  for (const step of stepsOfRound(results)) await emitStep(s, step);
}

/**
 * This instance's evidence of the step, shared with the other instances, and
 * theirs beside it once they shared that of the same window end (or a short
 * wait passed): every instance ranks over the whole fleet (peer-evidence.ts).
 */
async function fleetEvidence(s: DetectorState, results: ServiceScore[], roundCallees: ReadonlyMap<string, readonly string[]>) {
  const local = roundEvidence(s, results);
  const stepEndMs = Math.max(...results.map((r) => r.input.endMs));
  await shareEvidence(s, stepEndMs, roundCallees, local);
  // Only a step with an event to rank waits for the other instances' evidence: a quiet round costs the publish alone.
  if (!results.some((r) => r.emit)) return local;
  await awaitPeers(s, s.peers, stepEndMs);
  return withPeers(s.peers, local, stepEndMs, RECENT_WINDOWS * s.windowMs);
}

/** Callees of `service`: of its window in the step, else those it was seen calling lately (here or at another instance). */
function calleesOf(s: DetectorState, roundCallees: ReadonlyMap<string, readonly string[]>, service: string): readonly string[] {
  const own = roundCallees.get(service);
  if (own) return own;
  const seen = s.graph.callees(service, s.now() - s.edgeHorizonMs);
  const remote = peerCallees(s.peers, service);
  return remote.length === 0 ? seen : [...new Set([...seen, ...remote])].sort();
}

async function emitStep(s: DetectorState, results: ServiceScore[]): Promise<void> {
  const roundCallees = new Map(results.map((r) => [r.input.service, r.callees]));
  const round = await fleetEvidence(s, results, roundCallees);
  const callees = (service: string) => calleesOf(s, roundCallees, service);
  for (const r of results) {
    s.tel.count('zeroops.detector.windows', { outcome: r.transition });
    if (!r.emit || !r.episodeId) continue;
    try {
      const rootCauses = await s.sink.rootCauses(r.input.service, round, callees, s.windowMs);
      const event = anomalyEvent(r, rootCauses, modelVersionOf(s, r.input.service), s.now(), s.tracker.attributesOf(r.input.service));
      await s.sink.emit(event);
      s.tel.count('zeroops.detector.anomalies', { state: event.episodeState, kind: event.kind });
      s.tel.record('zeroops.detector.delay_ms', event.detectedUnixMs - r.input.endMs);
    } catch (err) {
      s.tel.count('zeroops.detector.errors', { stage: 'emit' });
      s.log.error({ service: r.input.service, err: describeError(err) }, 'failed to emit an anomaly');
    }
  }
}

/** Closes the due windows (all open ones when `all`), scores them, stores their rollups and emits their events. */
export async function closeWindows(s: DetectorState, all = false): Promise<void> {
  const due = all ? s.windows.closeAll() : s.windows.closeDue();
  if (due.length === 0) return;
  const inputs: WindowInput[] = due.map((acc) => ({
    service: acc.service,
    startMs: acc.startMs,
    endMs: acc.endMs,
    features: acc.features(),
    callees: [...new Set([...acc.callees.keys(), ...s.graph.callees(acc.service, acc.endMs - s.edgeHorizonMs)])],
    calls: Object.fromEntries(acc.callees),
  }));
  const failedCalls = new Map(due.map((acc) => [`${acc.service}\u0000${acc.endMs}`, Object.fromEntries(acc.calleeErrors)]));
  const results = s.models.scoreBatch(inputs);
  try {
    await s.sink.touchServices([...new Set(due.map((w) => w.service))].map((name) => ({ name, attributes: s.tracker.attributesOf(name) })));
    await s.sink.rollups(
      results.map((r) => ({
        service: r.input.service,
        windowEndMs: r.input.endMs,
        features: r.input.features,
        score: r.score,
        expected: bandsRecord(r.expected),
        callees: r.input.calls,
        calleeErrors: failedCalls.get(`${r.input.service}\u0000${r.input.endMs}`) ?? {},
      })),
    );
  } catch (err) {
    s.tel.count('zeroops.detector.errors', { stage: 'rollup' });
    s.log.error({ windows: due.length, err: describeError(err) }, 'failed to store window rollups');
  }
  await emitAll(s, results);
}

/** One tick of the window timer, queued: share call-graph hints, close the due windows, evict idle services. */
export function tick(s: DetectorState): Promise<void> {
  return enqueue(s, 'window tick', async () => {
    await shareHints(s);
    await closeWindows(s);
    s.tracking.evictIdle();
  });
}
