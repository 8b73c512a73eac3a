import { describe, expect, it } from 'vitest';
import { assertChangeRequest } from './change-spec.ts';
import { baselineOf, judgeWatch } from './change-watch.ts';

const ctx = { secrets: {}, commandAllowlist: [], httpAllowlist: ['127.0.0.1'] };
const good = Array.from({ length: 30 }, (_, i) => ({ error_ratio: i % 3 === 0 ? 0.01 : 0, latency_p99_ms: 40 + (i % 5) }));

describe('watching a change against its pre-change baseline', () => {
  it('finds a regression only beyond noise, and only with enough windows', () => {
    const b = baselineOf(good);
    expect(b.error_ratio?.windows).toBe(30);
    expect(judgeWatch(b, good.slice(0, 4)).regression).toBe(false);
    // Too few windows to judge; then three bad ones in a row are a regression, a blip of two between good ones is not.
    expect(judgeWatch(b, [{ error_ratio: 0.6 }, { error_ratio: 0.6 }])).toMatchObject({ regression: false, reason: expect.stringMatching(/too few/) });
    const bad = judgeWatch(b, [{ error_ratio: 0 }, { error_ratio: 0.5 }, { error_ratio: 0.6 }, { error_ratio: 0.7 }]);
    expect(bad.regression).toBe(true);
    expect(bad.reason).toMatch(/^regression: error_ratio 0.600 against/);
    expect(judgeWatch(b, [{ error_ratio: 1 }, { error_ratio: 1 }, { error_ratio: 0 }]).regression).toBe(false);
    // Latency 10 % up is within noise; twice as slow is not.
    const slow = (ms: number) => [{ latency_p99_ms: ms }, { latency_p99_ms: ms }, { latency_p99_ms: ms }];
    expect(judgeWatch(b, slow(46)).regression).toBe(false);
    expect(judgeWatch(b, slow(90)).reason).toMatch(/latency_p99_ms/);
  });

  it('judges nothing without a baseline', () => {
    expect(judgeWatch(baselineOf([]), [{ error_ratio: 1 }, { error_ratio: 1 }, { error_ratio: 1 }])).toMatchObject({
      regression: false,
      reason: 'no baseline to compare with',
    });
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
    expect(assertChangeRequest(req, ctx)).toMatchObject({ maxDelaySeconds: 0, durationSeconds: 300, baselineSeconds: 1800 });
  });

  it('is refused with the path of what to fix', () => {
    expect(() => assertChangeRequest({ ...req, watchSeconds: 5 }, ctx)).toThrow(/\/watchSeconds/);
    expect(() => assertChangeRequest({ ...req, undo: { type: 'wait', wait: { seconds: 1 } } }, ctx)).toThrow(/\/undo\/type: must be http or kubernetes/);
    expect(() => assertChangeRequest({ ...req, change: { type: 'http', http: { method: 'POST', url: 'http://{{secret.NOPE}}/x' } } }, ctx)).toThrow(
      /\/change\/http\/url.*NOPE/,
    );
    expect(() => assertChangeRequest([], ctx)).toThrow(/must be a JSON object/);
  });
});
