import { describe, expect, it } from 'vitest';
import { assertChangeRequest, sustainSecondsOf } from './change-spec.ts';
import { baselineOf, binomialUpperTail, judgeWatch } from './change-watch.ts';

const ctx = { secrets: {}, commandAllowlist: [], httpAllowlist: ['127.0.0.1'] };
const W = 1000;
/** Windows of 1 s ending after `t0`, one per element, with the score given or a quiet 0.1. */
const windows = (features: Array<Record<string, number>>, scores: number[] = [], t0 = 0) =>
  features.map((f, i) => ({ endMs: t0 + (i + 1) * W, score: scores[i] ?? 0.1, features: f }));
const good = windows(Array.from({ length: 30 }, (_, i) => ({ error_ratio: i % 3 === 0 ? 0.01 : 0, latency_p99_ms: 40 + (i % 5) })));
const rule = { windowMs: W, sustainMs: 10_000 };
const repeat = <T>(n: number, x: T) => Array.from({ length: n }, () => x);

describe('watching a change against its pre-change baseline', () => {
  it('finds a regression only beyond noise, in each third of the latest sustain time (at least three windows)', () => {
    const b = baselineOf(good);
    expect(b.features.error_ratio?.windows).toBe(30);
    expect(b.score).toEqual({ anomalous: 0, windows: 30 });
    expect(judgeWatch(b, good.slice(0, 12), rule).regression).toBe(false);
    // Errors that last 10 s are a regression; 9 s of them are too few to judge, and errors gone for a third of the span are none.
    const bad = judgeWatch(b, windows([{ error_ratio: 0 }, ...repeat(10, { error_ratio: 0.6 })]), rule);
    expect(bad.regression).toBe(true);
    expect(bad.reason).toMatch(/^regression: error_ratio 0.600 against 0.00\d+ before \(limit 0.0\d+\) in each third of the latest 10 s \(10 windows\)$/);
    expect(bad.compared.error_ratio?.span).toMatchObject({ windows: 10, seconds: 10 });
    expect(judgeWatch(b, windows(repeat(9, { error_ratio: 0.6 })), rule)).toMatchObject({
      regression: false,
      reason: expect.stringMatching(/too few to judge \(10 s and 3 windows needed\)/),
    });
    const gone = judgeWatch(b, windows([...repeat(10, { error_ratio: 0.6 }), ...repeat(4, { error_ratio: 0 })]), rule);
    expect(gone.regression).toBe(false);
    expect(gone.reason).toMatch(/not sustained over the latest 10 s: error_ratio beyond noise in 2 of 3 parts/);
    // One window of errors at the end is a burst, not a regression.
    expect(judgeWatch(b, windows([...repeat(9, { error_ratio: 0, request_rate: 8 }), { error_ratio: 1, request_rate: 8 }]), rule).regression).toBe(false);
    // Latency 10 % up is within noise; twice as slow for the sustain time is not.
    expect(judgeWatch(b, windows(repeat(12, { latency_p99_ms: 46 })), rule).regression).toBe(false);
    expect(judgeWatch(b, windows(repeat(12, { latency_p99_ms: 90 })), rule).reason).toMatch(/^regression: latency_p99_ms 90.0 against/);
  });

  it('finds a sparse bad version: few requests a window, some of its windows without a failure', () => {
    const b = baselineOf(good);
    // One or two requests a window on a loaded host, 60 % failing: many windows show no failure, each third pools to about 0.6.
    const sparse = windows(
      Array.from({ length: 15 }, (_, i) => ({ request_rate: 1 + (i % 2), error_ratio: [1, 0, 1, 0.5, 0, 1, 0.5, 1, 0, 1][i % 10] as number })),
    );
    const v = judgeWatch(b, sparse, rule);
    expect(v.regression).toBe(true);
    expect(v.reason).toMatch(/^regression: error_ratio 0.\d+ against/);
    for (const x of v.compared.error_ratio?.span.parts ?? []) expect(x).toBeGreaterThan(0.3);
  });

  it('does not roll back on the blip of a fresh process: a few slow windows and a one-window anomaly episode', () => {
    const b = baselineOf(good);
    // What a rolling switch looked like on the demo: three slow windows, the first scored 1.0 (an episode opened), then back to normal.
    const blip = windows(
      [{ latency_p99_ms: 108 }, { latency_p99_ms: 215 }, { latency_p99_ms: 90 }, ...repeat(20, { latency_p99_ms: 42 })],
      [1, 0.6, 0.55, ...repeat(20, 0.2)],
    );
    for (let n = 1; n <= blip.length; n++) expect(judgeWatch(b, blip.slice(0, n), rule).regression).toBe(false);
    expect(judgeWatch(b, blip, rule).reason).toMatch(
      /within noise of the baseline \(not sustained over the latest 10 s: service score anomalous in 3 of 23 windows since the change, 3.1 % before\)/,
    );
  });

  it('rolls back on a sustained anomalous service score beyond the baseline share, even when no watched feature moved', () => {
    const b = baselineOf(good);
    const after = windows(repeat(12, { latency_p99_ms: 42 }), repeat(12, 0.8));
    const v = judgeWatch(b, after, rule);
    expect(v.regression).toBe(true);
    expect(v.reason).toBe(
      'regression: service score anomalous (>= 0.5) in at least half the windows of each third of the latest 10 s (10 windows) (12 of 12 windows since the change, 3.1 % before)',
    );
    expect(v.score).toMatchObject({ anomalous: 12, windows: 12, span: { windows: 10, seconds: 10, parts: [1, 1, 1] } });
    expect(v.score?.pValue).toBeLessThan(1e-10);
  });

  it('does not count a stretch of anomalous score that the pre-change share explains', () => {
    // A service anomalous in half its windows before the change (in stretches of 12): one more such stretch within a long watch is no evidence.
    const noisy = windows(
      repeat(120, { latency_p99_ms: 42 }),
      Array.from({ length: 120 }, (_, i) => (Math.floor(i / 12) % 2 === 0 ? 0.8 : 0.1)),
      -120 * W,
    );
    const b = baselineOf(noisy);
    expect(b.score).toEqual({ anomalous: 60, windows: 120 });
    const after = windows(repeat(40, { latency_p99_ms: 42 }), [...repeat(28, 0.1), ...repeat(12, 0.8)]);
    const v = judgeWatch(b, after, rule);
    expect(v.regression).toBe(false);
    expect(v.score?.pValue).toBeGreaterThan(0.5);
    // The same stretch after a quiet baseline is a regression.
    expect(judgeWatch(baselineOf(good), after, rule).regression).toBe(true);
  });

  it('measures the span in time: with 5 s windows three windows last 15 s; missing windows do not stretch it', () => {
    const b = baselineOf(good);
    const five = (n: number) => Array.from({ length: n }, (_, i) => ({ endMs: (i + 1) * 5000, score: 0.1, features: { error_ratio: 0.5 } }));
    expect(judgeWatch(b, five(2), { windowMs: 5000, sustainMs: 10_000 }).regression).toBe(false);
    expect(judgeWatch(b, five(3), { windowMs: 5000, sustainMs: 10_000 }).reason).toMatch(/in each third of the latest 15 s \(3 windows\)/);
    // Windows a few seconds apart (some missing): the span is the latest 10 s, here four windows, not ten.
    const sparse = [1, 4, 7, 10, 13, 16].map((t) => ({ endMs: t * W, score: 0.1, features: { error_ratio: 0.5 } }));
    expect(judgeWatch(b, sparse, rule)).toMatchObject({ regression: true, reason: expect.stringMatching(/each third of the latest 10 s \(4 windows\)/) });
    expect(judgeWatch(b, sparse.slice(0, 3), rule).reason).toMatch(/too few to judge/);
    // The sustain time never lets fewer than three windows decide.
    expect(judgeWatch(b, windows(repeat(2, { error_ratio: 0.5 })), { windowMs: W, sustainMs: 0 }).regression).toBe(false);
  });

  it('judges nothing without a baseline of features, and wants a long stretch of score without a baseline share', () => {
    expect(judgeWatch({ features: {} }, windows(repeat(12, { error_ratio: 1 })), rule)).toMatchObject({
      regression: false,
      reason: 'no baseline to compare with',
    });
    // No score baseline: the share before is taken as one half, so 12 anomalous windows of 12 are still beyond it (p = 1/4096).
    expect(judgeWatch({ features: {} }, windows(repeat(12, {}), repeat(12, 0.9)), rule).regression).toBe(true);
  });

  it('computes the binomial tail', () => {
    expect(binomialUpperTail(0, 10, 0.3)).toBe(1);
    expect(binomialUpperTail(11, 10, 0.3)).toBe(0);
    expect(binomialUpperTail(10, 10, 0.5)).toBeCloseTo(1 / 1024, 12);
    expect(binomialUpperTail(1, 10, 0.5)).toBeCloseTo(1 - 1 / 1024, 12);
    // P(X >= 2), n = 5, p = 0.2: 1 - 0.8^5 - 5 * 0.2 * 0.8^4.
    expect(binomialUpperTail(2, 5, 0.2)).toBeCloseTo(1 - 0.8 ** 5 - 0.8 ** 4, 12);
    expect(binomialUpperTail(40_000, 86_400, 0.5)).toBeCloseTo(1, 9);
    expect(binomialUpperTail(12, 86_400, 1e-3)).toBeCloseTo(1, 9);
  });
});

describe('a change request', () => {
  const req = {
    service: 'cart',
    change: { type: 'http', http: { method: 'POST', url: 'http://127.0.0.1:7070/services/cart/deploy', body: { version: '1.6.0' } } },
    undo: { type: 'kubernetes', kubernetes: { action: 'rollback', namespace: 'shop', deployment: 'cart' } },
    watchSeconds: 120,
  };

  it('is validated with defaults filled in', () => {
    const spec = assertChangeRequest(req, ctx);
    expect(spec).toMatchObject({ maxDelaySeconds: 0, durationSeconds: 300, baselineSeconds: 1800 });
    // The sustain time: 15 s by default, at most half the watch; or as asked, below the watch.
    expect(sustainSecondsOf(spec)).toBe(15);
    expect(sustainSecondsOf(assertChangeRequest({ ...req, watchSeconds: 10 }, ctx))).toBe(5);
    expect(sustainSecondsOf(assertChangeRequest({ ...req, sustainSeconds: 60 }, ctx))).toBe(60);
  });

  it('is refused with the path of what to fix', () => {
    expect(() => assertChangeRequest({ ...req, watchSeconds: 5 }, ctx)).toThrow(/\/watchSeconds/);
    expect(() => assertChangeRequest({ ...req, sustainSeconds: 120 }, ctx)).toThrow(/\/sustainSeconds: must be less than watchSeconds \(120\)/);
    expect(() => assertChangeRequest({ ...req, undo: { type: 'wait', wait: { seconds: 1 } } }, ctx)).toThrow(/\/undo\/type: must be http or kubernetes/);
    expect(() => assertChangeRequest({ ...req, change: { type: 'http', http: { method: 'POST', url: 'http://{{secret.NOPE}}/x' } } }, ctx)).toThrow(
      /\/change\/http\/url.*NOPE/,
    );
    expect(() => assertChangeRequest([], ctx)).toThrow(/must be a JSON object/);
  });
});
