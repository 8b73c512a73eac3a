/**
 * The state the fleet models keep per service: its serializable form
 * (checkpointed per partition) and its live form (the model objects), and
 * the settings of {@link ServiceModels}.
 */
import { type EpisodeConfig, type EpisodeState, EpisodeTracker } from '../episodes/index.ts';
import { AnomalyLikelihood, type LikelihoodConfig, type LikelihoodState } from '../likelihood/index.ts';
import { FlatLine, type FlatLineState } from './flat-line.ts';
import type { NeuralScorer } from './neural-scorer.ts';
import { NeuralService, type NeuralServiceState } from './neural-service.ts';
import { DEFAULT_SEASONAL_SCORER, SeasonalScorer, type SeasonalScorerConfig, type SeasonalScorerState } from './seasonal-scorer.ts';
import type { ShareRun } from './share-run.ts';
import type { LatencyRun } from './sustained-latency.ts';
import type { MetricRuns } from './sustained-metrics.ts';
import { TailCalibration } from './tail-calibration.ts';

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
  /** History of the service's joint surprise (service-combination.ts), as one tail-calibration histogram; absent in older checkpoints. */
  joint?: number[];
  /** Runs of repeated values of the service's features (flat-line.ts); absent in older checkpoints. */
  flat?: FlatLineState;
  /** Current episode id, its opening window end (ms) and the feature that opened it. */
  episodeId: string | null;
  openedAtMs: number;
  episodeFeature?: string;
  /**
   * Start and end (window ends, ms; the end of an open one is Infinity) of
   * the service's episodes of about the last day, flat (see episode-step.ts:
   * a window inside an episode that the service was also in a day earlier
   * is its daily pattern). Absent in older checkpoints.
   */
  episodes?: number[];
  /**
   * The last closed episode of the service if it was a blip (at most
   * `BLIP_WINDOWS` anomalous windows): its id and when it closed. An episode
   * that opens within the flap window of that close continues its id (one
   * incident for a spike train, see episode-step.ts). Absent otherwise.
   */
  train?: { id: string; closedAtMs: number; family?: string };
  /** Anomalous windows (score at or above the opening level) of the open episode so far (absent: none). */
  anomalous?: number;
  /**
   * The run of windows whose error ratio stood above its expectation, pooled when scored and its failures counted
   * against chance for severity (share-run.ts); absent outside one. (Older checkpoints kept a `failures` tally of
   * their own: a restore drops it.)
   */
  shareRun?: ShareRun;
  /** Runs of runtime metrics deviating far above their baselines (sustained-metrics.ts); absent when none. */
  metricRuns?: MetricRuns;
  /** The current run of windows whose latency deviates far above its baseline (sustained-latency.ts); absent when none. */
  latencyRun?: LatencyRun;
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

/** Settings of {@link ServiceModels}. */
export interface ServiceModelsOptions {
  /** Episode settings (open/close levels, minimum quiet time, flap detection). */
  episode: Partial<EpisodeConfig>;
  /** The shared neural model; scoring uses the seasonal baselines only when absent. */
  neural?: NeuralScorer;
  /** Settings of every service's seasonal scorer. Default {@link DEFAULT_SEASONAL_SCORER}. */
  scorer?: SeasonalScorerConfig;
  /** Windows of an ongoing episode between two events when nothing material changes. Default 6. */
  heartbeatWindows?: number;
  /**
   * Called each round with the normalized rows about to train the shared
   * model (the settled services' windows judged normal), `n` rows of
   * `NEURAL_INPUTS` values; the rows are only valid during the call. The
   * detector scores them with a shadow model version here.
   */
  onNormalRows?: (rows: Float32Array, n: number) => void;
  /**
   * Windows a service is scored before its models count as warmed up: until
   * then its events are `info` and marked warming up, and its models keep
   * learning during episodes. Default {@link DEFAULT_WARMUP_WINDOWS}.
   */
  warmupWindows?: number;
  /**
   * Event time (ms) after which an open episode's windows are learned again
   * (its level has held through a whole daily cycle: the new normal).
   * Default {@link DEFAULT_ACCEPT_AFTER_MS}.
   */
  acceptAfterMs?: number;
}

/** Default time an episode holds its service's models from learning: one daily period of the seasonal baselines, ms. */
export const DEFAULT_ACCEPT_AFTER_MS = 86_400_000;

/** Default warm-up of a service, in windows (five minutes of the default 10 s windows). */
export const DEFAULT_WARMUP_WINDOWS = 30;

/** The part of a service's state that is not held by its live models. */
export type ServiceMeta = Omit<ServiceState, 'seasonal' | 'neural' | 'likelihood' | 'episode' | 'joint' | 'flat'>;

/** A service's live models and the rest of its state ({@link ServiceModels.snapshot} puts them together). */
export interface Live {
  st: ServiceMeta;
  seasonal: SeasonalScorer;
  neural: NeuralService;
  likelihood: AnomalyLikelihood;
  episode: EpisodeTracker;
  /** History of the service's joint surprise, as a deviation (see service-combination.ts). */
  joint: TailCalibration;
  /** Runs of repeated values of each feature (flat-line.ts). */
  flat: FlatLine;
  /** The joint deviation of the last scored window (NaN when no feature was scored), for learning it. */
  lastJoint: number;
  /** The highest score of one feature of the last scored window, judged by its own tail history alone (see seasonal-scorer.ts). */
  lastFeatureScore: number;
  /** The flat-line model's score of the last scored window (0: no run judged). */
  lastFlatScore: number;
  /** Highest score of the open episode (the tracker's, kept here so that reading it copies nothing). */
  peak: number;
  /** Windows in a row in which the service answered no request (infinite until it served one: it may serve none at all). */
  silentRun: number;
  /** The last batch of windows ({@link ServiceModels.scoreBatch}) that had a window of the service, and how many it had. */
  batch: number;
  depth: number;
}

/**
 * `st` as an object with every field of {@link ServiceMeta} present, in one
 * order (an absent optional field is `undefined`; the episode step sets a
 * field that goes away to `undefined` rather than deleting it). Every
 * service's meta object then has one shape: with fields added and deleted as
 * its history went, the services' objects took many shapes (a deleted field
 * also turns an object into a dictionary), and the optimized episode step
 * met a new one now and then, was thrown away and compiled again, on
 * another thread but on the same CPU budget, a large function each time.
 */
function metaOf(st: ServiceMeta): ServiceMeta {
  return {
    partition: st.partition,
    episodeId: st.episodeId,
    openedAtMs: st.openedAtMs,
    episodeFeature: st.episodeFeature,
    episodes: st.episodes,
    train: st.train,
    anomalous: st.anomalous,
    shareRun: st.shareRun,
    metricRuns: st.metricRuns,
    latencyRun: st.latencyRun,
    seq: st.seq,
    scored: st.scored,
    emitted: st.emitted,
    callees: st.callees,
  };
}

/** The live models of a service restored from `state`. */
export function liveOf(state: ServiceState, episodeConfig: Partial<EpisodeConfig>, scorer = DEFAULT_SEASONAL_SCORER): Live {
  const { seasonal, neural, likelihood, episode, joint, flat, ...st } = state;
  return {
    st: metaOf(st),
    seasonal: new SeasonalScorer(scorer, seasonal),
    neural: new NeuralService(neural),
    likelihood: new AnomalyLikelihood(SERVICE_LIKELIHOOD, likelihood),
    episode: new EpisodeTracker(episodeConfig, episode),
    joint: new TailCalibration(1, joint),
    flat: new FlatLine(DEFAULT_SEASONAL_SCORER.maxFeatures, flat),
    lastJoint: Number.NaN,
    lastFeatureScore: 0,
    lastFlatScore: 0,
    peak: episode.open ? episode.peak : 0,
    silentRun: Number.POSITIVE_INFINITY,
    batch: 0,
    depth: 0,
  };
}

/** The live models of a service seen for the first time. */
export function newLive(episodeConfig: Partial<EpisodeConfig>, scorer = DEFAULT_SEASONAL_SCORER): Live {
  return {
    st: metaOf({ partition: -1, episodeId: null, openedAtMs: 0, seq: 0, scored: 0, emitted: { rank: 0, flapping: false, windowsSince: 0 }, callees: {} }),
    seasonal: new SeasonalScorer(scorer),
    neural: new NeuralService(),
    likelihood: new AnomalyLikelihood(SERVICE_LIKELIHOOD),
    episode: new EpisodeTracker(episodeConfig),
    joint: new TailCalibration(1),
    flat: new FlatLine(DEFAULT_SEASONAL_SCORER.maxFeatures),
    lastJoint: Number.NaN,
    lastFeatureScore: 0,
    lastFlatScore: 0,
    peak: 0,
    silentRun: Number.POSITIVE_INFINITY,
    batch: 0,
    depth: 0,
  };
}

/** The serializable state of a live service (the models' toJSON() already return copies; absent fields are left out). */
export function stateOf(m: Live): ServiceState {
  const st: Partial<ServiceMeta> = {};
  for (const [key, value] of Object.entries(m.st)) if (value !== undefined) Object.assign(st, { [key]: value });
  return {
    ...structuredClone(st as ServiceMeta),
    seasonal: m.seasonal.toJSON(),
    neural: m.neural.toJSON(),
    likelihood: m.likelihood.toJSON(),
    episode: m.episode.toJSON(),
    joint: m.joint.toJSON(1),
    flat: m.flat.toJSON(),
  };
}
