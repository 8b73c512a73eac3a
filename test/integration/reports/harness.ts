/**
 * The API over one store backend and one bus, for the reports tests: PGlite
 * or a fresh Postgres database, the memory bus or the test Kafka broker.
 */
import type { ApiApp } from '../../../services/api/index.ts';
import { buildApiApp } from '../../../services/api/index.ts';
import type { Bus, ConsumedRecord } from '../../../services/bus/index.ts';
import { createMemoryBus, topicNames } from '../../../services/bus/index.ts';
import { createTelemetry, loadConfig, silentLogger, type Telemetry } from '../../../services/core/index.ts';
import { createStore, type Store } from '../../../services/store/index.ts';
import { connectTestKafkaBus, uniqueName } from '../../helpers/kafka.ts';
import { BACKENDS, type BackendInstance } from '../store/backends.ts';

/** A running API with its store and bus; `close()` removes everything. */
export interface ReportsHarness {
  app: ApiApp;
  store: Store;
  bus: Bus;
  telemetry: Telemetry;
  topics: ReturnType<typeof topicNames>;
  /** Every record on `topic` (from its start: a new group), as it arrives. */
  collect(topic: string): Promise<ConsumedRecord[]>;
  close(): Promise<void>;
}

/** Both stores, each with one of the buses: PGlite with the memory bus, Postgres with Kafka. */
export const SETUPS = [
  { name: 'PGlite + memory bus', backend: BACKENDS.find((b) => b.kind === 'pglite'), bus: 'memory' as const },
  { name: 'Postgres + Kafka', backend: BACKENDS.find((b) => b.kind === 'postgres'), bus: 'kafka' as const },
];

/** Starts the API on `setup` with settings `env` (e.g. `ZEROOPS_API_TOKENS`). */
export async function startHarness(setup: (typeof SETUPS)[number], env: Record<string, string> = {}): Promise<ReportsHarness> {
  const inst: BackendInstance = await (setup.backend as NonNullable<(typeof SETUPS)[number]['backend']>).create();
  const store = await createStore(inst.settings);
  const bus = setup.bus === 'memory' ? createMemoryBus() : await connectTestKafkaBus({ defaultPartitions: 2 });
  const topics = topicNames(setup.bus === 'kafka' ? `${uniqueName('rep')}.` : '');
  await bus.ensureTopics(Object.values(topics).map((name) => ({ name, partitions: 2 })));
  const telemetry = createTelemetry();
  const app = await buildApiApp({ store, bus, config: loadConfig(env), logger: silentLogger(), telemetry, topics });
  const subs: { stop(): Promise<void> }[] = [];
  return {
    app,
    store,
    bus,
    telemetry,
    topics,
    async collect(topic) {
      const got: ConsumedRecord[] = [];
      const sub = await bus.subscribe({ groupId: uniqueName('rep-group'), topics: [topic], eachBatch: async (rs) => void got.push(...rs) });
      subs.push(sub);
      const t0 = Date.now();
      while (!sub.joined() && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
      return got;
    },
    async close() {
      for (const s of subs) await s.stop();
      await app.close();
      await bus.close();
      await store.close();
      await inst.cleanup();
    },
  };
}

/** Polls `check` until it returns true or `ms` pass. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
