/**
 * Root cause across detector instances: a datastore slowed by a surge on its
 * caller, where another instance scores the caller. The sink learns from the
 * stored windows that the caller receives more requests than usual, and
 * ranks it first for the datastore's anomaly (on both store backends). A
 * stored window has no demand ratio, though: a rise uniform from the edge
 * (a quieter host than the warm-up's) needs the caller's shared evidence
 * (peer-evidence.ts) to enter nowhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBus } from '../../../services/bus/index.ts';
import { createAnomalySink } from '../../../services/detector/anomaly-sink.ts';
import { createPeerView, peerCallees, receiveEvidence, withPeers } from '../../../services/detector/peer-evidence.ts';
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

  it("finds no entry for a rise uniform from the edge once the caller's owner shared its demand ratio (memory leak on gateway)", async () => {
    const sink = createAnomalySink({ store, bus: createMemoryBus(), anomaliesTopic: 'anomalies' });
    const end = Math.floor(Date.now() / W) * W + 100 * W;
    // Another instance scores frontend (the edge) and stored its window: twice the requests its baseline expects.
    await sink.rollups([
      { service: 'frontend', windowEndMs: end, features: { request_rate: 20, error_ratio: 0 }, score: 0.2, expected: { request_rate: [10, 7, 13] } },
    ]);
    // This instance scores gateway: its heap grows (a leak), and it receives twice its expected requests too.
    const round = new Map([['gateway', { score: 0.95, openedAtMs: end - W, resourceOnly: true, demandUp: true, demandRatio: 2 }]]);
    const callees = (s: string) => (s === 'frontend' ? ['gateway'] : []);
    // From the stored window alone, frontend's rise has no ratio: the walk's highest service is taken as the entry.
    expect((await sink.rootCauses('gateway', round, callees, W))[0]?.service).toBe('frontend');
    // With frontend's evidence shared by its owner, the rise is the same at both: the users' demand, entering nowhere.
    const view = createPeerView();
    const frontend = { score: 0.2, demandUp: true, demandRatio: 2 };
    receiveEvidence(
      view,
      {
        origin: 'other',
        hints: [],
        stepEndUnixMs: end,
        evidence: [{ service: 'frontend', windowEndUnixMs: end, callees: ['gateway'], evidenceJson: JSON.stringify(frontend) }],
      },
      Date.now(),
    );
    const fleet = withPeers(view, round, end, 3 * W);
    const both = (s: string) => [...callees(s), ...peerCallees(view, s)];
    expect((await sink.rootCauses('gateway', fleet, both, W))[0]?.service).toBe('gateway');
  });
});
