/**
 * The demo playbook bundle as the bench applies it: the control plane's
 * address, and settle waits scaled to a run's shorter windows.
 */
import { describe, expect, it } from 'vitest';
import { demoPlaybookBundle } from '../../../infra/demo/playbook-bundle.ts';
import { parseBundle, validateBundle } from '../../../services/playbooks/index.ts';

const ctx = { secrets: {}, commandAllowlist: [], httpAllowlist: ['127.0.0.1'] };
const waitsOf = (yaml: string) =>
  validateBundle(parseBundle(yaml), ctx).flatMap((p) => p.steps.filter((s) => s.type === 'wait').map((s) => `${p.name}:${s.wait?.seconds}`));

describe('the demo playbook bundle', () => {
  it('keeps the waits as written by default and sets every one to waitSeconds when given', () => {
    const asWritten = waitsOf(demoPlaybookBundle('http://127.0.0.1:9999'));
    expect(asWritten.length).toBeGreaterThanOrEqual(6);
    // 60 s after the operation the evidence points to, 30 s after each later one.
    expect(new Set(asWritten.map((w) => w.split(':')[1]))).toEqual(new Set(['60', '30']));
    const short = waitsOf(demoPlaybookBundle('http://127.0.0.1:9999', { waitSeconds: 15 }));
    expect(short).toEqual(asWritten.map((w) => w.replace(/:\d+$/, ':15')));
    expect(demoPlaybookBundle('http://127.0.0.1:9999')).toContain('http://127.0.0.1:9999/services/');
  });

  it('ends every settle wait of the remediating playbooks once the episode closed', () => {
    const remediating = validateBundle(parseBundle(demoPlaybookBundle('http://127.0.0.1:9999')), ctx).filter((p) => p.steps.some((s) => s.type === 'wait'));
    expect(remediating.map((p) => p.name)).toEqual(['demo-errors', 'demo-latency', 'demo-traffic']);
    expect(remediating.every((p) => p.guardrails.endWaitsWhenClosed)).toBe(true);
  });

  it('sets every per-service cooldown to cooldownSeconds when given', () => {
    const cooldowns = (yaml: string) => validateBundle(parseBundle(yaml), ctx).map((p) => `${p.name}:${p.guardrails.cooldownSeconds}`);
    const asWritten = cooldowns(demoPlaybookBundle('http://127.0.0.1:9999'));
    expect(asWritten).toContain('demo-latency:120');
    const short = cooldowns(demoPlaybookBundle('http://127.0.0.1:9999', { cooldownSeconds: 60 }));
    expect(short).toEqual(asWritten.map((c) => c.replace(/:\d+$/, ':60')));
  });
});
