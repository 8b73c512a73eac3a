/**
 * Units of the detector's window features, for reports and charts. Feature
 * names follow services/detector/window-features.ts.
 */

/** What an evidence's `deviation` measures. */
export const DEVIATION_UNIT = 'robust standard deviations from the expected value (signed; |deviation| >= 3 is where a feature starts to count as evidence)';

/**
 * The unit of every number of an incident report, by its path in the JSON
 * (`[]` for each item of a list); a feature's values are in its own `unit`.
 */
export const REPORT_UNITS: Readonly<Record<string, string>> = {
  'incident.maxScore': 'combined anomaly score, 0..1 (1 = certainly anomalous)',
  'incident.lastScore': 'combined anomaly score, 0..1',
  'timeline[].score': 'combined anomaly score of that window, 0..1',
  'features[].observed': "the feature's unit (features[].unit)",
  'features[].expected': "the feature's unit (features[].unit)",
  'features[].lower': "the feature's unit (features[].unit)",
  'features[].upper': "the feature's unit (features[].unit)",
  'features[].deviation': DEVIATION_UNIT,
  'series[].points[].value': "the feature's unit (series[].unit), the mean of the windows in the point",
  'series[].points[].expected': "the feature's unit (series[].unit)",
  'series[].points[].lower': "the feature's unit (series[].unit)",
  'series[].points[].upper': "the feature's unit (series[].unit)",
  'rootCauses[].rank': 'rank, 1 = most likely',
  'rootCauses[].score': 'root-cause score, 0..1',
  'neighbourhood.edges[].calls': 'client calls (count) from the service to the callee over the series period',
  'neighbourhood.edges[].errors': 'failed calls (count) over the same period',
  'executions[].playbookVersion': 'playbook version number',
};

/**
 * How many spreads of the baseline the expected band spans on each side:
 * the seasonal scorer's default z50 (a feature scores 0.5, i.e. becomes
 * evidence, at 3 spreads).
 */
export const BAND_SPREADS = 3;

/** The unit of `feature`'s values. */
export function unitOf(feature: string): string {
  if (feature === 'request_rate') return 'requests/s';
  if (feature === 'error_ratio') return 'ratio of failed requests (0..1)';
  if (/^latency_p\d+_ms$/.test(feature)) return 'ms';
  if (/^log_.+_rate$/.test(feature)) return 'log records/s';
  if (/^metric:.+:rate$/.test(feature)) return 'increase/s of the counter';
  if (/^metric:.+:p\d+$/.test(feature)) return "the histogram's unit";
  if (feature.startsWith('metric:')) return "the gauge's unit (window mean)";
  return '';
}

/**
 * The values `feature` can take, `[min, max]`: 0..1 for error_ratio; from 0
 * up for request and log rates and latencies; unbounded for metric features
 * (a gauge, an up-down sum's change or a histogram's values may be negative).
 */
export function featureRange(feature: string): [number, number] {
  if (feature === 'error_ratio') return [0, 1];
  if (feature === 'request_rate' || /^latency_p\d+_ms$/.test(feature) || /^log_.+_rate$/.test(feature)) return [0, Number.POSITIVE_INFINITY];
  return [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
}

/**
 * An expected band `[lower, upper]` cut to the values `feature` can take
 * ({@link featureRange}): the band of a rate or a latency never goes below 0,
 * that of a ratio never above 1. A null bound (nothing stored) stays null.
 */
export function bandWithin(feature: string, lower: number | null, upper: number | null): [number | null, number | null] {
  const [min, max] = featureRange(feature);
  const cut = (x: number | null) => (x === null ? null : Math.min(max, Math.max(min, x)));
  return [cut(lower), cut(upper)];
}

/**
 * The expected band of a feature at a window: `[expected, lower, upper]`
 * from the stored expectation when there is one, else derived from an
 * evidence item (`deviation = (observed - expected) / spread`, so the
 * spread is recovered and the band is `expected ± BAND_SPREADS * spread`).
 */
export function bandFromEvidence(observed: number, expected: number, deviation: number): [number, number] | null {
  if (!Number.isFinite(deviation) || deviation === 0) return null;
  const spread = Math.abs((observed - expected) / deviation);
  return [expected - BAND_SPREADS * spread, expected + BAND_SPREADS * spread];
}
