/**
 * The deviation of a share of requests (the error ratio) weighs how many
 * requests the window holds: its spread is the baseline's, widened by the
 * binomial noise of that many requests (severity.ts), on the live scoring
 * path (ServiceModels without the neural model, 10 s windows).
 */
import { describe, expect, it } from 'vitest';
import type { ServiceScore } from './outputs.ts';
import { scoreSeries } from './series-fixture.ts';
import { countedShareDeviation, deviationGrew } from './severity.ts';

describe('the count behind a share of requests', () => {
  it('widens the spread by the binomial noise of the count, with known answers', () => {
    // 7 of 7 against 0 +/- 2 %: (1 - 0 - 0.5 / 7) / sqrt(0.02^2 + 0.02 x 0.98 / 7) = 16.41, not 50 spreads.
    expect(countedShareDeviation(1, 0, 0.02, 7)).toBeCloseTo(16.415, 2);
    // 21 of 30: (0.7 - 0.5 / 30) / sqrt(0.0004 + 0.0196 / 30) = 21.06, not 35.
    expect(countedShareDeviation(0.7, 0, 0.02, 30)).toBeCloseTo(21.055, 2);
    // 700 of 1000 against 5 % +/- 2 %: (0.65 - 0.0005) / sqrt(0.0004 + 0.0475 / 1000) = 30.7, near its 32.5 spreads.
    expect(countedShareDeviation(0.7, 0.05, 0.02, 1000)).toBeCloseTo(30.7, 1);
    // 1 of 9 is within the noise of 9 requests (1.1); 3 of 9 is not (5.5).
    expect(countedShareDeviation(1 / 9, 0, 0.02, 9)).toBeCloseTo(1.09, 2);
    expect(countedShareDeviation(3 / 9, 0, 0.02, 9)).toBeCloseTo(5.47, 2);
    // Without a count, the spread deviation; never below 0.
    expect(countedShareDeviation(1, 0, 0.02, Number.NaN)).toBe(50);
    expect(countedShareDeviation(1, 0, 0.02, 0)).toBe(50);
    expect(countedShareDeviation(0.03, 0.02, 0.02, 10)).toBe(0);
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
  /** Whether window 306 is worse beyond noise than the fault's windows before it, by the rule the executor's verify judges made_worse with. */
  const worse = (rs: ServiceScore[]): boolean => deviationGrew(Math.max(...rs.slice(300, 306).map((r) => r.deviation)), rs[306]?.deviation as number);

  it('7 failed of 7 during a 70 % fault is no deterioration beyond noise (it read 50 spreads against 35 and made verify say made_worse)', () => {
    const rs = fault({ rate: 0.7, ratio: 1 });
    expect(rs[300]?.transition).toBe('open');
    expect(errorDeviation(rs[301])).toBeCloseTo(21.06, 1);
    // Fewer than 20 requests: judged with its run's window before (share-run.ts), 28 of 37 as one window, 24.4 (alone 16.42).
    expect(errorDeviation(rs[306])).toBeCloseTo(24.38, 1);
    expect(rs[306]?.transition).toBe('ongoing');
    expect(worse(rs)).toBe(false);
  });

  it('twice the usual requests at the same 70 % (the window after an event-loop stall) is no deterioration either', () => {
    const rs = fault({ rate: 6, ratio: 0.7 });
    // (0.7 - 0.5 / 60) / sqrt(0.0004 + 0.0196 / 60) = 25.7: more evidence, not 25 % more deviation.
    expect(errorDeviation(rs[306])).toBeCloseTo(25.66, 1);
    expect(worse(rs)).toBe(false);
  });

  it('30 failed of 30 during the same fault still is a deterioration beyond noise', () => {
    const rs = fault({ rate: 3, ratio: 1 });
    expect(errorDeviation(rs[306])).toBeCloseTo(30.3, 1);
    expect(worse(rs)).toBe(true);
  });

  it('700 failed of 1000 against a usual 5 % is a large deviation, about its spread deviation', () => {
    // 100 requests/s (1000 a window) failing 5 % +/- 1 point, then 70 %.
    const rs = scoreSeries(
      305,
      (k, g) => ({ request_rate: 100, error_ratio: k >= 300 ? 0.7 : Math.max(0, 0.05 + 0.01 * g()), latency_p50_ms: 40 + 2 * g() }),
      7,
    );
    const e = rs[300]?.evidence.find((x) => x.feature === 'error_ratio');
    expect(rs[300]?.transition).toBe('open');
    expect(e?.deviation).toBeGreaterThan(25);
    // The spread the scorer used, recovered from a count-free deviation: the count takes at most a few % off it.
    const spread = 0.02;
    expect(e?.deviation).toBeCloseTo(countedShareDeviation(0.7, e?.expected as number, spread, 1000), 0);
  });
});
