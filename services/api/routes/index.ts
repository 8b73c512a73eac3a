import type { RouteModule } from '../deps.ts';
import { anomalyRoutes } from './anomalies.ts';
import { auditRoutes } from './audit.ts';
import { executionRoutes } from './executions.ts';
import { healthRoutes } from './health.ts';
import { incidentRoutes } from './incidents.ts';
import { playbookRoutes } from './playbooks.ts';
import { tokenRoutes } from './tokens.ts';

/** Every route module of the API, in registration order (authorization is installed before them by the API plugin). */
export const routeModules: RouteModule[] = [healthRoutes, anomalyRoutes, incidentRoutes, playbookRoutes, executionRoutes, tokenRoutes, auditRoutes];
