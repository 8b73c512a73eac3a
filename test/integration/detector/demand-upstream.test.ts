/**
 * Root cause across detector instances: a datastore slowed by a surge on its
 * caller, where another instance scores the caller. The sink learns from the
 * stored windows that the caller receives more requests than usual, and
 * ranks it first for the datastore's anomaly (on both store backends).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBus } from '../../../services/bus/index.ts';
import { createAnomalySink } from '../../../services/detector/anomaly-sink.ts';
import { createStore, type Store } from '../../../services/store/index.ts';
import { BACKENDS, type BackendInstance } from '../store/backends.ts';

const W = 10_000;

describe.each(BACKENDS)('a surge seen by another detector instance, on $name', (backend) => {
  let inst: BackendInstance;
  let store: Store;

  beforeAll(async () => {
    inst = await backend.create();
    store = await createStore(inst.settings);
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await inst?.cleanup();
  });

  it("ranks the surged caller first for its datastore's slowness, from the caller's stored window", async () => {
    const sink = createAnomalySink({ store, bus: createMemoryBus(), anomaliesTopic: 'anomalies' });
    const end = Math.floor(Date.now() / W) * W;
    // Another instance stored catalog's latest window: four times the requests its baseline expects.
    await sink.rollups([
      { service: 'catalog', windowEndMs: end, features: { request_rate: 24, error_ratio: 0 }, score: 0.3, expected: { request_rate: [6, 4, 8] } },
      { service: 'cart', windowEndMs: end, features: { request_rate: 6, error_ratio: 0 }, score: 0.1, expected: { request_rate: [6, 4, 8] } },
    ]);
    // This instance scores products-db only: slower, and more requests than usual.
    const round = new Map([['products-db', { score: 0.95, openedAtMs: end - W, slowOnly: true, demandUp: true }]]);
    const callees = (s: string) => (s === 'catalog' ? ['products-db'] : s === 'cart' ? ['sessions-db'] : []);
    const causes = await sink.rootCauses('products-db', round, callees, W);
    expect(causes[0]?.service).toBe('catalog');
    expect(causes[0]?.reason).toMatch(/more requests than usual/);
    // Without extra demand upstream, the datastore stays its own cause.
    const alone = await sink.rootCauses(
      'sessions-db',
      new Map([['sessions-db', { score: 0.95, openedAtMs: end - W, slowOnly: true, demandUp: true }]]),
      callees,
      W,
    );
    expect(alone[0]?.service).toBe('sessions-db');
  });
});
