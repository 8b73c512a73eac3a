import { describe, expect, it } from 'vitest';
import { createRng, poissonSample } from '../stats/index.ts';
import type { ServiceScore } from './outputs.ts';
import { ServiceModels } from './service-models.ts';
import { countedShareDeviation } from './severity.ts';
import { advanceShareRun, POOL_REQUESTS, pooledShareDeviation, type ShareRun, shareRunZ } from './share-run.ts';

describe('pooledShareDeviation', () => {
  it('is the window alone without a run, or for a window of a pool of requests', () => {
    expect(pooledShareDeviation(undefined, 2 / 3, 0.01, 0.02, 3)).toBe(countedShareDeviation(2 / 3, 0.01, 0.02, 3));
    const run: ShareRun = { windows: 3, counts: [2, 2, 1, 2, 2, 3], tally: [5, 0.14, 0.14] };
    expect(pooledShareDeviation(run, 0.6, 0.01, 0.02, POOL_REQUESTS)).toBe(countedShareDeviation(0.6, 0.01, 0.02, POOL_REQUESTS));
    // Without a count, the spread deviation.
    expect(pooledShareDeviation(run, 0.5, 0.01, 0.02, Number.NaN)).toBeCloseTo(24.5, 6);
  });

  it('adds up a run of a few requests a window: 60 % failing reads more the more windows show it', () => {
    const one = pooledShareDeviation(undefined, 1 / 2, 0.01, 0.02, 2);
    const run: ShareRun = { windows: 2, counts: [2, 3, 1, 2], tally: [3, 0.1, 0.1] };
    const pooled = pooledShareDeviation(run, 1 / 2, 0.01, 0.02, 2);
    // 1 of 2 alone is noise (about 2 deviations); with the 3 of 5 before it, 4 of 7: far beyond it.
    expect(one).toBeLessThan(2.5);
    expect(pooled).toBeGreaterThan(8);
    // A window without failures inside the run: the pool's 3 of 7 still stands far above 1 %.
    expect(pooledShareDeviation(run, 0, 0.01, 0.02, 2)).toBeGreaterThan(5);
  });

  it('reaches back only as far as a pool of requests: a long fault does not grow without bound', () => {
    const long: ShareRun = { windows: 40, counts: Array.from({ length: 18 }, (_, j) => (j % 2 === 0 ? 3 : 5)), tally: [120, 4, 4] };
    const short: ShareRun = { windows: 4, counts: [3, 5, 3, 5, 3, 5, 3, 5], tally: [12, 0.4, 0.4] };
    expect(pooledShareDeviation(long, 0.6, 0.01, 0.02, 5)).toBe(pooledShareDeviation(short, 0.6, 0.01, 0.02, 5));
  });
});

describe('advanceShareRun', () => {
  it('starts on a share above the expectation, goes on while the pool stays above it, and ends once it does not', () => {
    expect(advanceShareRun(undefined, 0, 0.01, 3)).toBeUndefined();
    const a = advanceShareRun(undefined, 0.5, 0.01, 2) as ShareRun;
    expect(a).toMatchObject({ windows: 1, counts: [1, 2] });
    // No failure of 3: the pool (1 of 5) is still above 1 %.
    const b = advanceShareRun(a, 0, 0.01, 3) as ShareRun;
    expect(b).toMatchObject({ windows: 2, counts: [1, 2, 0, 3] });
    // A window without requests tells nothing.
    expect(advanceShareRun(b, undefined, 0.01, 0)).toBe(b);
    // Once the failure is a pool's worth of requests behind, the run ends.
    expect(advanceShareRun(b, 0, 0.01, POOL_REQUESTS)).toBeUndefined();
    expect(a).toMatchObject({ windows: 1, counts: [1, 2], tally: [1, 0.04, 0.0392] });
    // Its failures, counted against a share of at least 2 % over the whole run: 1 of 5.
    expect(b.tally[0]).toBeCloseTo(1, 9);
    expect(b.tally[1]).toBeCloseTo(0.1, 9);
    expect(shareRunZ(b)).toBeCloseTo((1 - 0.1 - 0.5) / Math.sqrt(0.02 * 0.98 * 5), 9);
  });

  it('counts the failures of the whole run for severity, past the pool: a sustained fault adds up', () => {
    let run: ShareRun | undefined;
    const zs: number[] = [];
    for (let k = 0; k < 12; k++) {
      run = advanceShareRun(run, 0.2, 0.01, 5);
      zs.push(shareRunZ(run));
    }
    expect((run as ShareRun).counts.length).toBeLessThan(24);
    expect((run as ShareRun).tally[0]).toBeCloseTo(12, 9);
    for (let k = 1; k < zs.length; k++) expect(zs[k]).toBeGreaterThan(zs[k - 1] as number);
    expect(shareRunZ(undefined)).toBeNaN();
  });

  it('takes up a run restored from a checkpoint without a tally: no count until its next window starts one', () => {
    const old = { windows: 3, counts: [1, 2, 1, 3] } as unknown as ShareRun;
    expect(shareRunZ(old)).toBeNaN();
    const next = advanceShareRun(old, 0.5, 0.01, 2) as ShareRun;
    expect(next).toMatchObject({ windows: 4, counts: [1, 2, 1, 3, 1, 2], tally: [1, 0.04, 0.0392] });
  });
});

const W = 2_000;
const T0 = Date.UTC(2026, 11, 6, 3, 0);

/**
 * Windows of a service with about `rps` requests per second (Poisson) failing 0.5 % of them, `share` of them from
 * window `from` to `to`; returns every result after the first 30 windows.
 */
function lowTraffic(rps: number, share: number, from: number, to: number, n: number, seed: number): ServiceScore[] {
  const models = new ServiceModels({ episode: { openLevel: 0.7, closeLevel: 0.5, minOpenMs: 0, minCloseMs: W, flapWindowMs: 60 * W, flapOpenings: 3 } });
  const rng = createRng(seed);
  const poisson = (mean: number) => poissonSample(rng, mean);
  const out: ServiceScore[] = [];
  for (let k = 0; k < n; k++) {
    const requests = poisson((rps * W) / 1000);
    let failed = 0;
    for (let j = 0; j < requests; j++) if (rng.next() < (k >= from && k < to ? share : 0.005)) failed++;
    const features: Record<string, number> = { request_rate: requests / (W / 1000) };
    if (requests > 0) {
      const p50 = 12 + 4 * rng.next();
      Object.assign(features, { error_ratio: failed / requests, latency_p50_ms: p50, latency_p95_ms: 1.5 * p50, latency_p99_ms: 1.6 * p50 });
    }
    const r = models.scoreBatch([{ service: 'cart', startMs: T0 + k * W, endMs: T0 + (k + 1) * W, features, callees: [] }])[0] as ServiceScore;
    if (k >= 30) out.push(r);
  }
  return out;
}

describe('a sustained failing share of a low-traffic service (1.2 requests/s, 2 s windows)', () => {
  it('opens an episode within a few windows, keeps it open while the fault lasts, and closes it after', () => {
    for (const seed of [1, 2, 3, 4]) {
      // Fault from window 100 to 160 (index 70 to 130 of the results).
      const rs = lowTraffic(1.2, 0.6, 100, 160, 200, seed);
      const opened = rs.findIndex((r) => r.transition === 'open' && r.input.endMs > T0 + 100 * W);
      expect(opened, `seed ${seed}`).toBeGreaterThanOrEqual(70);
      expect(opened, `seed ${seed}`).toBeLessThanOrEqual(75);
      // Open through the fault: at most a window or two of a short gap (closed then reopened).
      const closedInFault = rs.slice(opened, 130).filter((r) => r.transition === 'closed').length;
      expect(closedInFault, `seed ${seed}`).toBeLessThanOrEqual(1);
      expect(
        rs.slice(150).every((r) => r.transition === 'none'),
        `seed ${seed}`,
      ).toBe(true);
    }
  });

  it('opens nothing on its fault-free failures (0.5 %, about one failed request a minute)', () => {
    for (const seed of [5, 6]) expect(lowTraffic(1.2, 0.6, 10_000, 10_000, 1_000, seed).filter((r) => r.transition === 'open')).toEqual([]);
  });
});
