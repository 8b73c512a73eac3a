import type { RouteModule } from '../deps.ts';
import { anomalyRoutes } from './anomalies.ts';
import { auditRoutes } from './audit.ts';
import { changeRoutes } from './changes.ts';
import { eventRoutes } from './event-routes.ts';
import { executionRoutes } from './executions.ts';
import { forecastRoutes } from './forecast-routes.ts';
import { healthRoutes } from './health.ts';
import { incidentDetailRoutes } from './incident-routes.ts';
import { incidentRoutes } from './incidents.ts';
import { kpiRoutes } from './kpi-routes.ts';
import { modelRoutes } from './models.ts';
import { playbookRoutes } from './playbooks.ts';
import { policyRoutes } from './policy.ts';
import { reportRoutes } from './report-routes.ts';
import { serviceRoutes } from './service-routes.ts';
import { tokenRoutes } from './tokens.ts';
import { webUiRoutes } from './web-ui.ts';

/** Every route module of the API, in registration order (authorization is installed before them by the API plugin). */
export const routeModules: RouteModule[] = [
  healthRoutes,
  anomalyRoutes,
  incidentRoutes,
  incidentDetailRoutes,
  reportRoutes,
  serviceRoutes,
  forecastRoutes,
  eventRoutes,
  kpiRoutes,
  playbookRoutes,
  policyRoutes,
  modelRoutes,
  executionRoutes,
  changeRoutes,
  tokenRoutes,
  auditRoutes,
  webUiRoutes(),
];
