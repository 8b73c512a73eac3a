/** Builds anomaly events from scored windows: kind, severity and the event fields. */
import type { AnomalyEvent, AnomalyKind, RootCause, Severity } from '../bus/messages.ts';
import type { ServiceScore } from './service-models.ts';

/** The kind of anomaly a feature indicates. */
export function kindOf(feature: string | undefined): AnomalyKind {
  if (!feature) return 'traffic';
  if (feature === 'error_ratio') return 'errors';
  if (feature.startsWith('latency_')) return 'latency';
  if (feature.startsWith('log_')) return 'logs';
  if (feature.startsWith('metric:')) return 'saturation';
  return 'traffic';
}

/** Severity of a score: >= 0.9 critical, >= 0.7 warning, else info. */
export function severityOf(score: number): Severity {
  return score >= 0.9 ? 'critical' : score >= 0.7 ? 'warning' : 'info';
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
  return {
    id: `${episodeId}@${w.endMs}`,
    service: w.service,
    episodeId,
    windowStartUnixMs: w.startMs,
    windowEndUnixMs: w.endMs,
    score: r.score,
    likelihood: r.likelihood,
    severity: severityOf(r.transition === 'closed' ? r.peak : r.score),
    kind: kindOf(r.evidence[0]?.feature ?? r.episodeFeature),
    evidence: r.evidence.slice(0, 8),
    modelVersion,
    episodeState: r.transition as AnomalyEvent['episodeState'],
    rootCauses,
    attributes: { ...attributes },
    detectedUnixMs,
    flapping: r.flapping,
  };
}
