/**
 * Reports: incidents with their labels, labelling, the incident report, service
 * health, series, KPIs and deployments. Repository-style modules over the store;
 * the API's route files are thin wrappers over them.
 */

export { getIncident, getIncidentRow, type IncidentView, incidentView, type LabelView, labelsOf } from './incident-view.ts';
export { type LabelDeps, type LabelResult, labelIncident, labelMissed } from './labels.ts';
export { BAND_SPREADS, DEVIATION_UNIT, unitOf } from './feature-units.ts';
export { buildIncidentReport, type IncidentReport, type ReportSettings } from './incident-report.ts';
export { renderReportMarkdown } from './report-markdown.ts';
export { DEFAULT_SERIES_FEATURES, type FeatureSeries, loadSeries, type SeriesPoint } from './series.ts';
