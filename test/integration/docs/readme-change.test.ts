import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertChangeRequest } from '../../../services/executor/index.ts';

/** The first ```json block of the README's Managed rollouts section. */
function readmeChange(): unknown {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const m = readme.slice(readme.indexOf('### Managed rollouts')).match(/```json\n([\s\S]*?)```/);
  if (!m?.[1]) throw new Error('README has no json block under ### Managed rollouts');
  return JSON.parse(m[1]);
}

describe('the README managed rollout example', () => {
  it('is a valid change request as documented (the demo control plane allowlisted, as make demo does)', () => {
    const spec = assertChangeRequest(readmeChange(), { secrets: {}, commandAllowlist: [], httpAllowlist: ['127.0.0.1'] });
    expect(spec).toMatchObject({ service: 'cart', version: '1.6.0', maxDelaySeconds: 7200, watchSeconds: 600, baselineSeconds: 1800 });
    // Without the allowlist, the loopback target is refused with the field's path.
    expect(() => assertChangeRequest(readmeChange(), { secrets: {}, commandAllowlist: [], httpAllowlist: [] })).toThrow(/\/change\/http\/url/);
  });
});
