/** Builds anomaly events from scored windows: kind, severity and the event fields. */

import { bandOf, type Evidence, errorRatioSpreads, isSymptomFeature, type ServiceScore } from '../../models/fleet/index.ts';
import type { AnomalyEvent, AnomalyKind, RootCause } from '../bus/messages.ts';

/** Event attribute that says the service's models are still warming up (value `warming_up`). */
export const MODEL_STATE_ATTRIBUTE = 'zeroops.model_state';

/**
 * Event attribute that says whether the service is its anomaly's top-ranked
 * root cause (`cause`) or a symptom of another service (`symptom`), so that a
 * playbook can act only where the fault is (`match.attributes`).
 */
export const ROOT_CAUSE_ROLE_ATTRIBUTE = 'zeroops.root_cause_role';

/**
 * Event attribute that says the service gets clearly more (`above`) or fewer
 * (`below`) requests than its baselines expect (see {@link demandOf}). Absent
 * otherwise. A playbook reads it to scale out first when the demand is the
 * trouble (`when: anomaly.attributes["zeroops.demand"] == "above"`).
 */
export const DEMAND_ATTRIBUTE = 'zeroops.demand';

/** The kind of anomaly a feature indicates. */
export function kindOf(feature: string | undefined): AnomalyKind {
  if (!feature) return 'traffic';
  if (feature === 'error_ratio') return 'errors';
  if (feature.startsWith('latency_')) return 'latency';
  if (feature.startsWith('log_')) return 'logs';
  if (feature.startsWith('metric:')) return 'saturation';
  return 'traffic';
}

/** Deviation (in spreads) from which a symptom counts as clear enough to name the kind (the `warning` level). */
const CLEAR_DEVIATION = 5;

/** Request rate from which a service counts as receiving extra (or too little) demand: this many times what its baseline expects (or 1 / this). */
export const DEMAND_RATIO = 1.5;

/**
 * Whether the window received clearly more (`above`) or fewer (`below`)
 * requests than its baseline expects: outside the rate's band and at least
 * {@link DEMAND_RATIO} times (or at most 1 / {@link DEMAND_RATIO} of) the
 * expectation. Read from the window's rate and band, not from its evidence:
 * a rate above expectation is demand, not a fault (feature-rules.ts: the
 * request rate is bad only downward), so it never is evidence, and a surge
 * shows there only through what it does (queueing, shed requests).
 */
export function demandOf(r: Pick<ServiceScore, 'input' | 'expected'>): 'above' | 'below' | undefined {
  const rate = r.input.features.request_rate;
  const band = bandOf(r.expected, 'request_rate');
  if (rate === undefined || band === undefined) return undefined;
  if (rate > band[2] && rate >= DEMAND_RATIO * band[0]) return 'above';
  if (rate < band[1] && rate * DEMAND_RATIO <= band[0]) return 'below';
  return undefined;
}

/** Symptoms in order of how specific they are: failing requests point at a broken component; slowness and lost traffic follow almost any trouble (a busy host too). */
const SPECIFICITY: readonly AnomalyKind[] = ['errors', 'logs', 'latency', 'traffic'];

/**
 * How far a symptom deviates in the direction its clients feel, in spreads:
 * fewer requests than expected (callers cannot reach the service), more
 * errors, more warning/error logs, slower responses. Faster responses or
 * fewer errors than expected are evidence, not the kind of a fault: when
 * traffic falls to its night level at noon, the quantiles of the few
 * requests left come out a little lower, and that must not name it `latency`.
 * The error ratio's spread counts at most 5 points (models/fleet/severity.ts):
 * 60 % of requests failing against a noisy few % is an error fault even when
 * it is only 4 spreads of that noise.
 */
function harmfulDeviation(e: Evidence): number {
  if (e.feature === 'error_ratio') return errorRatioSpreads(e);
  return e.feature === 'request_rate' ? -e.deviation : e.deviation;
}

/**
 * The feature that names a window's kind: its most specific clear symptom
 * (errors before error logs before latency before traffic, each at least
 * {@link CLEAR_DEVIATION} spreads out in the direction that hurts), so that a bad deploy whose failing
 * requests also queue is named `errors` and not `latency`; else its
 * strongest symptom; else its strongest evidence (runtime metrics: not
 * something its clients feel); else the feature that opened the episode.
 */
export function kindFeature(evidence: readonly Evidence[], episodeFeature: string | undefined): string | undefined {
  const symptoms = evidence.filter((e) => isSymptomFeature(e.feature));
  const clear = symptoms.filter((e) => harmfulDeviation(e) >= CLEAR_DEVIATION);
  for (const kind of SPECIFICITY) {
    const hit = clear.find((e) => kindOf(e.feature) === kind);
    if (hit) return hit.feature;
  }
  return (symptoms[0] ?? evidence[0])?.feature ?? episodeFeature;
}

/**
 * The anomaly event of a scored window whose episode opened, continued or
 * closed; `attributes` are the service's kept resource attributes (copied).
 */
export function anomalyEvent(
  r: ServiceScore,
  rootCauses: RootCause[],
  modelVersion: string,
  detectedUnixMs: number,
  attributes: Record<string, string> = {},
): AnomalyEvent {
  const w = r.input;
  const episodeId = r.episodeId as string;
  const demand = demandOf(r);
  return {
    id: `${episodeId}@${w.endMs}`,
    service: w.service,
    episodeId,
    windowStartUnixMs: w.startMs,
    windowEndUnixMs: w.endMs,
    score: r.score,
    likelihood: r.likelihood,
    // The severity of this window's deviation: a closing event is as mild as the window that closed it.
    severity: r.severity,
    kind: kindOf(kindFeature(r.evidence, r.episodeFeature)),
    evidence: r.evidence.slice(0, 8),
    modelVersion,
    episodeState: r.transition as AnomalyEvent['episodeState'],
    rootCauses,
    attributes: {
      ...attributes,
      ...(r.warmingUp ? { [MODEL_STATE_ATTRIBUTE]: 'warming_up' } : {}),
      ...(demand ? { [DEMAND_ATTRIBUTE]: demand } : {}),
      [ROOT_CAUSE_ROLE_ATTRIBUTE]: !rootCauses[0] || rootCauses[0].service === w.service ? 'cause' : 'symptom',
    },
    detectedUnixMs,
    flapping: r.flapping,
    recoveryStartUnixMs: r.recoveryStartMs ?? 0,
  };
}
