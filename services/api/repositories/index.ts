export { type AnomalyFilter, type AnomalyJson, getAnomaly, listAnomalies } from './anomaly-repo.ts';
export { type AuditFilter, type AuditJson, listAudit } from './audit-repo.ts';
export { type ExecutionFilter, type ExecutionJson, listExecutions } from './execution-repo.ts';
export { type IncidentFilter, type IncidentJson, listIncidents } from './incident-repo.ts';
export { type Page, type PageRequest, decodeCursor, encodeCursor } from './page.ts';
export { type PlaybookFilter, listPlaybookPage } from './playbook-repo.ts';
export { type TokenFilter, type TokenJson, listTokenPage } from './token-repo.ts';
