/**
 * What the fleet models take and produce, typed here so that the models
 * import nothing from services/: the feature vector of one closed window,
 * the evidence of a deviating feature and the severity of a window. The bus,
 * store and API types of the anomaly event are structurally the same.
 */

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
