export { type AnomalyFilter, type AnomalyJson, getAnomaly, listAnomalies } from './anomaly-repo.ts';
export { type AuditFilter, type AuditJson, listAudit } from './audit-repo.ts';
export { type ChangeFilter, type ChangeJson, listChangePage } from './change-repo.ts';
export { type ExecutionFilter, type ExecutionJson, listExecutions } from './execution-repo.ts';
export { type IncidentFilter, type IncidentJson, listIncidents } from './incident-repo.ts';
export { listModelPage, type ModelFilter, type ModelVersionJson, modelVersionJson } from './model-repo.ts';
export { decodeCursor, encodeCursor, type Page, type PageRequest } from './page.ts';
export { listPlaybookPage, type PlaybookFilter } from './playbook-repo.ts';
export { listTokenPage, type TokenFilter, type TokenJson } from './token-repo.ts';
