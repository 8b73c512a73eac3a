import type { TokenRegistry } from '../auth/index.ts';
import type { Bus } from '../bus/bus.ts';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import type { ProcessReadiness } from '../core/readiness.ts';
import type { Telemetry } from '../core/telemetry.ts';
import type { Store } from '../store/index.ts';

/** Result of a readiness probe: each dependency's status. */
export interface Readiness {
  ok: boolean;
  checks: Record<string, 'ok' | string>;
}

/** What the API's routes may use. Passed in by the process wiring (services/cli). */
export interface ApiDeps {
  store: Store;
  bus: Bus;
  config: Config;
  logger: Logger;
  telemetry: Telemetry;
  /**
   * The readiness of the whole process (set by `zeroops start` and the other
   * service commands): /readyz answers 200 only while it is serving and every
   * component reports ok. Absent (an app built alone, in tests): only the bus
   * and the store are checked.
   */
  readiness?: ProcessReadiness;
  /** Topic names under the configured prefix. */
  topics: Record<'traces' | 'metrics' | 'logs' | 'anomalies' | 'outcomes' | 'feedback', string>;
  /**
   * The accepted tokens, shared with the collector of the same process (so a token created or revoked here
   * takes effect there at once). Optional: buildApiApp creates (and stops) its own over `store` without it.
   */
  tokens?: TokenRegistry;
}

/** A route module: registers its routes on `app` using `deps`. */
export type RouteModule = (app: import('./app.ts').ApiApp, deps: ApiDeps) => Promise<void> | void;
