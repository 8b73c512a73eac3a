import { describe, expect, it } from 'vitest';
import type { ApiExecution, ApiIncident } from './observations.ts';
import { busyWith, QuietClock } from './quiet-gate.ts';

const incident = (service: string, kind = 'latency', severity = 'warning'): ApiIncident => ({
  id: `i-${service}`,
  service,
  kind,
  severity,
  state: 'open',
  openedAt: '2026-12-06T10:00:00.000Z',
  closedAt: null,
  resolvedBy: null,
  neededHuman: false,
});
const execution = (service: string, playbookId: string): ApiExecution => ({
  id: `e-${service}`,
  episodeId: `i-${service}`,
  anomalyId: 'a',
  service,
  playbookId,
  status: 'running',
  outcome: null,
  createdAt: '2026-12-06T10:00:00.000Z',
  finishedAt: null,
});

describe('what keeps the shop from being quiet before the next fault', () => {
  it('an open incident of a service of the run, or any execution still running', () => {
    expect(busyWith([], [], ['cart', 'products-db'])).toEqual([]);
    expect(busyWith([incident('products-db', 'saturation', 'critical')], [], ['cart', 'products-db'])).toEqual([
      'products-db saturation/critical incident open',
    ]);
    expect(busyWith([], [execution('catalog', 'demo-latency')], ['cart'])).toEqual(['demo-latency running on catalog']);
  });

  it('not an incident of a service outside the run', () => {
    expect(busyWith([incident('payment')], [], ['cart', 'products-db'])).toEqual([]);
  });
});

describe('the quiet clock', () => {
  it('counts unbroken quiet from the first quiet look', () => {
    const c = new QuietClock();
    expect(c.observe(1_000, [])).toBe(0);
    expect(c.observe(4_000, [])).toBe(3);
    expect(c.observe(11_000, [])).toBe(10);
  });

  it('starts again after a busy look: quiet scraps do not add up', () => {
    const c = new QuietClock();
    c.observe(0, []);
    expect(c.observe(6_000, [])).toBe(6);
    expect(c.observe(7_000, ['products-db latency/warning incident open'])).toBe(0);
    expect(c.lastReasons).toEqual(['products-db latency/warning incident open']);
    expect(c.observe(8_000, [])).toBe(0);
    expect(c.observe(12_000, [])).toBe(4);
  });
});
