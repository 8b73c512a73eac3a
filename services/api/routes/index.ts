import type { RouteModule } from '../deps.ts';
import { anomalyRoutes } from './anomalies.ts';
import { healthRoutes } from './health.ts';

/** Every route module of the API, in registration order. */
export const routeModules: RouteModule[] = [healthRoutes, anomalyRoutes];
