/**
 * What the fleet models take and produce, typed here so that the models
 * import nothing from services/: the feature vector of one closed window,
 * the evidence of a deviating feature and the severity of a window. The bus,
 * store and API types of the anomaly event are structurally the same.
 */
import type { ExpectedBands } from './expected-bands.ts';

/** The features of one closed window of one service, by name. Rates are per second, latencies in ms. */
export type FeatureVector = Record<string, number>;

/** One deviating feature of a scored window. */
export interface Evidence {
  /** Feature name, e.g. `error_ratio`. */
  feature: string;
  /** The value the window had. */
  observed: number;
  /** The value the baselines expected. */
  expected: number;
  /** Signed deviation in robust standard deviations. */
  deviation: number;
}

/** Severity of an anomalous window. */
export type Severity = 'info' | 'warning' | 'critical';

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
  /** What the seasonal baseline expected of each feature before learning this window, compact (expected-bands.ts; the rollups store it as a record, `bandsRecord`). */
  expected?: ExpectedBands;
  evidence: Evidence[];
  transition: 'none' | 'open' | 'ongoing' | 'closed';
  episodeId: string | null;
  openedAtMs: number;
  flapping: boolean;
  /**
   * On `closed`: end of the first window of the run of windows below the
   * close level that closed the episode, ms: the latest time the recovery
   * can have begun (a window places it no more finely).
   */
  recoveryStartMs?: number;
  /** Highest score of the episode so far (of the closed one on `closed`). */
  peak: number;
  /** Recent callees of the service (for root-cause ranking). */
  callees: string[];
  /** Feature that opened the current episode. */
  episodeFeature?: string;
  /** Largest absolute deviation of the evidence, in spreads of the baseline (0 without evidence). */
  deviation: number;
  /** Severity of this window (see severity.ts): from the largest deviation of its symptom evidence, `info` while warming up. */
  severity: Severity;
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
