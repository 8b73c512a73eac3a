import { describe, expect, it } from 'vitest';
import { attemptOf, changeOf, clearFamily, followUpId } from './follow-up.ts';

const ev = (feature: string, deviation: number) => ({ feature, deviation });

describe('follow-up executions: what counts as a change of an incident', () => {
  it('names the family of a clear symptom in the direction that hurts; runtime metrics and mild deviations are none', () => {
    expect(clearFamily(ev('request_rate', 14))).toBe('demand');
    expect(clearFamily(ev('request_rate', -9))).toBe('traffic');
    expect(clearFamily(ev('error_ratio', 30))).toBe('error');
    expect(clearFamily(ev('latency_p95_ms', 8))).toBe('latency');
    expect(clearFamily(ev('latency_p95_ms', -8))).toBeUndefined();
    expect(clearFamily(ev('latency_p95_ms', 4))).toBeUndefined();
    expect(clearFamily(ev('metric:nodejs.eventloop.time:rate', 20))).toBeUndefined();
  });

  it('a higher severity or a new clear symptom is a change; the same evidence again is not', () => {
    const slow = { severity: 'warning', evidence: [ev('latency_p95_ms', 8), ev('metric:nodejs.eventloop.time:rate', 20)] };
    expect(changeOf([slow], slow)).toBeUndefined();
    expect(changeOf([slow], { ...slow, severity: 'critical' })).toBe('severity rose to critical');
    expect(changeOf([slow], { severity: 'warning', evidence: [ev('request_rate', 14), ev('latency_p95_ms', 9)] })).toBe('new clear symptom: demand');
    // Seen once before the earlier run finished, it is no longer news.
    expect(
      changeOf([slow, { severity: 'warning', evidence: [ev('request_rate', 6)] }], { severity: 'warning', evidence: [ev('request_rate', 14)] }),
    ).toBeUndefined();
    // Only runtime metrics moved: no change.
    expect(changeOf([slow], { severity: 'warning', evidence: [ev('metric:v8js.memory.heap.used', 40)] })).toBeUndefined();
  });

  it('numbers the follow-ups of an execution <id>~<n>', () => {
    expect(followUpId('ex_1')).toBe('ex_1~2');
    expect(followUpId('ex_1~2')).toBe('ex_1~3');
    expect(attemptOf('ex_1')).toBe(1);
    expect(attemptOf('ex_1~3')).toBe(3);
  });
});
