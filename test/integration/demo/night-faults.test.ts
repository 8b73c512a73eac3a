/**
 * The short bench's faults at the low point of the demo's compressed day
 * (dailyRate: 0.4 of the mean rate at the top of each hour), where two runs
 * missed a fault entirely: the bad deploy on cart (about 1.2 requests/s, 2
 * or 3 requests a 2-second window) raised no event in 180 s, and the surge
 * on sessions-db raised none either.
 *
 * The bad deploy is replayed through the fleet models (ServiceModels
 * without the neural model, 2 s windows) and the window round with its
 * root-cause ranking: its failing share, pooled over the windows of its run
 * (models/fleet/share-run.ts), must open an episode that `demo-errors` acts
 * on. The surge must overload one replica whatever the hour.
 */
import { describe, expect, it } from 'vitest';
import { capacityFor, DEFAULT_RPS, dailyRate, surgeExtraRps, visitsPerRequest } from '../../../infra/demo/load-generator.ts';
import { SHOP, subset } from '../../../infra/demo/topology.ts';
import { ServiceModels } from '../../../models/fleet/index.ts';
import { createRng, poissonSample } from '../../../models/stats/index.ts';
import type { AnomalyEvent } from '../../../services/bus/messages.ts';
import { emitAll } from '../../../services/detector/window-round.ts';
import { matchingDemoPlaybooks as matching } from '../../helpers/demo-playbooks.ts';
import { fakeDetectorState } from '../../helpers/detector-state.ts';

const W = 2_000;
/** The top of an hour: the trough of the demo's 60-minute day. */
const T0 = Date.UTC(2026, 11, 6, 4, 0);
/** The window the bad deploy starts in (the bench's warm-up and quiet period: 76 s of 2 s windows). */
const AT = 40;

/** cart's events over `windows` 2 s windows at the trough, its requests failing 0.5 % of the time and 60 % from {@link AT} on. */
async function cartEvents(windows: number, seed: number): Promise<AnomalyEvent[]> {
  const models = new ServiceModels({ episode: { openLevel: 0.7, closeLevel: 0.5, minOpenMs: 0, minCloseMs: W, flapWindowMs: 60 * W, flapOpenings: 3 } });
  const rng = createRng(seed);
  const poisson = (mean: number) => poissonSample(rng, mean);
  // cart's share of the frontend's requests in the six-service slice: GET /cart.
  const rps = dailyRate(DEFAULT_RPS, 60, T0) * (visitsPerRequest(subset(['frontend', 'gateway', 'cart', 'sessions-db'])).cart as number);
  const { s, events } = fakeDetectorState(W, T0 + (AT - 10) * W);
  for (let k = 0; k < windows; k++) {
    const requests = poisson((rps * W) / 1000);
    let failed = 0;
    for (let j = 0; j < requests; j++) if (rng.next() < (k >= AT ? 0.6 : 0.005)) failed++;
    const features: Record<string, number> = { request_rate: requests / (W / 1000) };
    if (requests > 0) {
      const p50 = 12 + 4 * rng.next();
      Object.assign(features, { error_ratio: failed / requests, latency_p50_ms: p50, latency_p95_ms: 1.5 * p50, latency_p99_ms: 1.6 * p50 });
    }
    const results = models.scoreBatch([{ service: 'cart', startMs: T0 + (k - 1) * W, endMs: T0 + k * W, features, callees: ['sessions-db'] }]);
    if (k >= AT - 5) await emitAll(s, results);
  }
  return events;
}

describe('the short bench faults at the trough of the demo day', () => {
  it('cart at 1.2 requests/s: a bad deploy failing 60 % gets demo-errors within 10 s, cart ranked its cause', async () => {
    expect(dailyRate(DEFAULT_RPS, 60, T0)).toBeCloseTo(0.4 * DEFAULT_RPS, 6);
    for (const seed of [2, 7, 11]) {
      const events = await cartEvents(AT + 10, seed);
      const acted = events.find((e) => matching(e).length > 0);
      expect(acted, `seed ${seed}: ${events.map((e) => `${e.episodeState}:${e.kind}/${e.severity}`).join(' ')}`).toBeDefined();
      expect(acted && matching(acted)).toEqual(['demo-errors']);
      expect(acted?.rootCauses[0]?.service).toBe('cart');
      expect(acted?.windowEndUnixMs).toBeLessThanOrEqual(T0 + (AT + 5) * W);
    }
  });

  it('a surge of 4 on sessions-db overloads one replica at the trough as at the peak', () => {
    const capacity = capacityFor(SHOP, DEFAULT_RPS)['sessions-db'] as number;
    const share = visitsPerRequest(SHOP)['sessions-db'] as number;
    // What sessions-db receives in the slice (through cart only), plus the surge's extra requests.
    const slice = visitsPerRequest(subset(['frontend', 'gateway', 'catalog', 'products-db', 'cart', 'sessions-db']))['sessions-db'] as number;
    for (const minute of [0, 10, 30, 50]) {
      const rate = dailyRate(DEFAULT_RPS, 60, T0 + minute * 60_000);
      expect(rate * slice + surgeExtraRps(4, share, rate, DEFAULT_RPS), `minute ${minute}`).toBeGreaterThan(1.2 * capacity);
    }
  });
});
