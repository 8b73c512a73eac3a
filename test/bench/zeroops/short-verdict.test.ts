import { describe, expect, it } from 'vitest';
import type { FaultResult } from './score.ts';
import { shortRunFailures } from './short-verdict.ts';

const good: FaultResult = {
  n: 2,
  service: 'products-db',
  kind: 'pool-exhaustion',
  fix: 'restart',
  startedAt: '2026-12-06T07:00:00.000Z',
  endedBy: 'fix:restart',
  detected: true,
  detectSeconds: 4,
  rootCauseRank: 1,
  topRootCause: 'products-db',
  playbooks: [{ playbook: 'demo-errors', outcome: 'resolved' }],
  actionsElsewhere: [],
  recoverSeconds: 40,
  resolvedBy: 'auto',
  escalations: 0,
  events: [],
};

describe('the short run verdict', () => {
  it('passes a run whose faults were detected, ranked first, fixed and resolved by auto', () => {
    expect(shortRunFailures({ faults: [good], overall: { madeWorse: 0 } })).toEqual([]);
  });

  it('names the fault and what broke', () => {
    const ranked = { ...good, topRootCause: 'gateway', rootCauseRank: 2 };
    const expired = { ...good, n: 3, endedBy: 'expired', playbooks: [], resolvedBy: 'self' };
    const missed = { ...good, n: 1, detected: false, topRootCause: null, rootCauseRank: null };
    expect(shortRunFailures({ faults: [ranked, expired, missed], overall: { madeWorse: 1 } })).toEqual([
      'fault 2 (pool-exhaustion on products-db): top root cause gateway, not products-db (rank 2)',
      'fault 3 (pool-exhaustion on products-db): ended by expired, not by its fix restart; no playbook ran on it',
      'fault 3 (pool-exhaustion on products-db): its incident was resolved by self, not auto',
      'fault 1 (pool-exhaustion on products-db): not detected (no anomaly event linked to it)',
      '1 execution(s) ended made_worse',
    ]);
  });
});
