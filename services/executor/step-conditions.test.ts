import { describe, expect, it } from 'vitest';
import type { StepSpec } from '../playbooks/index.ts';
import type { Db, ExecutionStepRow } from '../store/index.ts';
import { withGuardrails } from './execution-engine.ts';
import { checkCondition, ranView } from './step-conditions.ts';

const ident = { executionId: 'ex', stepIndex: 0, name: 'rollback', type: 'http', idempotencyKey: 'ep:pb@1:rollback' };
const step = { id: 'rollback', type: 'http', when: 'deploy.ageSeconds <= 3600' } as StepSpec;
const row = (status: ExecutionStepRow['status']) => ({ idempotencyKey: ident.idempotencyKey, status }) as ExecutionStepRow;
// The branches below are decided by the recorded rows alone: a store is never reached.
const noDb = undefined as unknown as Db;

describe('a resumed execution keeps the branches it took', () => {
  const deployed = { anomaly: {}, steps: {}, deploy: { ageSeconds: 10, version: '2', previousVersion: '1' } };
  const none = { anomaly: {}, steps: {}, deploy: null };

  it('a step recorded as skipped stays skipped though its condition now holds', async () => {
    expect(await checkCondition(noDb, ident, 'me', step, deployed, new Map([[ident.idempotencyKey, row('skipped')]]))).toEqual({ run: false });
  });

  it('a step that started runs on though its condition no longer holds', async () => {
    for (const status of ['running', 'pending', 'succeeded'] as const) {
      expect(await checkCondition(noDb, ident, 'me', step, none, new Map([[ident.idempotencyKey, row(status)]]))).toEqual({ run: true });
    }
  });

  it('a step without a condition runs; one whose condition holds runs', async () => {
    expect(await checkCondition(noDb, ident, 'me', { ...step, when: undefined }, none, new Map())).toEqual({ run: true });
    expect(await checkCondition(noDb, ident, 'me', step, deployed, new Map())).toEqual({ run: true });
  });
});

describe('what a step that ran tells later conditions', () => {
  it('an http step: ok and the status its target answered; a verify step that did not resolve: not ok', () => {
    expect(ranView({ ok: true, output: { response: { status: 409, body: '' } } })).toEqual({ ran: true, skipped: false, ok: true, status: 409 });
    expect(ranView({ ok: true, output: { verdict: 'not_resolved' } })).toEqual({ ran: true, skipped: false, ok: false, status: null });
    expect(ranView({ ok: false, error: 'boom' })).toEqual({ ran: true, skipped: false, ok: false, status: null });
  });
});

describe('guardrail endWaitsWhenClosed', () => {
  const wait = { id: 'settle', type: 'wait', wait: { seconds: 60 } } as StepSpec;
  const guard = (endWaitsWhenClosed: boolean) => ({ guardrails: { endWaitsWhenClosed } }) as never;

  it('makes a wait end when the episode closes, read every second unless the step says otherwise', () => {
    expect(withGuardrails(wait, guard(true)).wait).toEqual({ seconds: 60, untilEpisodeCloses: true, pollSeconds: 1 });
    expect(withGuardrails({ ...wait, wait: { seconds: 60, pollSeconds: 3 } }, guard(true)).wait).toEqual({
      seconds: 60,
      untilEpisodeCloses: true,
      pollSeconds: 3,
    });
    expect(withGuardrails(wait, guard(false))).toBe(wait);
    expect(withGuardrails({ id: 'r', type: 'http' } as StepSpec, guard(true))).toEqual({ id: 'r', type: 'http' });
  });
});
