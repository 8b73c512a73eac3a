import type { AddressInfo } from 'node:net';
import type { Component } from '../core/component.ts';
import type { ApiConfig } from '../core/component-config.ts';
import { settlesWithin } from '../core/deadline.ts';
import { loadTls } from '../core/tls.ts';
import { type ApiApp, buildApiApp } from './app.ts';
import type { ApiDeps, RouteModule } from './deps.ts';

export { type ApiPluginOptions, apiPlugin } from './api-plugin.ts';
export { type ApiApp, buildApiApp } from './app.ts';
export { ACCESS_LEVELS, type Access, declaredRoutes, type RouteAccess } from './auth.ts';
export type { ApiDeps, Readiness, RouteModule } from './deps.ts';
export { type HealthServer, startHealthServer } from './health-server.ts';

/** The API as a component: builds the app and listens on `config.host:config.apiPort` (HTTPS when config.tlsCertFile is set). */
export function createApiServer(deps: ApiDeps, config: ApiConfig, extra: RouteModule[] = []): Component & { address(): string; app(): ApiApp } {
  let app: ApiApp | undefined;
  let url = '';
  let stopped = false;
  return {
    name: 'api',
    async start() {
      const tls = loadTls(config, 'api');
      app = await buildApiApp(deps, extra, { tls });
      await app.listen({ host: config.host, port: config.apiPort });
      const a = app.server.address() as AddressInfo;
      url = `${tls ? 'https' : 'http'}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
    },
    async stop(deadlineMs = config.shutdownTimeoutMs) {
      if (stopped || !app) return;
      stopped = true;
      // In-flight requests get until the deadline; then their connections are cut so that stop() keeps it.
      const closing = app.close();
      if (!(await settlesWithin(deadlineMs, closing))) {
        app.server.closeAllConnections();
        await closing;
      }
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
