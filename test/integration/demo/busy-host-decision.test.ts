/**
 * What the demo playbooks do when one service slows alone, from windows
 * scored by the fleet models (ServiceModels without the neural model) and
 * emitted by the window round with its root-cause ranking: on a busy host a
 * service slows for a window or two with nothing downstream slower (the
 * bench saw catalog p95 +71 ms, sessions-db p95 +67 ms, cart p50 +95 ms), and
 * `demo-latency` restarted or scaled it. Such a blip is detected (an `info`
 * event) but starts no playbook; a delay that lasts gets `demo-latency`
 * once it has lasted 30 s (models/fleet/sustained-latency.ts).
 *
 * And a warm-up on a busy host (its load generator sent half its rate) makes
 * the normal demand of a quieter host later look like 1.6 times "more than
 * usual" in every service: that uniform rise enters at no service in
 * particular (models/root-cause/demand-entry.ts), so a memory leak on
 * gateway is gateway's to fix, not frontend's "extra demand".
 */
import { describe, expect, it } from 'vitest';
import { type FeatureVector, ServiceModels, type ServiceScore, type WindowInput } from '../../../models/fleet/index.ts';
import { createRng } from '../../../models/stats/index.ts';
import type { AnomalyEvent } from '../../../services/bus/messages.ts';
import { emitAll } from '../../../services/detector/window-round.ts';
import { matchingDemoPlaybooks as matching } from '../../helpers/demo-playbooks.ts';
import { fakeDetectorState, scoredWindow } from '../../helpers/detector-state.ts';

const W = 10_000;
const T0 = Date.UTC(2026, 11, 7);
/** The window from which the fault-free history ends (40 minutes of 10 s windows of history before it). */
const AT = 240;

/**
 * Scores catalog (18 requests/s, p95 90 ms) and products-db under it (22 queries/s, p95 30 ms) window by window,
 * `slow(k)` ms added to catalog's quantiles in window k, and emits the windows from a little before {@link AT} on
 * through the window round. Returns catalog's events.
 */
async function catalogEvents(slow: (k: number) => number, windows: number): Promise<AnomalyEvent[]> {
  const models = new ServiceModels({ episode: {} });
  const rng = createRng(17);
  const g = (): number => Math.sqrt(-2 * Math.log(Math.max(1e-12, rng.next()))) * Math.cos(2 * Math.PI * rng.next());
  const { s, events } = fakeDetectorState(W, T0 + (AT - 10) * W);
  const win = (service: string, k: number, features: FeatureVector, callees: string[]): WindowInput => ({
    service,
    startMs: T0 + (k - 1) * W,
    endMs: T0 + k * W,
    features,
    callees,
  });
  for (let k = 0; k < windows; k++) {
    const results = models.scoreBatch([
      win('catalog', k, { request_rate: 18 + 0.5 * g(), error_ratio: 0, latency_p50_ms: 40 + 2 * g() + slow(k), latency_p95_ms: 90 + 4 * g() + slow(k) }, [
        'products-db',
      ]),
      win('products-db', k, { request_rate: 22 + 0.5 * g(), error_ratio: 0, latency_p50_ms: 12 + g(), latency_p95_ms: 30 + 2 * g() }, []),
    ]);
    if (k >= AT - 5) await emitAll(s, results);
  }
  return events.filter((e) => e.service === 'catalog');
}

describe('the demo playbooks and a service that slows alone', () => {
  it('run nothing for catalog slowing alone for two windows (p95 +150 ms, nothing downstream slower); it is still detected', async () => {
    const events = await catalogEvents((k) => (k === AT || k === AT + 1 ? 150 : 0), AT + 20);
    const opened = events.find((e) => e.episodeState === 'open');
    expect(opened?.windowEndUnixMs).toBe(T0 + AT * W);
    expect(opened?.kind).toBe('latency');
    // Ranked its own cause (nothing downstream explains it), and yet no playbook: it did not last.
    expect(opened?.rootCauses[0]?.service).toBe('catalog');
    expect(events.every((e) => e.severity === 'info')).toBe(true);
    expect(events.flatMap(matching)).toEqual([]);
  });

  it('run demo-latency on catalog once an injected delay (+400 ms) has lasted 30 s', async () => {
    const events = await catalogEvents((k) => (k >= AT ? 400 : 0), AT + 10);
    expect(events[0]?.windowEndUnixMs).toBe(T0 + AT * W);
    const acted = events.find((e) => matching(e).length > 0);
    expect(acted && matching(acted)).toEqual(['demo-latency']);
    // The third slow window: 30 s after the delay began.
    expect(acted?.windowEndUnixMs).toBe(T0 + (AT + 2) * W);
  });
});

/** A scored window of `service` ending at `T0 + k * W` with its features, baseline bands (expected; lower and upper at 0.7 and 1.3 of it) and the rest. */
function scored(service: string, k: number, features: Record<string, number>, bands: Record<string, number>, over: Partial<ServiceScore>): ServiceScore {
  return scoredWindow({ service, endMs: T0 + k * W, windowMs: W, features, bands }, over);
}

describe('the demo playbooks after a warm-up under load', () => {
  it('run demo-errors on gateway for its failing requests while frontend and gateway receive 1.6x the demand their baselines learned', async () => {
    const k = AT;
    const { s, events } = fakeDetectorState(W, T0 + (k - 10) * W);
    const failing = (service: string, ratio: number): Partial<ServiceScore> => ({
      score: 0.98,
      likelihood: 0.98,
      evidence: [{ feature: 'error_ratio', observed: ratio, expected: 0.01, deviation: 20 }],
      transition: 'open',
      episodeId: `${service}:${T0 + k * W}:1`,
      openedAtMs: T0 + k * W,
      peak: 0.98,
      deviation: 20,
      severity: 'critical',
      emit: true,
    });
    await emitAll(s, [
      // Both receive 1.6x what their baselines expect (learned while the load generator sent half its rate).
      scored(
        'frontend',
        k,
        { request_rate: 19.2, error_ratio: 0.3 },
        { request_rate: 12, error_ratio: 0.01 },
        { ...failing('frontend', 0.3), callees: ['gateway'] },
      ),
      scored(
        'gateway',
        k,
        { request_rate: 19.2, error_ratio: 0.4 },
        { request_rate: 12, error_ratio: 0.01 },
        { ...failing('gateway', 0.4), callees: ['catalog'] },
      ),
      scored('catalog', k, { request_rate: 14, error_ratio: 0 }, { request_rate: 12, error_ratio: 0.01 }, { callees: ['products-db'] }),
    ]);
    const gateway = events.find((e) => e.service === 'gateway');
    expect(gateway?.rootCauses[0]?.service).toBe('gateway');
    expect(gateway && matching(gateway)).toEqual(['demo-errors']);
    // frontend's failing requests are gateway's: no playbook on frontend.
    const frontend = events.find((e) => e.service === 'frontend');
    expect(frontend?.rootCauses[0]?.service).toBe('gateway');
    expect(frontend && matching(frontend)).toEqual([]);
  });
});
