/**
 * The deviation of a share of requests (the error ratio) weighs how many
 * requests the window holds: it is bounded by how far its failures stand
 * beyond chance (binomial standard deviations, severity.ts), on the live
 * scoring path (ServiceModels without the neural model, 10 s windows).
 */
import { describe, expect, it } from 'vitest';
import type { ServiceScore } from './outputs.ts';
import { scoreSeries } from './series-fixture.ts';
import { boundedByChance, deviationGrew, windowFailureZ } from './severity.ts';

describe('the count behind a share of requests', () => {
  it('counts failures against chance with known answers', () => {
    // 7 of 7 where 2 % fail: (7 - 0.14 - 0.5) / sqrt(7 x 0.02 x 0.98) = 17.17.
    expect(windowFailureZ(1, 0, 7)).toBeCloseTo(17.17, 2);
    // 7 of 7 where 70 % fail: (7 - 4.9 - 0.5) / sqrt(7 x 0.7 x 0.3) = 1.32, within chance.
    expect(windowFailureZ(1, 0.7, 7)).toBeCloseTo(1.32, 2);
    // 700 of 1000 where 5 % fail: (700 - 50 - 0.5) / sqrt(47.5) = 94.24.
    expect(windowFailureZ(0.7, 0.05, 1000)).toBeCloseTo(94.24, 2);
    // Without a count there is nothing to bound by.
    expect(windowFailureZ(1, 0, 0)).toBeNaN();
    expect(windowFailureZ(1, 0, Number.NaN)).toBeNaN();
    expect(boundedByChance(50, 17.17)).toBe(17.17);
    expect(boundedByChance(32.5, 94.24)).toBe(32.5);
    expect(boundedByChance(4, -0.3)).toBe(0);
    expect(boundedByChance(50, Number.NaN)).toBe(50);
  });

  /** 3 requests/s (30 a window) that never fail, then 70 % failing from window 300; window 306 holds `partial`. */
  const fault = (partial: { rate: number; ratio: number }): ServiceScore[] =>
    scoreSeries(
      308,
      (k, g) => {
        if (k === 306) return { request_rate: partial.rate, error_ratio: partial.ratio, latency_p50_ms: 40 + 2 * g() };
        return { request_rate: 3, error_ratio: k >= 300 ? 0.7 : 0, latency_p50_ms: 40 + 2 * g() };
      },
      5,
    );
  const errorDeviation = (r: ServiceScore | undefined): number | undefined => r?.evidence.find((e) => e.feature === 'error_ratio')?.deviation;

  it('7 failed of 7 during a 70 % fault is no deterioration beyond noise (it read 50 spreads against 35 and made verify say made_worse)', () => {
    const rs = fault({ rate: 0.7, ratio: 1 });
    expect(rs[300]?.transition).toBe('open');
    // 21 of 30 against the pre-fault 0 +/- 2 %: 35 spreads, bounded by (21 - 0.6 - 0.5) / sqrt(0.588) = 25.95 binomial deviations.
    expect(errorDeviation(rs[301])).toBeCloseTo(25.95, 1);
    expect(errorDeviation(rs[306])).toBeCloseTo(17.17, 1);
    expect(rs[306]?.transition).toBe('ongoing');
    // The executor's verify judges made_worse by this rule, the largest deviation of the windows before against the latest.
    const before = Math.max(...rs.slice(300, 306).map((r) => r.deviation));
    expect(deviationGrew(before, rs[306]?.deviation as number)).toBe(false);
  });

  it('a burst of twice the usual requests at the same 70 % reads as a usual window: more requests are no deterioration', () => {
    // An event-loop stall puts the requests of one window into the next: 60 of them, 42 failing.
    const rs = fault({ rate: 6, ratio: 0.7 });
    // Counted as a usual window's 30 requests (the baseline's rate), not as 60 (34 binomial deviations, and made_worse).
    expect(errorDeviation(rs[306])).toBeCloseTo(25.95, 1);
    const before = Math.max(...rs.slice(300, 306).map((r) => r.deviation));
    expect(deviationGrew(before, rs[306]?.deviation as number)).toBe(false);
  });

  it('30 failed of 30 during the same fault still is a deterioration beyond noise', () => {
    const rs = fault({ rate: 3, ratio: 1 });
    // (30 - 0.6 - 0.5) / sqrt(0.588) = 37.7 binomial deviations, under the 50 spreads of 100 % against 0 +/- 2 %.
    expect(errorDeviation(rs[306])).toBeCloseTo(37.7, 1);
    const before = Math.max(...rs.slice(300, 306).map((r) => r.deviation));
    expect(deviationGrew(before, rs[306]?.deviation as number)).toBe(true);
  });

  it('700 failed of 1000 against a usual 5 % keeps its full spread deviation', () => {
    // 100 requests/s (1000 a window) failing 5 % +/- 1 point, then 70 %.
    const rs = scoreSeries(
      305,
      (k, g) => ({ request_rate: 100, error_ratio: k >= 300 ? 0.7 : Math.max(0, 0.05 + 0.01 * g()), latency_p50_ms: 40 + 2 * g() }),
      7,
    );
    const e = rs[300]?.evidence.find((x) => x.feature === 'error_ratio');
    expect(rs[300]?.transition).toBe('open');
    // The count (94 binomial deviations) bounds nothing here: the deviation is the spread's, over 25.
    expect(e?.deviation).toBeGreaterThan(25);
    expect(e?.deviation).toBeLessThan(windowFailureZ(0.7, e?.expected as number, 1000));
    const spread = (0.7 - (e?.expected as number)) / (e?.deviation as number);
    expect(spread).toBeGreaterThanOrEqual(0.02 - 1e-9);
  });
});
