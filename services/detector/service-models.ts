/**
 * The per-service models of one detector instance and the batched scoring
 * path: for each round of closed windows (at most one per service), every
 * service is scored against its seasonal baselines, all of them go through
 * the shared neural model in one call, the two raw scores are combined, the
 * anomaly likelihood of the result is folded in, and each service's episode
 * advances. A service's result depends only on its own windows and the
 * shared model's weights.
 *
 * An ongoing fault is never learned as normal: once a service is past its
 * warm-up, none of its models (seasonal baselines, likelihood history,
 * neural normalization, residual calibration and training rows) learns from
 * a window while its episode is open. The baselines stay those from before
 * the fault, so the episode closes only when the features are back within
 * that pre-fault expectation, and the same fault coming back later scores as
 * high as the first time and opens a new episode. During warm-up (the first
 * `warmupWindows` windows) a service has no reference worth holding: its
 * models learn as before (anomalous windows only after a persistent level
 * shift) and its events say `info` and that it is warming up.
 */
import { type EpisodeConfig, type EpisodeState, EpisodeTracker } from '../../models/episode.ts';
import { AnomalyLikelihood, type LikelihoodConfig, type LikelihoodState } from '../../models/likelihood.ts';
import type { Evidence, Severity } from '../bus/messages.ts';
import { NEURAL_INPUTS, type NeuralBatch, type NeuralScorer, NeuralService, type NeuralServiceState } from './neural-scorer.ts';
import { SeasonalScorer, type SeasonalScorerState } from './seasonal-scorer.ts';
import { deviationGrew, largestDeviation, severityOfDeviation, severityRank } from './severity.ts';
import type { FeatureVector } from './window-features.ts';

/** Likelihood settings: one raw score per window, 40 minutes of 10 s windows of history. */
export const SERVICE_LIKELIHOOD: Partial<LikelihoodConfig> = { shortWindow: 1, historyWindow: 240, minHistory: 60, minStd: 0.05, decades: 8 };

/** Serializable model state of one service. */
export interface ServiceState {
  /** Bus partition the service's telemetry arrives on (its checkpoint key). */
  partition: number;
  seasonal: SeasonalScorerState;
  neural: NeuralServiceState;
  likelihood: LikelihoodState;
  episode: EpisodeState;
  /** Current episode id, its opening window end (ms) and the feature that opened it. */
  episodeId: string | null;
  openedAtMs: number;
  episodeFeature?: string;
  /** Episodes opened so far (part of episode ids). */
  seq: number;
  /** Windows scored so far. */
  scored: number;
  /** Severity rank (0 info, 1 warning, 2 critical), flapping flag and largest deviation of the last emitted event, and windows since it. */
  emitted: { rank: number; flapping: boolean; windowsSince: number; deviation?: number };
  /** Callee services seen recently, with the window end they were last seen. */
  callees: Record<string, number>;
}

/** Serializable state of many services, keyed by service name. */
export type ServiceModelState = Record<string, ServiceState>;

/** One closed window to score. */
export interface WindowInput {
  service: string;
  startMs: number;
  endMs: number;
  features: FeatureVector;
  callees: string[];
  /** Client calls to each callee in the window (kept with the window's rollup). */
  calls?: Record<string, number>;
}

/** Result of scoring one window of one service. */
export interface ServiceScore {
  input: WindowInput;
  /** Combined score in [0, 1]. */
  score: number;
  likelihood: number;
  evidence: Evidence[];
  transition: 'none' | 'open' | 'ongoing' | 'closed';
  episodeId: string | null;
  openedAtMs: number;
  flapping: boolean;
  /** Highest score of the episode so far (of the closed one on `closed`). */
  peak: number;
  /** Recent callees of the service (for root-cause ranking). */
  callees: string[];
  /** Feature that opened the current episode. */
  episodeFeature?: string;
  /** Largest absolute deviation of the evidence, in spreads of the baseline (0 without evidence). */
  deviation: number;
  /** Severity of this window (see severity.ts): from `deviation`, `info` while warming up. */
  severity: Severity;
  /** What the seasonal baseline expected of each feature before learning this window: `[expected, lower, upper]` (for rollups). */
  expected?: Record<string, [number, number, number]>;
  /** Whether the service's models are still warming up (fewer than `warmupWindows` windows seen). */
  warmingUp: boolean;
  /**
   * Whether this window deserves an anomaly event: the episode opened or
   * closed, its severity rose, its deviation grew beyond noise (see
   * severity.ts), its flapping flag changed, or `heartbeatWindows` passed
   * since the last event of an ongoing episode.
   */
  emit: boolean;
}

const CALLEE_MEMORY_MS = 5 * 60_000;

/** The part of a service's state that is not held by its live models. */
type ServiceMeta = Omit<ServiceState, 'seasonal' | 'neural' | 'likelihood' | 'episode'>;

/** A service's live models and the rest of its state ({@link ServiceModels.snapshot} puts them together). */
interface Live {
  st: ServiceMeta;
  seasonal: SeasonalScorer;
  neural: NeuralService;
  likelihood: AnomalyLikelihood;
  episode: EpisodeTracker;
  /** Highest score of the open episode (the tracker's, kept here so that reading it copies nothing). */
  peak: number;
}

/** Settings of {@link ServiceModels}. */
export interface ServiceModelsOptions {
  /** Episode settings (open/close levels, minimum quiet time, flap detection). */
  episode: Partial<EpisodeConfig>;
  /** The shared neural model; scoring uses the seasonal baselines only when absent. */
  neural?: NeuralScorer;
  /** Windows of an ongoing episode between two events when nothing material changes. Default 6. */
  heartbeatWindows?: number;
  /**
   * Windows a service is scored before its models count as warmed up: until
   * then its events are `info` and marked warming up, and its models keep
   * learning during episodes. Default {@link DEFAULT_WARMUP_WINDOWS}.
   */
  warmupWindows?: number;
}

/** Default warm-up of a service, in windows (five minutes of the default 10 s windows). */
export const DEFAULT_WARMUP_WINDOWS = 30;

/** The per-service models of one detector instance. */
export class ServiceModels {
  private readonly live = new Map<string, Live>();
  /** Scratch of the batched neural call, reused across rounds: normalized rows and the raw values they came from. */
  private rows = new Float32Array(0);
  private raw = new Float64Array(0);

  constructor(private readonly opts: ServiceModelsOptions) {}

  private wrap(state: ServiceState): Live {
    const { seasonal, neural, likelihood, episode, ...st } = state;
    return {
      st,
      seasonal: new SeasonalScorer(undefined, seasonal),
      neural: new NeuralService(neural),
      likelihood: new AnomalyLikelihood(SERVICE_LIKELIHOOD, likelihood),
      episode: new EpisodeTracker(this.opts.episode, episode),
      peak: episode.open ? episode.peak : 0,
    };
  }

  private get(service: string): Live {
    let m = this.live.get(service);
    if (!m) {
      const st: ServiceMeta = {
        partition: -1,
        episodeId: null,
        openedAtMs: 0,
        seq: 0,
        scored: 0,
        emitted: { rank: 0, flapping: false, windowsSince: 0 },
        callees: {},
      };
      m = {
        st,
        seasonal: new SeasonalScorer(),
        neural: new NeuralService(),
        likelihood: new AnomalyLikelihood(SERVICE_LIKELIHOOD),
        episode: new EpisodeTracker(this.opts.episode),
        peak: 0,
      };
      this.live.set(service, m);
    }
    return m;
  }

  /** Notes that `service` arrives on `partition`. */
  notePartition(service: string, partition: number): void {
    this.get(service).st.partition = partition;
  }

  /** Scores closed windows, oldest first per service, in rounds batched across services. */
  scoreBatch(inputs: WindowInput[]): ServiceScore[] {
    const rounds: WindowInput[][] = [];
    const depth = new Map<string, number>();
    for (const w of inputs) {
      const k = depth.get(w.service) ?? 0;
      depth.set(w.service, k + 1);
      if (!rounds[k]) rounds[k] = [];
      (rounds[k] as WindowInput[]).push(w);
    }
    if (rounds.length === 1) return this.scoreRound(rounds[0] as WindowInput[]);
    const out: ServiceScore[] = [];
    for (const round of rounds) for (const r of this.scoreRound(round)) out.push(r);
    return out;
  }

  private scoreRound(round: WindowInput[]): ServiceScore[] {
    const n = round.length;
    const lives = round.map((w) => this.get(w.service));
    const neural = this.opts.neural;
    let nn: NeuralBatch | undefined;
    let rows: Float32Array | undefined;
    let raw: Float64Array | undefined;
    if (neural) {
      if (this.rows.length < n * NEURAL_INPUTS) {
        this.rows = new Float32Array(n * NEURAL_INPUTS);
        this.raw = new Float64Array(n * NEURAL_INPUTS);
      }
      rows = this.rows;
      raw = this.raw;
      for (let i = 0; i < n; i++) (lives[i] as Live).neural.normalize((round[i] as WindowInput).features, raw, rows, i * NEURAL_INPUTS);
      nn = neural.scoreBatch(
        rows,
        lives.map((l) => l.neural),
        round.map((w) => w.features),
      );
    }
    const normal: number[] = [];
    const out: ServiceScore[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const w = round[i] as WindowInput;
      const m = lives[i] as Live;
      const s = m.seasonal.score(w.features, w.endMs);
      const lik = m.likelihood;
      // The likelihood needs a history of raw scores (held while an episode is open); until then the raw score stands alone.
      const warm = lik.ready;
      m.st.scored++;
      // Scored against the history as it stands; whether the window joins it depends on the episode (below).
      lik.update(s.score, false);
      const seasonal = warm ? (s.score + lik.score) / 2 : s.score;
      // The neural score is already a per-service likelihood (its residuals judged against that service's usual
      // ones, corroborated over two windows): it stands on its own beside the seasonal one rather than feeding the
      // likelihood of raw seasonal scores, which would turn its modest values into alarms.
      const ns = nn ? (nn.scores[i] as number) : 0;
      const score = Math.max(ns, seasonal);
      const evidence = s.evidence.length > 0 || score <= seasonal ? s.evidence : (nn?.evidence.get(i) ?? s.evidence);
      const r = this.finish(w, m, score, warm ? lik.likelihood : s.score, evidence);
      r.expected = m.seasonal.expectations(w.features, w.endMs);
      out[i] = r;
      // Past warm-up, a window inside an open episode teaches nothing: the pre-fault baselines stay the reference.
      if (!r.warmingUp && (r.transition === 'open' || r.transition === 'ongoing')) continue;
      lik.learnLast();
      m.seasonal.learn(w.features, w.endMs, score);
      if (score < 0.5 && nn && rows && raw) {
        m.neural.learnNormalization(raw, i * NEURAL_INPUTS);
        m.neural.learnResiduals(rows, nn.reconstruction, i);
        // Rows normalized by a service's first few windows are not yet z-scores: they would teach the shared model noise.
        if (m.neural.settled) normal.push(i);
      }
    }
    if (neural && rows && normal.length > 0) {
      // The normal rows are gathered to the front of the scratch in place (row k comes from row normal[k] >= k).
      for (let k = 0; k < normal.length; k++) {
        const i = normal[k] as number;
        rows.copyWithin(k * NEURAL_INPUTS, i * NEURAL_INPUTS, (i + 1) * NEURAL_INPUTS);
      }
      neural.model.observe(rows, normal.length);
    }
    return out;
  }

  private finish(w: WindowInput, m: Live, score: number, likelihood: number, evidence: Evidence[]): ServiceScore {
    const st = m.st;
    for (const c of w.callees) st.callees[c] = w.endMs;
    for (const c in st.callees) if (w.endMs - (st.callees[c] as number) > CALLEE_MEMORY_MS) delete st.callees[c];
    const u = m.episode.update(score, w.endMs);
    let transition: ServiceScore['transition'] = u.open ? 'ongoing' : 'none';
    if (u.event?.type === 'opened') m.peak = score;
    else if (u.open) m.peak = Math.max(m.peak, score);
    let peak = u.open ? m.peak : 0;
    if (u.event?.type === 'opened') {
      transition = 'open';
      st.seq++;
      st.episodeId = `${w.service}:${w.endMs}:${st.seq}`;
      st.openedAtMs = w.endMs;
      st.episodeFeature = evidence[0]?.feature;
    } else if (u.event?.type === 'closed') {
      transition = 'closed';
      peak = u.event.peak;
    }
    const warmingUp = st.scored <= (this.opts.warmupWindows ?? DEFAULT_WARMUP_WINDOWS);
    const deviation = largestDeviation(evidence);
    const severity = severityOfDeviation(deviation, warmingUp);
    const emit = this.shouldEmit(st, transition, severityRank(severity), deviation, u.flapping);
    const result: ServiceScore = {
      input: w,
      score,
      likelihood,
      evidence,
      transition,
      episodeId: transition === 'none' ? null : st.episodeId,
      openedAtMs: st.openedAtMs,
      flapping: u.flapping,
      peak,
      callees: Object.keys(st.callees),
      episodeFeature: st.episodeFeature,
      deviation,
      severity,
      warmingUp,
      emit,
    };
    if (transition === 'closed') {
      st.episodeId = null;
      delete st.episodeFeature;
    }
    return result;
  }

  private shouldEmit(st: ServiceMeta, transition: ServiceScore['transition'], rank: number, deviation: number, flapping: boolean): boolean {
    const e = st.emitted;
    if (transition === 'none') return false;
    e.windowsSince++;
    const material =
      transition !== 'ongoing' ||
      rank > e.rank ||
      deviationGrew(e.deviation ?? 0, deviation) ||
      flapping !== e.flapping ||
      e.windowsSince >= (this.opts.heartbeatWindows ?? 6);
    if (!material) return false;
    const worst = transition === 'open' ? deviation : Math.max(e.deviation ?? 0, deviation);
    st.emitted = { rank: transition === 'open' ? rank : Math.max(e.rank, rank), flapping, windowsSince: 0, deviation: worst };
    return true;
  }

  /** Copies the state of the services on `partitions` (all when omitted). */
  snapshot(partitions?: ReadonlySet<number>): ServiceModelState {
    const out: ServiceModelState = {};
    for (const [name, m] of this.live) {
      if (partitions && !partitions.has(m.st.partition)) continue;
      // The models' toJSON() already return copies.
      out[name] = {
        ...structuredClone(m.st),
        seasonal: m.seasonal.toJSON(),
        neural: m.neural.toJSON(),
        likelihood: m.likelihood.toJSON(),
        episode: m.episode.toJSON(),
      };
    }
    return out;
  }

  /** Replaces the state of the services in `state` (restored from a checkpoint). */
  restore(state: ServiceModelState): void {
    for (const [name, st] of Object.entries(state)) this.live.set(name, this.wrap(structuredClone(st)));
  }

  /** Forgets the services on `partitions` (after a rebalance took them away); returns their names. */
  drop(partitions: ReadonlySet<number>): string[] {
    const gone: string[] = [];
    for (const [name, m] of this.live) {
      if (!partitions.has(m.st.partition)) continue;
      this.live.delete(name);
      gone.push(name);
    }
    return gone;
  }

  /** Forgets one service (evicted when idle); a later window of it starts from scratch. */
  forget(service: string): void {
    this.live.delete(service);
  }

  /** Whether `service` is inside an open episode. */
  inEpisode(service: string): boolean {
    return (this.live.get(service)?.st.episodeId ?? null) !== null;
  }

  /** Number of tracked services. */
  size(): number {
    return this.live.size;
  }
}
