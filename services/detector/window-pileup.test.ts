import { describe, expect, it } from 'vitest';
import type { ServiceScore } from '../../models/fleet/index.ts';
import { fakeDetectorState, scoredWindow } from '../../test/helpers/detector-state.ts';
import { emitAll } from './window-round.ts';

const W = 2_000;
const T0 = Date.UTC(2026, 11, 6, 1);
const PENDING = 'metric:db.client.connection.pending_requests';
const graph: Record<string, string[]> = { frontend: ['gateway'], gateway: ['catalog'], catalog: ['products-db'] };

/** A window of `service` ending at `T0 + k * W`; `pendingBand` gives its pool a baseline of waiting requests. */
function win(service: string, k: number, features: Record<string, number>, over: Partial<ServiceScore> = {}, pendingBand?: number): ServiceScore {
  const bands = pendingBand === undefined ? undefined : { [PENDING]: pendingBand };
  return scoredWindow({ service, endMs: T0 + k * W, windowMs: W, features, callees: graph[service] ?? [], bands }, over);
}

/** frontend's first warning of a hang: only its active handles deviate (its requests have not ended yet). */
const frontendWarns = (k: number) =>
  win(
    'frontend',
    k,
    { request_rate: 20, error_ratio: 0, 'metric:v8js.resource.active': 400, [PENDING]: 0 },
    {
      score: 0.97,
      evidence: [{ feature: 'metric:v8js.resource.active', observed: 400, expected: 60, deviation: 23 }],
      transition: 'open',
      episodeId: `frontend:${T0 + (k - 1) * W}:1`,
      openedAtMs: T0 + (k - 1) * W,
      peak: 0.97,
      severity: 'warning',
      emit: true,
    },
  );

/** One round at window `k`: the three services below frontend with their pools' waiting requests. */
async function round(s: Parameters<typeof emitAll>[0], k: number, pending: Record<string, number>, band?: number): Promise<void> {
  await emitAll(s, [
    frontendWarns(k),
    win('gateway', k, { request_rate: 20, error_ratio: 0, [PENDING]: pending.gateway ?? 0 }, {}, band),
    win('catalog', k, { request_rate: 12, error_ratio: 0, [PENDING]: pending.catalog ?? 0 }, {}, band),
    win('products-db', k, { request_rate: 2, error_ratio: 0, [PENDING]: pending['products-db'] ?? 0 }, {}, band),
  ]);
}

describe('window round: requests that pile up on an exhausted pool', () => {
  it("ranks the datastore whose pool is exhausted first on frontend's runtime-metrics-only first warning", async () => {
    const { s, events } = fakeDetectorState(W, T0);
    await round(s, 10, { catalog: 9, 'products-db': 44 });
    const first = events.find((e) => e.service === 'frontend');
    expect(first?.rootCauses[0]?.service).toBe('products-db');
    expect(first?.rootCauses[0]?.reason).toMatch(/requests wait for a connection of products-db's pool \(44 on average\)/);
    expect(first?.attributes['zeroops.root_cause_role']).toBe('symptom');
  });

  it('ranks the middle service when its pool is the deepest exhausted one', async () => {
    const { s, events } = fakeDetectorState(W, T0);
    await round(s, 10, { gateway: 3, catalog: 16 });
    expect(events.find((e) => e.service === 'frontend')?.rootCauses[0]?.service).toBe('catalog');
  });

  it('takes waiting requests within a pool’s usual band for no pile-up', async () => {
    const { s, events } = fakeDetectorState(W, T0);
    // products-db usually has about 40 requests waiting (band 28-52): 44 is its normal.
    await round(s, 10, { 'products-db': 44 }, 40);
    expect(events.find((e) => e.service === 'frontend')?.rootCauses[0]?.service).not.toBe('products-db');
  });
});
