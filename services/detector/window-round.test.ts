import { describe, expect, it } from 'vitest';
import type { ServiceScore } from '../../models/fleet/index.ts';
import { fakeDetectorState, scoredWindow } from '../../test/helpers/detector-state.ts';
import { emitAll, stepsOfRound } from './window-round.ts';

const W = 10_000;
const T0 = Date.UTC(2026, 11, 5, 15);

/** A scored window of `service` ending at `T0 + k * W`. */
function scored(service: string, k: number, over: Partial<ServiceScore>): ServiceScore {
  return scoredWindow({ service, endMs: T0 + k * W, windowMs: W, features: { error_ratio: 0 }, callees: service === 'checkout' ? ['cart'] : [] }, over);
}

/** A window of a failing service: all its server spans fail. */
function failing(service: string, k: number, transition: 'open' | 'ongoing', episodeK: number): ServiceScore {
  return scored(service, k, {
    input: { service, startMs: T0 + (k - 1) * W, endMs: T0 + k * W, features: { error_ratio: 1 }, callees: [] },
    score: 1,
    likelihood: 1,
    evidence: [{ feature: 'error_ratio', observed: 1, expected: 0, deviation: 30 }],
    transition,
    episodeId: `${service}:${T0 + episodeK * W}:1`,
    openedAtMs: T0 + episodeK * W,
    peak: 1,
    severity: 'critical',
    emit: true,
  });
}

describe('window round: a detector that fell behind', () => {
  it('splits a round into window ends, oldest first', () => {
    const steps = stepsOfRound([scored('a', 2, {}), scored('b', 1, {}), scored('a', 1, {}), scored('c', 3, {})]);
    expect(steps.map((step) => step.map((r) => `${r.input.service}@${(r.input.endMs - T0) / W}`))).toEqual([['b@1', 'a@1'], ['a@2'], ['c@3']]);
  });

  it('ranks each window with the evidence of its own time, not with a later window of the same round', async () => {
    const { s, events } = fakeDetectorState(W, T0);
    // One catch-up round: checkout failed in window 1 (cart fine), then checkout was back to normal in window 2
    // while cart (its callee) failed. Checkout's window-1 event must name checkout, not cart.
    await emitAll(s, [
      failing('checkout', 1, 'open', 1),
      scored('cart', 1, {}),
      scored('checkout', 2, { transition: 'closed', episodeId: `checkout:${T0 + W}:1`, openedAtMs: T0 + W, peak: 1, emit: true }),
      failing('cart', 2, 'open', 2),
    ]);
    const first = events.find((e) => e.service === 'checkout' && e.episodeState === 'open');
    expect(first?.rootCauses[0]?.service).toBe('checkout');
    expect(first?.attributes['zeroops.root_cause_role']).toBe('cause');
    // The later window is ranked with the later evidence.
    expect(events.find((e) => e.service === 'cart')?.rootCauses[0]?.service).toBe('cart');
  });

  it('ranks a surged caller first for the datastore its extra requests slowed (request rates against the baseline)', async () => {
    const { s, events } = fakeDetectorState(W, T0);
    const rate = (service: string, observed: number, expected: number, over: Partial<ServiceScore>) =>
      scored(service, 1, {
        ...over,
        input: { service, startMs: T0, endMs: T0 + W, features: { request_rate: observed, error_ratio: 0 }, callees: [] },
        expected: { features: ['request_rate'], values: [expected, expected * 0.7, expected * 1.3], offset: 0, count: 1 },
        callees: service === 'catalog' ? ['products-db'] : service === 'gateway' ? ['catalog'] : [],
      });
    const slow = { feature: 'latency_p95_ms', observed: 400, expected: 20, deviation: 15 };
    await emitAll(s, [
      // gateway calls catalog as usual: the surge was sent to catalog (a rise shared up to the edge would be the
      // users' demand, entering at no service in particular: models/root-cause/demand-entry.ts).
      rate('gateway', 10, 10, {}),
      rate('catalog', 24, 6, {}),
      rate('products-db', 20, 5, {
        score: 0.95,
        evidence: [slow],
        transition: 'open',
        episodeId: `products-db:${T0 + W}:1`,
        openedAtMs: T0 + W,
        peak: 0.95,
        severity: 'critical',
        emit: true,
      }),
    ]);
    const db = events.find((e) => e.service === 'products-db');
    expect(db?.rootCauses[0]?.service).toBe('catalog');
    expect(db?.attributes['zeroops.root_cause_role']).toBe('symptom');
  });

  it("ranks the callee a caller waits for first when the caller's added latency is the callee's (features against the baseline)", async () => {
    const { s, events } = fakeDetectorState(W, T0);
    const bands = (p50: number, p95: number) => ({
      features: ['latency_p50_ms', 'latency_p95_ms'],
      values: [p50, p50 * 0.8, p50 * 1.2, p95, p95 * 0.8, p95 * 1.2],
      offset: 0,
      count: 2,
    });
    const win = (service: string, k: number, features: Record<string, number>, over: Partial<ServiceScore>) =>
      scored(service, k, {
        ...over,
        input: { service, startMs: T0 + (k - 1) * W, endMs: T0 + k * W, features: { error_ratio: 0, ...features }, callees: [] },
        callees: service === 'checkout' ? ['payment'] : [],
      });
    // Window 1: payment (a request every few seconds) answers 400 ms slower, not yet anomalous by its wide band.
    await emitAll(s, [
      win('payment', 1, { request_rate: 0.4, latency_p50_ms: 430, latency_p95_ms: 460 }, { expected: bands(30, 60) }),
      win('checkout', 1, { request_rate: 4, latency_p50_ms: 60, latency_p95_ms: 110 }, { expected: bands(50, 100) }),
    ]);
    // Window 2: checkout's episode opens on its p95 (420 ms slower); payment had no request in this window.
    await emitAll(s, [
      win('payment', 2, { request_rate: 0 }, { expected: bands(30, 60) }),
      win(
        'checkout',
        2,
        { request_rate: 4, latency_p50_ms: 460, latency_p95_ms: 520 },
        {
          expected: bands(50, 100),
          score: 0.95,
          evidence: [{ feature: 'latency_p95_ms', observed: 520, expected: 100, deviation: 12 }],
          transition: 'open',
          episodeId: `checkout:${T0 + 2 * W}:1`,
          openedAtMs: T0 + 2 * W,
          peak: 0.95,
          severity: 'critical',
          emit: true,
        },
      ),
    ]);
    const checkout = events.find((e) => e.service === 'checkout');
    expect(checkout?.rootCauses[0]?.service).toBe('payment');
    expect(checkout?.rootCauses[0]?.reason).toMatch(/checkout answers 420 ms slower than expected \(latency_p95_ms\) and payment downstream 400 ms slower/);
    expect(checkout?.attributes['zeroops.root_cause_role']).toBe('symptom');
  });

  it('ranks a failing caller first for the datastore it stopped calling (request rate far below the baseline)', async () => {
    const { s, events } = fakeDetectorState(W, T0);
    const rate = (service: string, observed: number, expected: number, over: Partial<ServiceScore>) =>
      scored(service, 1, {
        ...over,
        input: { service, startMs: T0, endMs: T0 + W, features: { request_rate: observed, error_ratio: service === 'catalog' ? 0.8 : 0 }, callees: [] },
        expected: { features: ['request_rate'], values: [expected, expected * 0.7, expected * 1.3], offset: 0, count: 1 },
        callees: service === 'catalog' ? ['products-db'] : [],
      });
    await emitAll(s, [
      rate('catalog', 6, 6, {
        score: 1,
        evidence: [{ feature: 'error_ratio', observed: 0.8, expected: 0, deviation: 30 }],
        transition: 'open',
        episodeId: `catalog:${T0 + W}:1`,
        openedAtMs: T0 + W,
        peak: 1,
        severity: 'critical',
        emit: true,
      }),
      rate('products-db', 3.5, 22, {
        score: 0.95,
        evidence: [{ feature: 'latency_p99_ms', observed: 90, expected: 50, deviation: 9 }],
        transition: 'open',
        episodeId: `products-db:${T0 + W}:1`,
        openedAtMs: T0 + W,
        peak: 0.95,
        severity: 'critical',
        emit: true,
      }),
    ]);
    const db = events.find((e) => e.service === 'products-db');
    expect(db?.rootCauses[0]?.service).toBe('catalog');
    expect(db?.attributes['zeroops.root_cause_role']).toBe('symptom');
    expect(events.find((e) => e.service === 'catalog')?.attributes['zeroops.root_cause_role']).toBe('cause');
  });
});
