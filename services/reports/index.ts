/**
 * Reports: incidents with their labels, labelling, the incident report, service
 * health, series, KPIs and deployments. Repository-style modules over the store;
 * the API's route files are thin wrappers over them.
 */

export { createEventFeed, type EventFeed, type EventFeedSettings, type ExecutionChange, type FeedEvent } from './event-feed.ts';
export { BAND_SPREADS, DEVIATION_UNIT, REPORT_UNITS, unitOf } from './feature-units.ts';
export { buildIncidentReport, type IncidentReport, type ReportSettings } from './incident-report.ts';
export { getIncident, getIncidentRow, type IncidentView, incidentView, type LabelView, labelsOf } from './incident-view.ts';
export { exportKpiMetrics, type KpiMetricsSettings } from './kpi-metrics.ts';
export { type KpiAnswer, type KpiQuery, kpisOf, MAX_KPI_BUCKETS, parseBucket } from './kpi-repo.ts';
export { computeKpis, type Kpis, percentile } from './kpis.ts';
export { type LabelDeps, type LabelResult, labelIncident, labelMissed } from './labels.ts';
export { renderReportMarkdown } from './report-markdown.ts';
export { DEFAULT_SERIES_FEATURES, type FeatureSeries, loadSeries, type SeriesPoint } from './series.ts';
export { detectorTracking, listServiceHealth, MAX_SERVICES_LISTED, type ServiceHealth, type ServiceState, type Tracking } from './service-health.ts';
