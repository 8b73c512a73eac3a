/**
 * The components under the lifecycle test, each built by its factory with only
 * its slice of the configuration, and a way to make each one busy: the
 * collector mid-request, the detector mid-window, the executor mid-step, the
 * API mid-request, the trainer mid-outcome.
 */
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { buildApiApp } from '../../../services/api/app.ts';
import { createApiServer } from '../../../services/api/index.ts';
import type { Bus } from '../../../services/bus/bus.ts';
import { encodeOutcome } from '../../../services/bus/messages.ts';
import { createCollector } from '../../../services/collector/index.ts';
import {
  API_CONFIG_KEYS,
  COLLECTOR_CONFIG_KEYS,
  type Component,
  configFor,
  createTelemetry,
  DETECTOR_CONFIG_KEYS,
  EXECUTOR_CONFIG_KEYS,
  silentLogger,
  TRAINER_CONFIG_KEYS,
} from '../../../services/core/index.ts';
import { createDetector } from '../../../services/detector/index.ts';
import { createExecutor } from '../../../services/executor/index.ts';
import { encodeExportRequest, encodeResource } from '../../../services/otlp/index.ts';
import type { Store } from '../../../services/store/index.ts';
import { createTrainer } from '../../../services/trainer/index.ts';
import { outcomeEvent } from '../../fixtures/outcome.ts';
import { anomaly, publishAnomalies, until, upsertIncident } from '../executor/harness.ts';
import type { LifecycleEnv } from './environments.ts';

/** A started component kept busy, and how to let its work go afterwards. */
export interface Busy {
  component: Component;
  release(): Promise<void>;
}

/** One row of the lifecycle table. */
export interface ComponentCase {
  name: string;
  /** Builds the component (not started). */
  make(env: LifecycleEnv, bus?: Bus, store?: Store): Component;
  /** Builds and starts the component, and returns once it is in the middle of its work. */
  startBusy(env: LifecycleEnv): Promise<Busy>;
}

const runtime = (env: LifecycleEnv, bus: Bus = env.bus) => ({
  bus,
  store: env.store,
  logger: silentLogger(),
  telemetry: createTelemetry(),
  topics: env.topics,
});

/** The collector with an OTLP/HTTP request whose publish the bus holds. */
const collectorCase: ComponentCase = {
  name: 'collector',
  make: (env, bus) => createCollector(runtime(env, bus), configFor(env.config, COLLECTOR_CONFIG_KEYS)),
  async startBusy(env) {
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    // The real bus behind a gate: publishes wait until the test lets them go.
    const held: Bus = { ...env.bus, publish: (topic, records) => gate.then(() => env.bus.publish(topic, records)) };
    const c = collectorCase.make(env, held) as ReturnType<typeof createCollector>;
    await c.start();
    const body = encodeExportRequest('logs', { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'mid-request' } }] }] }] });
    const pending = fetch(`${c.httpAddress()}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body }).catch(() => undefined);
    await until('the request to reach the bus', async () => c.bytesInFlight() > 0, 10_000);
    return {
      component: c,
      async release() {
        open();
        await pending;
      },
    };
  },
};

/** One server span of `service` ending at `endMs`, as the collector publishes it (one resource). */
function spanAt(service: string, endMs: number): Uint8Array {
  const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
  return encodeResource('traces', {
    resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
    scopeSpans: [
      {
        spans: [
          {
            traceId: '0af7651916cd43dd8448eb211c80319c',
            spanId: 'b7ad6b7169203331',
            name: 'GET /',
            kind: 2,
            startTimeUnixNano: ns(endMs - 20),
            endTimeUnixNano: ns(endMs),
          },
        ],
      },
    ],
  });
}

/** The detector with an open window of one service. */
const detectorCase: ComponentCase = {
  name: 'detector',
  make: (env) => createDetector(runtime(env), configFor(env.config, DETECTOR_CONFIG_KEYS)),
  async startBusy(env) {
    const d = detectorCase.make(env) as ReturnType<typeof createDetector>;
    await d.start();
    await until(
      'the detector to open a window',
      async () => {
        const value = spanAt('checkout', Date.now());
        await env.bus.publish(env.topics.traces, [{ key: 'checkout', value, headers: { 'content-type': 'application/x-protobuf' } }]);
        return d.serviceStats().windowServices > 0;
      },
      30_000,
    );
    return { component: d, release: async () => undefined };
  },
};

/** A step target that takes requests and never answers them. */
async function startSilentTarget(): Promise<{ url: string; received: () => number; close(): Promise<void> }> {
  let received = 0;
  const server: Server = createServer(() => {
    received++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The executor in the middle of an http step whose target does not answer. */
const executorCase: ComponentCase = {
  name: 'executor',
  make: (env) => createExecutor({ ...runtime(env), options: { pollMs: 100, leaseMs: 2_000 } }, configFor(env.config, EXECUTOR_CONFIG_KEYS)),
  async startBusy(env) {
    const target = await startSilentTarget();
    const app = await buildApiApp({ ...runtime(env), config: configFor(env.config, API_CONFIG_KEYS) });
    const playbook = {
      name: 'hang',
      mode: 'auto',
      match: { service: 'checkout' },
      guardrails: { cooldownSeconds: 0, maxConcurrent: 10 },
      steps: [{ id: 'call', type: 'http', timeoutSeconds: 60, http: { method: 'POST', url: `${target.url}/restart` } }],
    };
    const created = await app.inject({ method: 'POST', url: '/api/v1/playbooks', payload: playbook });
    if (created.statusCode !== 201) throw new Error(`playbook not created: ${created.body}`);
    await upsertIncident(env.store, 'ep-1', { state: 'open' });
    const e = executorCase.make(env);
    await e.start();
    await until(
      'the executor to call the step target',
      async () => {
        if (target.received() > 0) return true;
        await publishAnomalies(env.bus, env.topics.anomalies, [anomaly({ episodeId: 'ep-1' })]);
        return false;
      },
      30_000,
    );
    return {
      component: e,
      async release() {
        await target.close();
        await app.close();
      },
    };
  },
};

/** The API with a request whose body the client has only half sent. */
const apiCase: ComponentCase = {
  name: 'api',
  make: (env) => {
    const config = configFor(env.config, API_CONFIG_KEYS);
    return createApiServer({ ...runtime(env), config }, config);
  },
  async startBusy(env) {
    const a = apiCase.make(env) as ReturnType<typeof createApiServer>;
    await a.start();
    const url = new URL(a.address());
    const socket: Socket = connect(Number(url.port), url.hostname);
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('POST /api/v1/playbooks/validate HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":');
    // Give the server time to take the request in.
    await new Promise((r) => setTimeout(r, 300));
    return { component: a, release: async () => void socket.destroy() };
  },
};

/** The trainer in the middle of applying an outcome: its store transaction waits at a gate the test holds. */
const trainerCase: ComponentCase = {
  name: 'trainer',
  make: (env, _bus, store = env.store) => createTrainer({ ...runtime(env), store }, configFor(env.config, TRAINER_CONFIG_KEYS)),
  async startBusy(env) {
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let entered = false;
    const db = new Proxy(env.store.db, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop !== 'transaction' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
        return async (...args: unknown[]) => {
          entered = true;
          await gate;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const t = trainerCase.make(env, undefined, { ...env.store, db });
    await t.start();
    const o = outcomeEvent({ executionId: `lifecycle-${Date.now()}`, episodeId: 'ep-lifecycle', playbookId: 'pb-lifecycle' });
    await env.bus.publish(env.topics.outcomes, [{ key: o.service, value: encodeOutcome(o) }]);
    await until('the trainer to start applying the outcome', async () => entered, 20_000);
    return { component: t, release: async () => open() };
  },
};

/** Every component under the lifecycle test. */
export const COMPONENTS: ComponentCase[] = [collectorCase, detectorCase, executorCase, apiCase, trainerCase];
