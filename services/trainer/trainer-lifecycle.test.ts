import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, createMemoryBus, topicNames } from '../bus/index.ts';
import { loadConfig } from '../core/config.ts';
import { silentLogger } from '../core/logger.ts';
import { createTelemetry } from '../core/telemetry.ts';
import { createStore, type Store } from '../store/index.ts';
import { createTrainer } from './index.ts';

describe('trainer lifecycle', () => {
  let bus: Bus;
  let store: Store;
  beforeAll(async () => {
    bus = createMemoryBus({ partitions: 2 });
    await bus.connect();
    store = await createStore({ databaseUrl: '', dataDir: ':memory:', poolSize: 1, connectTimeoutMs: 5_000, logger: silentLogger() });
  });
  afterAll(async () => {
    await bus.close();
    await store.close();
  });

  it('stop is safe before start and idempotent; readiness follows the group membership; it restarts', async () => {
    const t = createTrainer({ bus, store, logger: silentLogger(), telemetry: createTelemetry(), topics: topicNames('') }, loadConfig({}));
    await t.stop(1_000);
    expect(t.ready?.()).toBe('stopped');
    await t.start();
    expect(t.ready?.()).toBe('ok');
    await t.stop(1_000);
    await t.stop(1_000);
    expect(t.ready?.()).toBe('stopped');
    await t.start();
    expect(t.ready?.()).toBe('ok');
    await t.stop(1_000);
  });
});
