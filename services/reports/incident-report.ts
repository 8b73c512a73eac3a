import type { Db } from '../store/index.ts';
import { REPORT_UNITS } from './feature-units.ts';
import { getIncidentRow, type IncidentView, incidentView, type LabelView, labelsOf } from './incident-view.ts';
import {
  anomalousAmong,
  calleesOf,
  type DeviatingFeature,
  deploymentsNear,
  deviatingFeatures,
  episodeAnomalies,
  executionsOf,
  type Neighbourhood,
  peakOf,
  type ReportDeployment,
  type ReportExecution,
  type TimelineEntry,
  timelineOf,
} from './report-parts.ts';
import { DEFAULT_SERIES_FEATURES, type FeatureSeries, loadSeries } from './series.ts';

/** Everything a person needs to judge one incident (`GET /api/v1/incidents/:id/report`). */
export interface IncidentReport {
  incident: IncidentView;
  timeline: TimelineEntry[];
  features: DeviatingFeature[];
  series: FeatureSeries[];
  rootCauses: { service: string; rank: number; score: number; reason: string }[];
  neighbourhood: Neighbourhood;
  executions: ReportExecution[];
  deployments: ReportDeployment[];
  modelVersion: string;
  labels: LabelView[];
  /** The unit of every number above, by its path (see REPORT_UNITS). */
  units: Record<string, string>;
}

/** Settings of {@link buildIncidentReport}. */
export interface ReportSettings {
  /** How long before the incident opened a deployment is listed, in ms (ZEROOPS_CHANGE_FAILURE_SECONDS). */
  deployLookbackMs: number;
  /** Points per series (default 200). */
  points?: number;
  /** The time "now" for an open incident (default the clock). */
  now?: Date;
}

/** Series run from this long before the incident opened... */
export const SERIES_BEFORE_MS = 30 * 60_000;
/** ...to this long after it closed (or now). */
export const SERIES_AFTER_MS = 10 * 60_000;

/** Builds the report of incident `id`; 404 `ZEROOPS_NOT_FOUND` when unknown. */
export async function buildIncidentReport(db: Db, id: string, settings: ReportSettings): Promise<IncidentReport> {
  const row = await getIncidentRow(db, id);
  const now = settings.now ?? new Date();
  const rows = await episodeAnomalies(db, id);
  const peak = peakOf(rows);
  const features = await deviatingFeatures(db, peak);
  const from = new Date(row.openedAt.getTime() - SERIES_BEFORE_MS);
  const to = new Date(Math.min(now.getTime(), (row.closedAt ?? now).getTime() + SERIES_AFTER_MS));
  const names = features.length > 0 ? features.map((f) => f.feature) : DEFAULT_SERIES_FEATURES;
  const rootCauses = (peak?.rootCauses ?? []).map((r, i) => ({ service: r.service, rank: i + 1, score: r.score, reason: r.reason }));
  const callees = await calleesOf(db, row.service, from, to);
  const around = [...new Set([row.service, ...callees.keys(), ...rootCauses.map((r) => r.service)])];
  const anomalous = await anomalousAmong(db, around);
  const top = rootCauses[0]?.service;
  return {
    incident: incidentView(row),
    timeline: timelineOf(rows),
    features,
    series: await loadSeries(db, row.service, names, from, to, settings.points ?? 200),
    rootCauses,
    neighbourhood: {
      nodes: around.map((service) => ({ service, state: anomalous.has(service) ? 'anomalous' : 'healthy', root: service === top })),
      edges: [...callees].map(([callee, c]) => ({ from: row.service, to: callee, calls: c.calls, errors: c.errors })),
    },
    executions: await executionsOf(db, id),
    deployments: await deploymentsNear(db, [row.service, ...callees.keys()], new Date(row.openedAt.getTime() - settings.deployLookbackMs), row.openedAt),
    modelVersion: peak?.modelVersion ?? '',
    labels: (await labelsOf(db, [id])).get(id) ?? [],
    units: { ...REPORT_UNITS },
  };
}
