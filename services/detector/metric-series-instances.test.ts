import { describe, expect, it } from 'vitest';
import type { DecodedDataPoint, DecodedMetric } from '../otlp/index.ts';
import { MetricSeries, TEMPORALITY } from './metric-series.ts';

const counter: DecodedMetric = {
  name: 'nodejs.eventloop.time',
  description: '',
  unit: 's',
  kind: 'sum',
  temporality: TEMPORALITY.cumulative,
  monotonic: true,
  points: [],
  scope: 'x',
};
const point = (value: number, startS: number): DecodedDataPoint => ({
  attributes: { state: 'active' },
  startUnixNano: BigInt(startS) * 1_000_000_000n,
  timeUnixNano: 0n,
  value,
});

describe('cumulative series of a service with several replicas', () => {
  it('differences each instance against its own previous point, so interleaved replicas do not read as resets', () => {
    const s = new MetricSeries();
    const inc = (value: number, start: number, t: number, instance: string) => {
      const r = s.convert(counter, point(value, start), t, instance);
      return r.ok ? (r.contribution as { value: number } | null)?.value : undefined;
    };
    // Replica a (up for a while, total 500) and replica b (new, total 10), reporting in turn.
    expect(inc(500, 1, 1_000, 'a')).toBeUndefined();
    expect(inc(10, 2, 1_100, 'b')).toBeUndefined();
    expect(inc(501, 1, 2_000, 'a')).toBe(1);
    expect(inc(11, 2, 2_100, 'b')).toBe(1);
    expect(inc(502, 1, 3_000, 'a')).toBe(1);
    // Without instance ids the same points would be taken for resets and count whole totals again.
    const blind = new MetricSeries();
    blind.convert(counter, point(500, 1), 1_000);
    const r = blind.convert(counter, point(10, 2), 1_100);
    expect(r.ok && (r.contribution as { value: number }).value).toBe(10);
    const again = blind.convert(counter, point(501, 1), 2_000);
    expect(again.ok && (again.contribution as { value: number }).value).toBe(501);
  });
});
