/**
 * The whole demo system in one call: the supervised services, the fault book
 * and its ground-truth log, the control plane and (optionally) the load
 * generator; the control plane's address goes into a state file that
 * `zeroops demo` reads.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_CONTROL_PORT, DEFAULT_SERVICE_BASE_PORT, demoDir, stateFile } from './addresses.ts';
import { createControlPlane } from './control-plane.ts';
import { FaultBook, groundTruthLog } from './fault-book.ts';
import { capacityFor, DEFAULT_RPS, type LoadGenerator, type LoadOptions, type RecurringSurge, startLoad, type WeekRhythm } from './load-generator.ts';
import { Supervisor } from './supervisor.ts';
import { SHOP, subset } from './topology.ts';

/** Settings of a demo run. */
export interface DemoOptions {
  /** Services to run (default: all of the shop). */
  services?: string[];
  /** zeroops data directory (state file and ground-truth log go below it). */
  dataDir: string;
  /** OTLP/HTTP base URL of zeroops ('' exports nothing). */
  otlpEndpoint: string;
  controlPort?: number;
  serviceBasePort?: number;
  /** Metric export interval of the services (default 10 s). */
  metricIntervalMs?: number;
  /** Frontend requests per second (0: no load generator). */
  rps?: number;
  /** Minutes in a simulated day (default 60). */
  dayMinutes?: number;
  /** The compressed week around the daily rhythm (default none: every day the same); see {@link LoadOptions.week}. */
  week?: WeekRhythm;
  /** A surge at a fixed time of every period (e.g. of every compressed day), for predictive scaling. */
  recurringSurge?: RecurringSurge;
  /** Per-replica capacity (requests per second) of some services, instead of 3x their share of the mean load. */
  capacityRps?: Record<string, number>;
  /** The load generator's clock (default `Date.now`): see {@link LoadOptions.clock}. */
  clock?: LoadOptions['clock'];
  /** Receives every request of the load generator when it ends (the client's view of latency). */
  onRequest?: LoadOptions['onResult'];
  /** The load generator's uniform draws (default `Math.random`): see {@link LoadOptions.random}. */
  random?: LoadOptions['random'];
}

/** A running demo. */
export interface DemoSystem {
  /** Base URL of the control plane. */
  controlUrl: string;
  supervisor: Supervisor;
  book: FaultBook;
  load?: LoadGenerator;
  /** Path of the ground-truth log (JSON lines). */
  groundTruthPath: string;
  stop(): Promise<void>;
}

/** Starts the demo system and writes the state file. */
export async function startDemo(opts: DemoOptions): Promise<DemoSystem> {
  const dir = demoDir(opts.dataDir);
  mkdirSync(dir, { recursive: true });
  const groundTruthPath = join(dir, 'ground-truth.jsonl');
  const log = groundTruthLog(groundTruthPath);
  const services = subset(opts.services ?? []);
  const supervisor = await Supervisor.start({
    services,
    basePort: opts.serviceBasePort ?? DEFAULT_SERVICE_BASE_PORT,
    otlpEndpoint: opts.otlpEndpoint,
    metricIntervalMs: opts.metricIntervalMs ?? 10_000,
    capacityRps: { ...capacityFor(SHOP, opts.rps || DEFAULT_RPS), ...opts.capacityRps },
    onCrash: (service, replica, code) => log({ event: 'replica.crashed', service, replica, code }),
    onRespawnFailure: (service, err) => log({ event: 'replica.respawn_failed', service, error: err.message }),
  });
  const book = new FaultBook(supervisor, log);
  const urls = Object.fromEntries(supervisor.names().map((n) => [n, supervisor.url(n)]));
  const load =
    opts.rps && opts.rps > 0
      ? startLoad({
          services,
          urls,
          rps: opts.rps,
          dayMinutes: opts.dayMinutes ?? 60,
          week: opts.week,
          surges: () => book.surges(),
          recurringSurge: opts.recurringSurge,
          onResult: opts.onRequest,
          clock: opts.clock,
          random: opts.random,
        })
      : undefined;
  const app = createControlPlane({ supervisor, book, log, load });
  try {
    await app.listen({ host: '127.0.0.1', port: opts.controlPort ?? DEFAULT_CONTROL_PORT });
  } catch (err) {
    load?.stop();
    await supervisor.stop();
    throw err;
  }
  const controlUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  writeFileSync(stateFile(opts.dataDir), JSON.stringify({ url: controlUrl, pid: process.pid, startedAt: new Date().toISOString(), services: urls }, null, 2));
  log({ event: 'demo.started', controlUrl, services: urls });
  let stopping: Promise<void> | undefined;
  return {
    controlUrl,
    supervisor,
    book,
    load,
    groundTruthPath,
    stop() {
      stopping ??= (async () => {
        load?.stop();
        book.close();
        await app.close();
        await supervisor.stop();
        rmSync(stateFile(opts.dataDir), { force: true });
        log({ event: 'demo.stopped' });
      })();
      return stopping;
    },
  };
}
