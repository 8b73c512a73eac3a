import type { Component } from '../core/component.ts';
import type { Config } from '../core/config.ts';
import { type ApiApp, buildApiApp } from './app.ts';
import type { ApiDeps, RouteModule } from './deps.ts';

export { type ApiApp, buildApiApp } from './app.ts';
export { ACCESS_LEVELS, type Access, declaredRoutes, type RouteAccess } from './auth.ts';
export type { ApiDeps, Readiness, RouteModule } from './deps.ts';

/** The API as a component: builds the app and listens on `config.host:config.apiPort`. */
export function createApiServer(deps: ApiDeps, config: Config, extra: RouteModule[] = []): Component & { address(): string; app(): ApiApp } {
  let app: ApiApp | undefined;
  let url = '';
  let stopped = false;
  return {
    name: 'api',
    async start() {
      app = await buildApiApp(deps, extra);
      url = await app.listen({ host: config.host, port: config.apiPort });
    },
    async stop() {
      if (stopped || !app) return;
      stopped = true;
      await app.close();
    },
    address() {
      return url;
    },
    app() {
      if (!app) throw new Error('api not started');
      return app;
    },
  };
}
