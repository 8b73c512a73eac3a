import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AddressGuard, assertPlaybook } from '../playbooks/index.ts';
import { executionBudgetMs, finalState } from './execution-engine.ts';
import { inFreezeWindow } from './guardrails.ts';
import { sendRequest } from './steps/http-client.ts';
import { verifyVerdict } from './steps/wait-verify-step.ts';

describe('address guard at call time', () => {
  it('refuses a loopback target unless allowlisted, also through DNS names', async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const req = (url: string, guard: AddressGuard) => sendRequest({ method: 'POST', url, headers: {}, timeoutMs: 2000, guard });
    await expect(req(`http://127.0.0.1:${port}/x`, new AddressGuard([]))).rejects.toThrow(/loopback address/);
    await expect(req(`http://localhost:${port}/x`, new AddressGuard([]))).rejects.toThrow(/refusing to call localhost/);
    expect(hits).toBe(0);
    expect((await req(`http://127.0.0.1:${port}/x`, new AddressGuard(['127.0.0.1']))).status).toBe(200);
    expect(hits).toBe(1);
    server.close();
  });
});

describe('pure decisions', () => {
  it('weekly freeze windows wrap past midnight', () => {
    const w = { days: ['fri' as const], from: '22:00', to: '06:00' };
    expect(inFreezeWindow(w, Date.parse('2024-06-07T23:00:00Z'))).toBe(true); // Friday night
    expect(inFreezeWindow(w, Date.parse('2024-06-08T05:00:00Z'))).toBe(true); // Saturday morning
    expect(inFreezeWindow(w, Date.parse('2024-06-08T07:00:00Z'))).toBe(false);
    expect(inFreezeWindow(w, Date.parse('2024-06-07T21:59:00Z'))).toBe(false);
  });

  it('verify verdicts and final outcomes', () => {
    expect(verifyVerdict({ state: 'closed', lastScore: 0.9, scoreBefore: 0.5 }, false)).toBe('resolved');
    expect(verifyVerdict({ state: 'open', lastScore: 0.9, scoreBefore: 0.5 }, false)).toBeUndefined();
    expect(verifyVerdict({ state: 'open', lastScore: 0.9, scoreBefore: 0.5 }, true)).toBe('made_worse');
    expect(verifyVerdict({ state: 'open', lastScore: 0.4, scoreBefore: 0.5 }, true)).toBe('not_resolved');
    // A no-op fix: the score moves within noise (0.9991 -> 0.9995), as does the deviation (34 -> 35.5 spreads).
    expect(verifyVerdict({ state: 'open', lastScore: 0.9995, scoreBefore: 0.9991 }, true)).toBe('not_resolved');
    expect(verifyVerdict({ state: 'open', lastScore: 0.9995, scoreBefore: 0.9991, deviationBefore: 34, lastDeviation: 35.5 }, true)).toBe('not_resolved');
    // A real deterioration: 70% -> 100% errors against a spread of 0.02 (34 -> 49 spreads), or 4 -> 9 spreads.
    expect(verifyVerdict({ state: 'open', lastScore: 0.9999, scoreBefore: 0.9991, deviationBefore: 34, lastDeviation: 49 }, true)).toBe('made_worse');
    expect(verifyVerdict({ state: 'open', lastScore: 0.8, scoreBefore: 0.6, deviationBefore: 4, lastDeviation: 9 }, true)).toBe('made_worse');
    expect(verifyVerdict({ state: 'open', lastScore: 0.65, scoreBefore: 0.6, deviationBefore: 4, lastDeviation: 6 }, true)).toBe('not_resolved');
    // Deviations known before, but no event after the settling time: nothing says it got worse.
    expect(verifyVerdict({ state: 'open', lastScore: 0.99, scoreBefore: 0.6, deviationBefore: 4 }, true)).toBe('not_resolved');
    const done = [{ index: 0, id: 'a', type: 'http' }];
    expect(finalState({ done, verdict: 'not_resolved' }, { undone: 1, escalated: 1 }, false).outcome).toBe('escalated');
    expect(finalState({ done, verdict: 'made_worse' }, { undone: 1, escalated: 1 }, false).outcome).toBe('made_worse');
    expect(finalState({ done, failure: 'x' }, { undone: 1, escalated: 0 }, false).outcome).toBe('undone');
    expect(finalState({ done: [], closedEarly: 'a' }, undefined, true)).toMatchObject({ status: 'skipped', outcome: 'skipped' });
  });
});

describe('the deadline of an execution with a deferrable step', () => {
  it('includes the time the step may wait for its quiet window', () => {
    const spec = assertPlaybook(
      {
        name: 'drain-then-restart',
        mode: 'auto',
        match: { service: 'cart' },
        steps: [
          { id: 'drain', type: 'wait', wait: { seconds: 10 } },
          { id: 'restart', type: 'wait', wait: { seconds: 20 }, deferrable: { maxDelaySeconds: 3600 } },
        ],
      },
      { secrets: {}, commandAllowlist: [], httpAllowlist: [] },
    );
    expect(spec.steps[1]?.deferrable).toEqual({ maxDelaySeconds: 3600, durationSeconds: 300, worsenBy: 0.05 });
    expect(executionBudgetMs(spec)).toBe(60_000 + 10_000 + 20_000 + 3_600_000);
  });
});
