/**
 * Simulated replay of the detector's recalibration from labels (pure: the
 * fleet models and models/calibration, no I/O). Each simulated service has
 * seeded traffic, a harmless recurring pattern (a bump of one signal for a
 * few windows, every so often) and, in the replay, real faults. Phase A: the
 * pattern alarms; every alarm is labelled false positive with probability
 * `labelShare` (the labels are folded into the service's calibration and the
 * episodes' windows learned as normal, as the trainer and detector do).
 * Phase B replays the same pattern with faults injected, once with the
 * calibration and once without (same windows): the false-alarm reduction
 * and the recall of the faults are compared.
 */
import {
  applyLabel,
  type CalibrationSettings,
  DEFAULT_CALIBRATION,
  deviationKey,
  emptyCalibration,
  type ServiceCalibration,
} from '../../../models/calibration/index.ts';
import { type FeatureVector, ServiceModels, type ServiceScore } from '../../../models/fleet/index.ts';
import { createRng, type Rng } from '../../../models/stats/index.ts';

const WINDOW_MS = 10_000;
const T0 = Date.UTC(2026, 0, 5, 8);
/** The detector's episode settings for 10 s windows (services/detector/detector-state.ts). */
const EPISODE = { openLevel: 0.7, closeLevel: 0.5, minOpenMs: 0, minCloseMs: WINDOW_MS, flapWindowMs: 60 * WINDOW_MS, flapOpenings: 3 };

/** Settings of the simulation. */
export interface RecalSimOptions {
  services: number;
  warmWindows: number;
  phaseWindows: number;
  faultsPerService: number;
  /** Share of phase-A alarms that people label (false positive). */
  labelShare: number;
  calibration: CalibrationSettings;
  /** Whether the windows of labelled episodes are fed to the baselines as normal (the detector does). */
  learnNormal: boolean;
}

/** Default simulation: 20 services, 100 clean windows, two phases of 360 windows (an hour each), 3 faults per service. */
export const DEFAULT_RECAL_SIM: RecalSimOptions = {
  services: 20,
  warmWindows: 100,
  phaseWindows: 360,
  faultsPerService: 3,
  labelShare: 0.7,
  calibration: DEFAULT_CALIBRATION,
  learnNormal: true,
};

type Signal = 'latency' | 'traffic' | 'logs';
type FaultKind = 'errors' | 'latency' | 'traffic_drop';

interface SimService {
  name: string;
  rate: number;
  latency: number;
  pattern: { signal: Signal; size: number; period: number; length: number; offset: number };
}

interface Span {
  from: number;
  to: number;
}

/** One service's windows: the features, where the pattern is and where the faults are. */
interface Timeline {
  windows: FeatureVector[];
  bumps: Span[];
  faults: (Span & { kind: FaultKind })[];
}

function gauss(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

function makeService(rng: Rng, i: number): SimService {
  const signals: Signal[] = ['latency', 'traffic', 'logs'];
  return {
    name: `svc-${i}`,
    rate: 5 + rng.next() * 200,
    latency: 10 + rng.next() * 200,
    pattern: {
      signal: signals[i % signals.length] as Signal,
      size: 2 + rng.next() * 2,
      period: 12 + Math.floor(rng.next() * 24),
      length: 1 + Math.floor(rng.next() * 3),
      offset: Math.floor(rng.next() * 12),
    },
  };
}

function windowOf(s: SimService, rng: Rng, bump: boolean, fault: FaultKind | undefined): FeatureVector {
  const p = s.pattern;
  let rate = s.rate * (1 + 0.05 * gauss(rng));
  let lat = s.latency * (1 + 0.05 * gauss(rng));
  let errors = Math.max(0, 0.004 + 0.002 * gauss(rng));
  let logs = Math.max(0, 1 + 0.2 * gauss(rng));
  if (bump && p.signal === 'latency') lat *= p.size;
  if (bump && p.signal === 'traffic') rate *= p.size;
  if (bump && p.signal === 'logs') logs *= 3 * p.size;
  if (fault === 'errors') errors = 0.3 + 0.3 * rng.next();
  if (fault === 'latency') lat *= 10;
  if (fault === 'traffic_drop') rate *= 0.1;
  return { request_rate: rate, error_ratio: errors, latency_p50_ms: lat, latency_p95_ms: 2 * lat, latency_p99_ms: 3 * lat, log_warn_rate: logs };
}

/** The windows of one service: warm-up, phase A (pattern), phase B (pattern and faults away from it). */
function timeline(s: SimService, rng: Rng, o: RecalSimOptions): Timeline {
  const n = o.warmWindows + 2 * o.phaseWindows;
  const bumps: Span[] = [];
  const p = s.pattern;
  for (let w = o.warmWindows + p.offset; w + p.length <= n; w += p.period) bumps.push({ from: w, to: w + p.length });
  const faults: Timeline['faults'] = [];
  const kinds: FaultKind[] = ['errors', 'latency', 'traffic_drop'];
  const startB = o.warmWindows + o.phaseWindows;
  for (let tries = 0; faults.length < o.faultsPerService && tries < 200; tries++) {
    const from = startB + 10 + Math.floor(rng.next() * (o.phaseWindows - 30));
    const f = { from, to: from + 4, kind: kinds[((faults.length + s.rate) % 3) | 0] as FaultKind };
    const near = (a: Span) => a.from < f.to + 4 && f.from < a.to + 4;
    if (bumps.some(near) || faults.some(near)) continue;
    faults.push(f);
  }
  const inside = <T extends Span>(spans: T[], w: number) => spans.find((x) => w >= x.from && w < x.to);
  const windows = Array.from({ length: n }, (_, w) => windowOf(s, rng, inside(bumps, w) !== undefined, inside(faults, w)?.kind));
  return { windows, bumps, faults };
}

function score(models: ServiceModels, s: SimService, windows: FeatureVector[], from: number, to: number): ServiceScore[] {
  const out: ServiceScore[] = [];
  for (let w = from; w < to; w++) {
    const endMs = T0 + (w + 1) * WINDOW_MS;
    const [r] = models.scoreBatch([{ service: s.name, startMs: endMs - WINDOW_MS, endMs, features: windows[w] as FeatureVector, callees: [] }]);
    out.push(r as ServiceScore);
  }
  return out;
}

/** Episodes opened in `results` (window `from` first): the window they opened at, their evidence features and their windows. */
function episodes(results: ServiceScore[], from: number): { at: number; features: Set<string>; to: number }[] {
  // Features are kept with the side they deviated to, as the trainer reads them from the anomalies' evidence.
  const out: { at: number; features: Set<string>; to: number }[] = [];
  results.forEach((r, k) => {
    if (r.transition === 'open') out.push({ at: from + k, features: new Set(), to: from + k });
    const cur = out.at(-1);
    if (cur && r.transition !== 'none') {
      for (const e of r.evidence) cur.features.add(deviationKey(e.feature, e.deviation));
      cur.to = from + k;
    }
  });
  return out;
}

/** What one arm of phase B saw. */
export interface ArmResult {
  patternAlarms: number;
  otherAlarms: number;
  faults: number;
  detected: number;
  /** Faults on the signal the service's harmless pattern moves (latency fault on a latency pattern, traffic drop on a traffic pattern), and how many were detected. */
  sameSignalFaults: number;
  sameSignalDetected: number;
}

/** Phase-A alarms on the pattern, and phase B with and without the calibration, summed over the services of one seed. */
export interface RecalSimResult {
  phaseA: ArmResult;
  labels: number;
  plain: ArmResult;
  calibrated: ArmResult;
}

const SIGNAL_OF: Record<FaultKind, Signal | undefined> = { errors: undefined, latency: 'latency', traffic_drop: 'traffic' };

function tally(eps: { at: number }[], tl: Timeline, s: SimService, from: number, to: number): ArmResult {
  const hits = (spans: Span[], w: number) => spans.some((x) => w >= x.from && w <= x.to);
  const inPhase = eps.filter((e) => e.at >= from && e.at < to);
  const faults = tl.faults.filter((f) => f.from >= from && f.from < to);
  const found = faults.filter((f) => inPhase.some((e) => e.at >= f.from && e.at <= f.to));
  const same = (f: { kind: FaultKind }) => SIGNAL_OF[f.kind] === s.pattern.signal;
  return {
    patternAlarms: inPhase.filter((e) => hits(tl.bumps, e.at)).length,
    otherAlarms: inPhase.filter((e) => !hits(tl.bumps, e.at) && !hits(tl.faults, e.at)).length,
    faults: faults.length,
    detected: found.length,
    sameSignalFaults: faults.filter(same).length,
    sameSignalDetected: found.filter(same).length,
  };
}

const add = (a: ArmResult, b: ArmResult): ArmResult => ({
  patternAlarms: a.patternAlarms + b.patternAlarms,
  otherAlarms: a.otherAlarms + b.otherAlarms,
  faults: a.faults + b.faults,
  detected: a.detected + b.detected,
  sameSignalFaults: a.sameSignalFaults + b.sameSignalFaults,
  sameSignalDetected: a.sameSignalDetected + b.sameSignalDetected,
});

/** Runs the simulation for one seed. */
export function runRecalibration(seed: number, o: RecalSimOptions = DEFAULT_RECAL_SIM): RecalSimResult {
  const rng = createRng(seed);
  const zero: ArmResult = { patternAlarms: 0, otherAlarms: 0, faults: 0, detected: 0, sameSignalFaults: 0, sameSignalDetected: 0 };
  const total: RecalSimResult = { phaseA: zero, labels: 0, plain: zero, calibrated: zero };
  const startB = o.warmWindows + o.phaseWindows;
  const end = startB + o.phaseWindows;
  for (let i = 0; i < o.services; i++) {
    const s = makeService(rng, i);
    const tl = timeline(s, rng, o);
    const plain = new ServiceModels({ episode: EPISODE });
    const calibrated = new ServiceModels({ episode: EPISODE });
    const a = score(plain, s, tl.windows, 0, startB);
    score(calibrated, s, tl.windows, 0, startB);
    const epsA = episodes(a, 0);
    total.phaseA = add(total.phaseA, tally(epsA, tl, s, o.warmWindows, startB));
    // People label some of phase A's alarms false positive (the pattern is harmless), at the end of phase A.
    let cal: ServiceCalibration = emptyCalibration(o.calibration);
    const labelAt = T0 + startB * WINDOW_MS;
    for (const e of epsA.filter((x) => x.at >= o.warmWindows)) {
      if (rng.next() >= o.labelShare) continue;
      cal = applyLabel(cal, {
        kind: 'false_positive',
        features: [...e.features],
        atMs: labelAt,
        fromMs: T0 + e.at * WINDOW_MS,
        toMs: T0 + (e.to + 1) * WINDOW_MS,
      });
      total.labels++;
    }
    // The detector learns the windows of the false-positive ranges the calibration keeps (the most recent ones).
    for (const [fromMs, toMs] of o.learnNormal ? cal.normalRanges : []) {
      const normal = [];
      for (let w = (fromMs - T0) / WINDOW_MS; w * WINDOW_MS + T0 < toMs; w++)
        normal.push({ features: tl.windows[w] as FeatureVector, endMs: T0 + (w + 1) * WINDOW_MS });
      calibrated.learnNormal(s.name, normal);
    }
    calibrated.setCalibration(s.name, cal);
    total.plain = add(total.plain, tally(episodes(score(plain, s, tl.windows, startB, end), startB), tl, s, startB, end));
    total.calibrated = add(total.calibrated, tally(episodes(score(calibrated, s, tl.windows, startB, end), startB), tl, s, startB, end));
  }
  return total;
}
