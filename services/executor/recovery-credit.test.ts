import { describe, expect, it } from 'vitest';
import type { Finish } from './execution-repo.ts';
import { creditRecovery, RECOVERED_BEFORE_ACTION } from './recovery-credit.ts';

const resolved: Finish = { status: 'succeeded', outcome: 'resolved', reason: 'episode closed within the verify deadline' };
const T = Date.UTC(2026, 11, 6, 8, 0, 0);

describe('creditRecovery', () => {
  it('credits a recovery that began after the first action was sent', () => {
    expect(creditRecovery(resolved, T + 10_000, T)).toEqual(resolved);
    expect(creditRecovery(resolved, T, T)).toEqual(resolved);
  });

  it('does not credit a recovery that began before the first action: recovered_before_action, still succeeded', () => {
    const f = creditRecovery(resolved, T - 4_500, T);
    expect(f).toMatchObject({ status: 'succeeded', outcome: RECOVERED_BEFORE_ACTION });
    expect(f.reason).toContain('4.5 s before the first action');
  });

  it('does not credit a playbook that never acted on the service', () => {
    const f = creditRecovery(resolved, T, undefined);
    expect(f.outcome).toBe(RECOVERED_BEFORE_ACTION);
    expect(f.reason).toContain('no step of the playbook acted');
  });

  it('leaves the outcome alone when the recovery start is unknown or the outcome is not resolved', () => {
    expect(creditRecovery(resolved, undefined, T)).toEqual(resolved);
    expect(creditRecovery(resolved, undefined, undefined)).toEqual(resolved);
    const failed: Finish = { status: 'failed', outcome: 'not_resolved', reason: 'episode still open at the verify deadline' };
    expect(creditRecovery(failed, T - 60_000, T)).toEqual(failed);
  });
});
