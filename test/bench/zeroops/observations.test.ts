import { describe, expect, it } from 'vitest';
import { unfinished } from './observations.ts';

describe('which executions the bench waits for', () => {
  it('waits for one that runs or waits, not for one that a guardrail skipped (it never gets a finishedAt)', () => {
    expect(unfinished({ status: 'running', finishedAt: null })).toBe(true);
    expect(unfinished({ status: 'pending', finishedAt: null })).toBe(true);
    expect(unfinished({ status: 'awaiting_approval', finishedAt: null })).toBe(true);
    expect(unfinished({ status: 'skipped', finishedAt: null })).toBe(false);
    expect(unfinished({ status: 'succeeded', finishedAt: '2026-12-06T04:51:15.000Z' })).toBe(false);
  });
});
