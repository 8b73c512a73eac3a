import { describe, expect, it } from 'vitest';
import type { FaultRecord } from '../../../infra/demo/fault-book.ts';
import type { ApiAnomaly, ApiIncident, Observations } from './observations.ts';
import { scoreFault, scoreRun } from './score.ts';

const T0 = Date.parse('2026-12-05T12:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();
const fault: FaultRecord = {
  id: 'f1',
  service: 'cart',
  kind: 'bad-deploy',
  magnitude: 0.6,
  durationSeconds: 150,
  fix: 'rollback',
  startedAt: iso(0),
  plannedEndAt: iso(150),
  state: 'ended',
  endedAt: iso(40),
  endedBy: 'fix:rollback',
};
const phase = { faultId: 'f1', endMs: T0 + 200_000 };

function anomaly(service: string, episodeId: string, atS: number, top: string, severity = 'warning', state = 'ongoing', also: string[] = []): ApiAnomaly {
  return {
    id: `${episodeId}@${atS}`,
    service,
    episodeId,
    severity,
    kind: 'latency',
    score: 0.9,
    rootCauses: [top, ...(top === service ? [] : [service]), ...also].map((s, i) => ({ service: s, score: 0.9 - i * 0.2, reason: '' })),
    episodeState: state,
    attributes: {},
    detectedAt: iso(atS),
  };
}
function incident(service: string, id: string, openedS: number, closedS: number | null, resolvedBy: ApiIncident['resolvedBy']): ApiIncident {
  return {
    id,
    service,
    kind: 'latency',
    severity: 'warning',
    state: closedS === null ? 'open' : 'closed',
    openedAt: iso(openedS),
    closedAt: closedS === null ? null : iso(closedS),
    resolvedBy,
    neededHuman: false,
  };
}
const obs = (anomalies: ApiAnomaly[], incidents: ApiIncident[]): Observations => ({
  anomalies,
  incidents,
  executions: [],
  faults: [fault],
  notifications: [],
  operations: [],
});

describe('bench-zeroops scoring', () => {
  it('does not count an incident already open at the fault start as detection while the fault does not show in it', () => {
    // cart's incident opened a minute before the fault (the host's load); its heartbeat during the fault names a shared cause.
    const r = scoreFault(1, fault, phase, obs([anomaly('cart', 'old', 5, 'shared:host-contention')], [incident('cart', 'old', -60, 60, 'self')]), 2_000);
    expect(r.detected).toBe(false);
    expect(r.resolvedBy).toBeNull();
  });

  it('counts an incident already open at the fault start once the fault shows in it (the service ranked first, warning or worse)', () => {
    const r = scoreFault(
      1,
      fault,
      phase,
      obs([anomaly('cart', 'old', 3, 'cart', 'info'), anomaly('cart', 'old', 6, 'cart', 'critical')], [incident('cart', 'old', -60, 50, 'auto')]),
      2_000,
    );
    expect(r.detected).toBe(true);
    expect(r.detectSeconds).toBe(6);
    expect(r.recoverSeconds).toBe(50);
    expect(r.resolvedBy).toBe('auto');
  });

  it("counts a new incident of a caller that lists the service among its root causes, and the service's own new incident for recovery", () => {
    const r = scoreFault(
      1,
      fault,
      phase,
      obs(
        [anomaly('gateway', 'g', 2, 'gateway', 'warning', 'open', ['cart']), anomaly('cart', 'c', 4, 'cart', 'critical', 'open')],
        [incident('gateway', 'g', 2, 45, 'self'), incident('cart', 'c', 4, 42, 'auto')],
      ),
      2_000,
    );
    expect(r.detected).toBe(true);
    expect(r.detectSeconds).toBe(2);
    expect(r.rootCauseRank).toBe(2);
    expect(r.topRootCause).toBe('gateway');
    expect(r.recoverSeconds).toBe(42);
  });

  it('ignores an incident of the service that closed before the fault started', () => {
    const r = scoreFault(1, fault, phase, obs([], [incident('cart', 'gone', -90, -10, 'auto')]), 2_000);
    expect(r.recoverSeconds).toBeNull();
    expect(r.detected).toBe(false);
  });

  it('judges the root cause on the first linked event of warning or worse; an earlier info event still counts as detection', () => {
    const r = scoreFault(
      1,
      fault,
      phase,
      obs(
        [anomaly('cart', 'c', 2, 'shared:host-contention', 'info', 'open'), anomaly('cart', 'c', 6, 'cart', 'critical')],
        [incident('cart', 'c', 2, 40, 'auto')],
      ),
      2_000,
    );
    expect(r.detectSeconds).toBe(2);
    expect(r.topRootCause).toBe('cart');
    expect(r.rootCauseRank).toBe(1);
  });

  it("counts the control plane's operations and the steps carried out twice there (one idempotency key, two accepted requests)", () => {
    const op = (key: string | undefined, status: number) => ({ answeredAt: iso(10), service: 'cart', op: 'rollback', status, idempotencyKey: key });
    const operations = [op('ep:pb:rollback', 202), op('ep:pb:rollback', 202), op('ep:pb:restart', 202), op('ep:pb:scale', 409), op('ep:pb:scale', 409)];
    const r = scoreRun([], [], { ...obs([], []), operations });
    expect(r.operations).toBe(3);
    expect(r.duplicateOperations).toEqual([operations[1]]);
  });
});
