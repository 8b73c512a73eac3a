import { describe, expect, it } from 'vitest';
import type { FaultRecord } from '../../../infra/demo/fault-book.ts';
import type { ApiAnomaly, ApiExecution, ApiIncident, Observations } from '../zeroops/observations.ts';
import { judgeFault } from './fault-check.ts';

const T0 = Date.parse('2026-12-06T07:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();
// The command ran at T0, the control plane started the fault 4 s later; the deadline is 120 s after the command.
const COMMAND = T0;
const DEADLINE = T0 + 120_000;

function fault(over: Partial<FaultRecord> = {}): FaultRecord {
  return {
    id: 'f1',
    service: 'products-db',
    kind: 'pool-exhaustion',
    magnitude: 2,
    durationSeconds: 300,
    fix: 'restart',
    startedAt: iso(4),
    plannedEndAt: iso(304),
    state: 'ended',
    endedAt: iso(70),
    endedBy: 'fix:restart',
    ...over,
  };
}
function anomaly(service: string, atS: number, causes: string[]): ApiAnomaly {
  return {
    id: `${service}@${atS}`,
    service,
    episodeId: `ep-${service}`,
    severity: 'warning',
    kind: 'errors',
    score: 0.9,
    rootCauses: causes.map((s, i) => ({ service: s, score: 0.9 - i * 0.2, reason: '' })),
    episodeState: 'opened',
    attributes: {},
    detectedAt: iso(atS),
  };
}
function incident(service: string, closedS: number | null, resolvedBy: ApiIncident['resolvedBy']): ApiIncident {
  return {
    id: `ep-${service}`,
    service,
    kind: 'errors',
    severity: 'warning',
    state: closedS === null ? 'open' : 'closed',
    openedAt: iso(25),
    closedAt: closedS === null ? null : iso(closedS),
    resolvedBy,
    neededHuman: false,
  };
}
const execution = (service: string, atS: number): ApiExecution => ({
  id: `x-${service}`,
  episodeId: `ep-${service}`,
  anomalyId: `${service}@25`,
  service,
  playbookId: 'demo-errors',
  status: 'succeeded',
  outcome: 'resolved',
  createdAt: iso(atS),
  finishedAt: iso(atS + 60),
});
function observations(over: Partial<Observations> = {}): Observations {
  return {
    anomalies: [anomaly('gateway', 22, ['gateway', 'products-db']), anomaly('products-db', 25, ['products-db'])],
    incidents: [incident('products-db', 95, 'auto')],
    executions: [execution('products-db', 30)],
    faults: [fault()],
    notifications: [],
    operations: [],
    ...over,
  };
}

describe('make demo acceptance: one fault judged within the allowed time', () => {
  it('passes a fault ranked first, acted on, closed by auto and ended by its fix in time; times count from the command', () => {
    const r = judgeFault(1, fault(), COMMAND, DEADLINE, observations(), 10_000);
    expect(r.failures).toEqual([]);
    expect(r.pass).toBe(true);
    expect(r.injectSeconds).toBe(4);
    expect(r.detectSeconds).toBe(22);
    expect(r.topCauseSeconds).toBe(25);
    expect(r.recoverSeconds).toBe(95);
    expect(r.playbooks).toEqual([{ playbook: 'demo-errors', outcome: 'resolved' }]);
  });

  it('fails when no event ranks the service first (a symptom blamed)', () => {
    const r = judgeFault(1, fault(), COMMAND, DEADLINE, observations({ anomalies: [anomaly('gateway', 22, ['gateway', 'products-db'])] }), 10_000);
    expect(r.pass).toBe(false);
    expect(r.failures.join()).toContain('ranked products-db first');
  });

  it('fails when nothing ran on the service, or its incident closed by itself, or closed after the deadline', () => {
    expect(judgeFault(1, fault(), COMMAND, DEADLINE, observations({ executions: [execution('gateway', 30)] }), 10_000).failures.join()).toContain(
      'no execution on products-db',
    );
    const self = judgeFault(1, fault(), COMMAND, DEADLINE, observations({ incidents: [incident('products-db', 95, 'self')] }), 10_000);
    expect(self.failures.join()).toContain('resolvedBy auto');
    const late = judgeFault(1, fault(), COMMAND, DEADLINE, observations({ incidents: [incident('products-db', 121, 'auto')] }), 10_000);
    expect(late.pass).toBe(false);
    expect(late.recoverSeconds).toBe(121);
  });

  it('fails when the control plane says the fault did not end by its fix by the deadline', () => {
    const active = fault({ state: 'active', endedAt: undefined, endedBy: undefined });
    expect(judgeFault(1, active, COMMAND, DEADLINE, observations({ faults: [active] }), 10_000).failures.join()).toContain('still active');
    const cleared = fault({ endedBy: 'cleared' });
    expect(judgeFault(1, cleared, COMMAND, DEADLINE, observations({ faults: [cleared] }), 10_000).pass).toBe(false);
    const lateFix = fault({ endedAt: iso(125) });
    expect(judgeFault(1, lateFix, COMMAND, DEADLINE, observations({ faults: [lateFix] }), 10_000).pass).toBe(false);
  });
});
