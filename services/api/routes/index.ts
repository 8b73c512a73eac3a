import type { RouteModule } from '../deps.ts';
import { anomalyRoutes } from './anomalies.ts';
import { eventRoutes } from './event-routes.ts';
import { executionRoutes } from './executions.ts';
import { healthRoutes } from './health.ts';
import { incidentRoutes } from './incident-routes.ts';
import { kpiRoutes } from './kpi-routes.ts';
import { playbookRoutes } from './playbooks.ts';
import { reportRoutes } from './report-routes.ts';
import { serviceRoutes } from './service-routes.ts';
import { tokenRoutes } from './tokens.ts';
import { webUiRoutes } from './web-ui.ts';

/** Every route module of the API, in registration order (authorization is installed before them by buildApiApp). */
export const routeModules: RouteModule[] = [
  healthRoutes,
  anomalyRoutes,
  playbookRoutes,
  executionRoutes,
  tokenRoutes,
  incidentRoutes,
  reportRoutes,
  serviceRoutes,
  eventRoutes,
  kpiRoutes,
  webUiRoutes(),
];
