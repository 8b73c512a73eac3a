import { describe, expect, it } from 'vitest';
import { type ConditionContext, conditionProblems, evaluateCondition, parseCondition } from './step-condition.ts';

const ctx: ConditionContext = {
  anomaly: { kind: 'errors', score: 0.93, severity: 'critical', attributes: { 'zeroops.demand': 'above', env: 'prod' } },
  steps: {
    rollback: { ran: true, skipped: false, ok: true, status: 409 },
    '1st': { ran: false, skipped: true, ok: false, status: null },
  },
  deploy: { ageSeconds: 42, version: '1.5.0', previousVersion: '1.4.0' },
};
const value = (src: string, c: ConditionContext = ctx) => evaluateCondition(src, c).value;

describe('step conditions: evaluation', () => {
  it('compares paths with literals, lists and keys', () => {
    expect(value('anomaly.kind == "errors"')).toBe(true);
    expect(value("anomaly.kind != 'errors'")).toBe(false);
    expect(value('anomaly.attributes["zeroops.demand"] == "above"')).toBe(true);
    expect(value('steps.rollback.status in [200, 202]')).toBe(false);
    expect(value('steps.rollback.status in [200, 202, 409]')).toBe(true);
    expect(value('"env" in anomaly.attributes')).toBe(true);
    expect(value('"zone" in anomaly.attributes')).toBe(false);
    expect(value('deploy.ageSeconds <= 3600 && anomaly.score > .9')).toBe(true);
    expect(value('deploy.ageSeconds >= -1e3')).toBe(true);
    expect(value('steps.1st.skipped')).toBe(true);
  });

  it('reads a path that names nothing as null: never less than a number, equal only to null', () => {
    const none = { ...ctx, deploy: null };
    expect(value('deploy.ageSeconds <= 3600', none)).toBe(false);
    expect(value('deploy.ageSeconds > 3600', none)).toBe(false);
    expect(value('deploy.ageSeconds == null', none)).toBe(true);
    expect(value('anomaly.attributes.missing == null')).toBe(true);
    expect(value('!anomaly.attributes.missing')).toBe(true);
  });

  it('binds ! tighter than &&, && tighter than ||, and groups with parentheses', () => {
    expect(value('true || false && false')).toBe(true);
    expect(value('(true || false) && false')).toBe(false);
    expect(value('!steps.rollback.ran || true')).toBe(true);
    expect(value('!(steps.rollback.status in [200, 202]) && !steps.1st.ran')).toBe(true);
  });

  it('records the values it read, only those that decided the verdict', () => {
    expect(evaluateCondition('deploy.ageSeconds > 60 && anomaly.kind == "errors"', ctx)).toEqual({ value: false, read: { 'deploy.ageSeconds': 42 } });
    expect(evaluateCondition('steps.rollback.status in [200] || steps.1st.skipped', ctx).read).toEqual({
      'steps.rollback.status': 409,
      'steps.1st.skipped': true,
    });
  });

  it('reads quoted text with escapes as written', () => {
    expect(value('anomaly.kind == "err\\"ors"', { ...ctx, anomaly: { kind: 'err"ors' } })).toBe(true);
  });
});

describe('step conditions: syntax and validation', () => {
  it('names the first syntax error and where', () => {
    expect(() => parseCondition('anomaly.kind == ')).toThrow(/ends where a value is expected/);
    expect(() => parseCondition('anomaly.kind = "x"')).toThrow(/unexpected "=" at offset 13/);
    expect(() => parseCondition('(true')).toThrow(/expected "\)"/);
    expect(() => parseCondition('"open')).toThrow(/never closed/);
    expect(() => parseCondition('true true')).toThrow(/unexpected "true" at offset 5/);
    expect(() => parseCondition(`${'!'.repeat(40)}true`)).toThrow(/nested more than/);
  });

  it('accepts known roots and fields and earlier steps only', () => {
    expect(conditionProblems('steps.rollback.status in [200, 202] && deploy.ageSeconds < 60', ['rollback'])).toEqual([]);
    expect(conditionProblems('steps.later.ran', ['rollback'], ['this', 'later'])).toEqual([
      '"steps.later.ran": step "later" does not come before this one; a condition reads only earlier steps',
    ]);
    expect(conditionProblems('steps.nope.ran', ['rollback'])).toEqual(['"steps.nope.ran": unknown step id "nope"']);
    expect(conditionProblems('steps.rollback', ['rollback'])[0]).toMatch(/expected steps.rollback.<ran, skipped, ok, status>/);
    expect(conditionProblems('deploy.when', [])[0]).toMatch(/expected deploy.<ageSeconds, version, previousVersion>/);
    expect(conditionProblems('anomaly.colour == 1', [])[0]).toMatch(/unknown anomaly field "colour"/);
    expect(conditionProblems('secret.TOKEN == "x"', [])[0]).toMatch(/unknown root "secret"/);
    expect(conditionProblems('anomaly', [])[0]).toMatch(/name a field/);
  });
});
