/**
 * zeroops as bench-zeroops runs it: embedded (one in-process runtime, memory
 * bus, PGlite) or production (Kafka + Postgres, one collector, two detector
 * and two executor processes, one API), with the settings of the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICE_NAMES, startRuntime } from '../../../services/cli/runtime.ts';
import { loadConfig } from '../../../services/core/config.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { testKafkaBrokers } from '../../helpers/kafka.ts';
import { createTestDatabase } from '../../helpers/postgres.ts';
import { freePort, spawnZeroops, type ZeroopsProcess } from '../../helpers/zeroops-process.ts';

/** How zeroops runs in the bench. */
export type BenchMode = 'embedded' | 'production';

/** A running zeroops under test. */
export interface ZeroopsUnderTest {
  mode: BenchMode;
  /** REST API base URL. */
  api: string;
  /** OTLP/HTTP base URL the demo services export to. */
  otlp: string;
  /** Data directory (the demo's state file and ground-truth log go below it). */
  dataDir: string;
  /** Processes per command (production mode). */
  processes: Record<string, number>;
  stop(): Promise<void>;
}

/** Settings of the run that zeroops sees (ZEROOPS_* variables). */
export function benchEnv(windowSeconds: number, dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ZEROOPS_DATA_DIR: dataDir,
    ZEROOPS_WINDOW_SECONDS: String(windowSeconds),
    // Lateness scales with the window (default 5 s for 10 s windows), at least 1 s for the exporters' 1 s batches.
    ZEROOPS_LATENESS_SECONDS: String(Math.max(1, windowSeconds / 2)),
    ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1',
    ZEROOPS_DETECTOR_NEURAL: 'false',
    ...extra,
  };
}

/** Where zeroops will run, known before it starts (so the demo shop can start beside it and export to it). */
export interface ZeroopsPlace {
  dataDir: string;
  /** Port of the OTLP/HTTP receiver (embedded: the runtime's; production: the collector's). */
  otlpPort: number;
  /** OTLP/HTTP base URL the demo services export to. */
  otlp: string;
}

/** Picks the data directory and the OTLP/HTTP port of a zeroops about to start. */
export async function placeZeroops(): Promise<ZeroopsPlace> {
  const otlpPort = await freePort();
  return { dataDir: mkdtempSync(join(tmpdir(), 'zeroops-bench-')), otlpPort, otlp: `http://127.0.0.1:${otlpPort}` };
}

/** Starts zeroops in `mode` at `place` (default: a new one); `extra` overrides settings (e.g. ZEROOPS_DETECTOR_NEURAL). */
export async function startZeroops(
  mode: BenchMode,
  windowSeconds: number,
  extra: Record<string, string> = {},
  place?: ZeroopsPlace,
): Promise<ZeroopsUnderTest> {
  const at = place ?? (await placeZeroops());
  return mode === 'embedded' ? embedded(at, windowSeconds, extra) : production(at, windowSeconds, extra);
}

async function embedded(place: ZeroopsPlace, windowSeconds: number, extra: Record<string, string>): Promise<ZeroopsUnderTest> {
  const dataDir = place.dataDir;
  const env = {
    ...benchEnv(windowSeconds, dataDir, extra),
    ZEROOPS_API_PORT: '0',
    ZEROOPS_OTLP_HTTP_PORT: String(place.otlpPort),
    ZEROOPS_OTLP_GRPC_PORT: '0',
  };
  const config = loadConfig(env);
  const rt = await startRuntime(config, silentLogger(), SERVICE_NAMES);
  return {
    mode: 'embedded',
    api: rt.addresses.api as string,
    otlp: rt.addresses.otlpHttp as string,
    dataDir,
    processes: { embedded: 1 },
    async stop() {
      await rt.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One process per entry: collector, two detectors, two executors, API (the playbooks' actions must not run twice). */
const FLEET = ['collector', 'detector', 'detector', 'executor', 'executor', 'api'] as const;

async function production(place: ZeroopsPlace, windowSeconds: number, extra: Record<string, string>): Promise<ZeroopsUnderTest> {
  const dataDir = place.dataDir;
  const db = await createTestDatabase();
  const prefix = `bench-zeroops-${Date.now()}.`;
  const base = {
    ...benchEnv(windowSeconds, dataDir, extra),
    KAFKA_BROKERS: testKafkaBrokers().join(','),
    DATABASE_URL: db.url,
    ZEROOPS_TOPIC_PREFIX: prefix,
    ZEROOPS_TOPIC_PARTITIONS: '4',
    ZEROOPS_DATABASE_POOL: '4',
  };
  const procs: ZeroopsProcess[] = [];
  let api = '';
  let otlp = '';
  const stopAll = async () => {
    await Promise.all(
      procs.map(async (p) => {
        p.child.kill('SIGTERM');
        const t = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
        await p.exited;
        clearTimeout(t);
      }),
    );
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const start = async (command: (typeof FLEET)[number]) => {
    const ports = {
      ZEROOPS_OTLP_HTTP_PORT: String(command === 'collector' ? place.otlpPort : await freePort()),
      ZEROOPS_OTLP_GRPC_PORT: String(await freePort()),
      ZEROOPS_API_PORT: String(await freePort()),
    };
    const p = spawnZeroops([command], { ...base, ...ports });
    procs.push(p);
    await p.waitFor(/zeroops .* running/, 120_000);
    if (command === 'collector') otlp = `http://127.0.0.1:${ports.ZEROOPS_OTLP_HTTP_PORT}`;
    if (command === 'api') api = `http://127.0.0.1:${ports.ZEROOPS_API_PORT}`;
  };
  try {
    // The first process creates the topics and migrates the database; the others then start side by side
    // (one after the other took 42 s at load 15).
    await start(FLEET[0]);
    // Settled, not all: on a failure every process must have been spawned before they are all stopped.
    const failed = (await Promise.allSettled(FLEET.slice(1).map(start))).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (err) {
    await stopAll();
    throw err;
  }
  const processes: Record<string, number> = {};
  for (const c of FLEET) processes[c] = (processes[c] ?? 0) + 1;
  return { mode: 'production', api, otlp, dataDir, processes, stop: stopAll };
}
