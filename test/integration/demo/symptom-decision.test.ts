/**
 * Which service the demo playbooks act on, from the detector's own events:
 * the window round ranks root causes and sets `zeroops.root_cause_role`,
 * and the demo playbooks match only `cause`. A caller that is slower only
 * because it waits for a slower callee, and a datastore that receives fewer
 * requests because its failing caller stopped calling it, get no playbook;
 * the service where the fault is does.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceScore } from '../../../models/fleet/index.ts';
import { emitAll } from '../../../services/detector/window-round.ts';
import { matchingDemoPlaybooks as matching } from '../../helpers/demo-playbooks.ts';
import { fakeDetectorState, scoredWindow } from '../../helpers/detector-state.ts';

const W = 10_000;
const T0 = Date.UTC(2026, 11, 5, 21);
const CALLEES: Record<string, string[]> = { checkout: ['payment'], catalog: ['products-db'] };

/** A window of `service` ending at `T0 + k * W` with its features and baseline bands (expected, lower, upper). */
function win(service: string, k: number, features: Record<string, number>, bands: Record<string, number>, over: Partial<ServiceScore> = {}): ServiceScore {
  return scoredWindow({ service, endMs: T0 + k * W, windowMs: W, features, bands, callees: CALLEES[service] ?? [] }, over);
}

/** An anomalous window that opens an episode with `evidence`. */
const opens = (service: string, k: number, evidence: ServiceScore['evidence']): Partial<ServiceScore> => ({
  score: 0.97,
  likelihood: 0.97,
  evidence,
  transition: 'open',
  episodeId: `${service}:${T0 + k * W}:1`,
  openedAtMs: T0 + k * W,
  peak: 0.97,
  deviation: Math.max(...evidence.map((e) => e.deviation)),
  severity: 'critical',
  emit: true,
});

describe('the demo playbooks act where the fault is, not on the services that suffer from it', () => {
  it('runs nothing for a caller that only waits for its slower callee; the callee gets demo-latency', async () => {
    const { s, events } = fakeDetectorState(W, T0);
    const lat = { latency_p50_ms: 50, latency_p95_ms: 100 };
    const slowPay = { latency_p50_ms: 30, latency_p95_ms: 60 };
    // Window 1: checkout's p95 is 420 ms up, payment's 400 ms: checkout opens first (its narrower band crossed first).
    await emitAll(s, [
      win('payment', 1, { request_rate: 2.5, error_ratio: 0, latency_p50_ms: 420, latency_p95_ms: 460 }, { request_rate: 2.5, ...slowPay }),
      win(
        'checkout',
        1,
        { request_rate: 2.5, error_ratio: 0, latency_p50_ms: 460, latency_p95_ms: 520 },
        { request_rate: 2.5, ...lat },
        opens('checkout', 1, [{ feature: 'latency_p95_ms', observed: 520, expected: 100, deviation: 12 }]),
      ),
    ]);
    // Window 2: payment opens too.
    await emitAll(s, [
      win(
        'payment',
        2,
        { request_rate: 2.5, error_ratio: 0, latency_p50_ms: 430, latency_p95_ms: 470 },
        { request_rate: 2.5, ...slowPay },
        opens('payment', 2, [{ feature: 'latency_p50_ms', observed: 430, expected: 30, deviation: 15 }]),
      ),
    ]);
    const checkout = events.find((e) => e.service === 'checkout');
    const payment = events.find((e) => e.service === 'payment');
    expect(checkout?.kind).toBe('latency');
    expect(matching(checkout)).toEqual([]);
    expect(matching(payment)).toContain('demo-latency');
  });

  it('runs nothing for a datastore starved by its failing caller; the caller gets demo-errors', async () => {
    const { s, events } = fakeDetectorState(W, T0);
    await emitAll(s, [
      win(
        'catalog',
        1,
        { request_rate: 18, error_ratio: 0.8 },
        { request_rate: 18, error_ratio: 0.01 },
        opens('catalog', 1, [{ feature: 'error_ratio', observed: 0.8, expected: 0.01, deviation: 30 }]),
      ),
      win(
        'products-db',
        1,
        { request_rate: 3.5, error_ratio: 0 },
        { request_rate: 22 },
        opens('products-db', 1, [{ feature: 'request_rate', observed: 3.5, expected: 22, deviation: -9 }]),
      ),
    ]);
    const db = events.find((e) => e.service === 'products-db');
    expect(db?.kind).toBe('traffic');
    expect(matching(db)).toEqual([]);
    expect(matching(events.find((e) => e.service === 'catalog'))).toContain('demo-errors');
  });
});
