import { describe, expect, it } from 'vitest';
import { PermanentError } from '../core/errors.ts';
import { AddressGuard, createRedactor, parseBundle, parseTemplate, renderTemplate, restrictedKind, type TemplateContext, validateBundle } from './index.ts';

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

describe('address rules', () => {
  it('classifies loopback, private and link-local addresses', () => {
    expect(
      ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1'].map(restrictedKind),
    ).toEqual(['loopback', 'private', 'private', 'private', 'cloud metadata', 'loopback', 'link-local', 'private (unique local)', 'loopback']);
    expect(restrictedKind('93.184.216.34')).toBeNull();
    expect(() => new AddressGuard(['10.0.0.0/8']).check('h', '10.9.9.9')).not.toThrow();
    expect(() => new AddressGuard(['10.0.0.0/8']).check('h', '192.168.0.1')).toThrow(/ZEROOPS_HTTP_ALLOWLIST/);
  });
});

describe('bundles', () => {
  const validation = { secrets: {}, commandAllowlist: [], httpAllowlist: [] };
  const doc = (name: string) => ({ name, mode: 'observe', match: { service: name }, steps: [{ id: 'w', type: 'wait', wait: { seconds: 1 } }] });
  const problemsOf = (fn: () => unknown): { path: string; message: string }[] => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(PermanentError);
      expect((err as PermanentError).code).toBe('ZEROOPS_PLAYBOOK_INVALID');
      return (err as PermanentError).details as { path: string; message: string }[];
    }
    throw new Error('expected a ZEROOPS_PLAYBOOK_INVALID error');
  };

  it('reads YAML documents separated by ---, a JSON list and {"playbooks": [...]} alike', () => {
    const yaml = 'name: a\nmode: observe\n---\nname: b\nmode: observe\n';
    expect(parseBundle(yaml)).toEqual([
      { name: 'a', mode: 'observe' },
      { name: 'b', mode: 'observe' },
    ]);
    expect(parseBundle([doc('a')])).toEqual([doc('a')]);
    expect(parseBundle(JSON.stringify({ playbooks: [doc('a'), doc('b')] }))).toEqual([doc('a'), doc('b')]);
  });

  it('refuses what is not a list, a bundle over 500 playbooks and broken YAML, naming where', () => {
    expect(problemsOf(() => parseBundle({ name: 'a' }))).toEqual([{ path: '/', message: 'expected a list of playbooks' }]);
    expect(problemsOf(() => parseBundle(Array.from({ length: 501 }, (_, i) => doc(`p${i}`))))).toEqual([
      { path: '/playbooks', message: 'at most 500 playbooks' },
    ]);
    expect(problemsOf(() => parseBundle('name: a\n---\nname: [b\n'))[0]?.message).toMatch(/^document 1: /);
  });

  it('validates every playbook, reports each problem under /playbooks/<index> and refuses duplicate names', () => {
    expect(validateBundle([doc('a'), doc('b')], validation).map((p) => p.name)).toEqual(['a', 'b']);
    const problems = problemsOf(() => validateBundle([doc('a'), { ...doc('b'), mode: 'sometimes' }, doc('a')], validation));
    expect(problems.map((p) => p.path)).toEqual(['/playbooks/1/mode', '/playbooks/2/name']);
    expect(problems[1]?.message).toBe('duplicate name "a" in the bundle');
  });
});
