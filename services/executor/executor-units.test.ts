import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AddressGuard, createRedactor, parseTemplate, renderTemplate, restrictedKind, type TemplateContext } from '../playbooks/index.ts';
import { finalState } from './execution-engine.ts';
import { inFreezeWindow } from './guardrails.ts';
import { sendRequest } from './steps/http-client.ts';
import { verifyVerdict } from './steps/wait-verify-step.ts';

const ctx: TemplateContext = {
  anomaly: { service: 'checkout', attributes: { env: 'prod' } },
  secret: { TOKEN: 's3cr3t-value' },
  execution: { id: 'ex1' },
  playbook: { id: 'p', name: 'n', version: 2 },
  step: { id: 'a', idempotencyKey: 'k' },
};

describe('templates', () => {
  it('renders paths and secrets, rejects bad syntax and unknown roots, redacts secret values', () => {
    expect(renderTemplate('/{{anomaly.service}}/{{ anomaly.attributes.env }}?v={{playbook.version}}&t={{secret.TOKEN}}', ctx)).toBe(
      '/checkout/prod?v=2&t=s3cr3t-value',
    );
    expect(() => parseTemplate('{{anomaly.service')).toThrow(/never closed/);
    expect(() => parseTemplate('a }} b')).toThrow(/unexpected/);
    expect(() => parseTemplate('{{env.HOME}}')).toThrow(/unknown root "env"/);
    expect(() => renderTemplate('{{secret.NOPE}}', ctx)).toThrow(/ZEROOPS_SECRET_NOPE/);
    expect(createRedactor(ctx.secret)({ url: 'x?t=s3cr3t-value', n: 1 })).toEqual({ url: 'x?t=[redacted]', n: 1 });
  });
});

describe('address guard', () => {
  it('classifies loopback, private and link-local addresses', () => {
    expect(
      ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1'].map(restrictedKind),
    ).toEqual(['loopback', 'private', 'private', 'private', 'cloud metadata', 'loopback', 'link-local', 'private (unique local)', 'loopback']);
    expect(restrictedKind('93.184.216.34')).toBeNull();
    expect(() => new AddressGuard(['10.0.0.0/8']).check('h', '10.9.9.9')).not.toThrow();
    expect(() => new AddressGuard(['10.0.0.0/8']).check('h', '192.168.0.1')).toThrow(/ZEROOPS_HTTP_ALLOWLIST/);
  });

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
