import { authRoutes } from '../auth.ts';
import type { RouteModule } from '../deps.ts';
import { anomalyRoutes } from './anomalies.ts';
import { executionRoutes } from './executions.ts';
import { healthRoutes } from './health.ts';
import { playbookRoutes } from './playbooks.ts';

/** Every route module of the API, in registration order. */
export const routeModules: RouteModule[] = [authRoutes, healthRoutes, anomalyRoutes, playbookRoutes, executionRoutes];
