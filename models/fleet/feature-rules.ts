/**
 * The rule of each feature (which direction is bad, the smallest spread
 * assumed) and the map from a deviation in spreads to a score in [0, 1],
 * shared by the seasonal scorer, the neural scorer and the univariate model.
 */

/**
 * Which direction of a feature is bad and the smallest standard deviation
 * assumed (absolute, and relative to the mean). `request_rate` is bad only
 * downward: fewer requests than expected mean callers cannot reach the
 * service (or stopped calling it); more requests than expected are demand,
 * which matters once it hurts, and then its latency and error ratio show it.
 * A surge that scaling absorbed thus closes its episode while it lasts. The
 * volume of logs below warning follows demand the same way.
 */
export interface FeatureRule {
  direction: 'up' | 'down' | 'both';
  absFloor: number;
  relFloor: number;
  /**
   * The feature is a share of the window's requests (k failed of n): its
   * deviation counts the binomial noise of n requests beside the spread
   * (severity.ts, {@link countedShareDeviation}), so a window of a few
   * requests weighs as much as its count can show.
   */
  perRequest?: true;
}

const rules = new Map<string, FeatureRule>();

/** The rule of a feature name (cached: the returned object is shared and must not be changed). */
export function ruleFor(feature: string): FeatureRule {
  let r = rules.get(feature);
  if (!r) {
    r = Object.freeze(computeRule(feature));
    // Feature names are bounded per service but not across a fleet: keep the cache bounded too.
    if (rules.size < 4096) rules.set(feature, r);
  }
  return r;
}

function computeRule(feature: string): FeatureRule {
  if (feature === 'error_ratio') return { direction: 'up', absFloor: 0.02, relFloor: 0.2, perRequest: true };
  if (feature.startsWith('latency_')) return { direction: 'up', absFloor: 2, relFloor: 0.1 };
  if (feature === 'request_rate') return { direction: 'down', absFloor: 0.5, relFloor: 0.1 };
  // Warnings and errors are bad upward; the volume of other logs follows demand like the request rate.
  if (feature.startsWith('log_')) return { direction: /error|fatal|warn/.test(feature) ? 'up' : 'down', absFloor: 0.5, relFloor: 0.2 };
  return { direction: 'both', absFloor: 1e-6, relFloor: 0.1 };
}

/** Maps a deviation in standard deviations to [0, 1]: z50 -> 0.5, growing toward 1. */
export function deviationToScore(z: number, z50: number): number {
  if (!(z > 0)) return 0;
  if (z <= z50) return (0.5 * z) / z50;
  return 1 - 0.5 * Math.exp(-(z - z50) / z50);
}

/** The deviation that {@link deviationToScore} maps to `score` (its inverse; Infinity for a score of 1). */
export function scoreToDeviation(score: number, z50: number): number {
  if (!(score > 0)) return 0;
  if (score <= 0.5) return 2 * score * z50;
  return z50 - z50 * Math.log(2 * (1 - score));
}
