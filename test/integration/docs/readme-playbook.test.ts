import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiApp } from '../../../services/api/index.ts';
import { buildTestApp, type TestApp } from '../../helpers/api-app.ts';

/** The first ```yaml block of the README's section `heading`. */
function readmeYaml(heading: string): string {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const m = readme.slice(readme.indexOf(heading)).match(/```yaml\n([\s\S]*?)```/);
  if (!m?.[1]) throw new Error(`README has no yaml block under ${heading}`);
  return m[1];
}

/** The first ```yaml block of the README's Playbooks section. */
function readmePlaybook(): string {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Playbooks'));
  const m = section.match(/```yaml\n([\s\S]*?)```/);
  if (!m?.[1]) throw new Error('README has no yaml block under ## Playbooks');
  return m[1];
}

describe('the README playbook example', () => {
  let built: TestApp;
  let app: ApiApp;

  beforeAll(async () => {
    // The example references three secrets; a playbook naming an unconfigured secret is refused.
    built = await buildTestApp({
      env: {
        ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1',
        ZEROOPS_SECRET_DEPLOY_TOKEN: 't',
        ZEROOPS_SECRET_SLACK_WEBHOOK: 'https://hooks.example/x',
        ZEROOPS_SECRET_PD_KEY: 'k',
      },
    });
    app = built.app;
  });

  afterAll(async () => {
    await built?.close();
  });

  it('is a valid playbook as documented', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/playbooks/validate',
      headers: { 'content-type': 'application/yaml' },
      payload: readmePlaybook(),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ valid: true, playbook: { name: 'restart-checkout', mode: 'auto' } });
  });

  it('breaking it gives 400 naming the field', async () => {
    const broken = readmePlaybook().replace('timeoutSeconds: 10', 'timeoutSeconds: -1');
    const res = await app.inject({ method: 'POST', url: '/api/v1/playbooks/validate', headers: { 'content-type': 'application/yaml' }, payload: broken });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('ZEROOPS_PLAYBOOK_INVALID');
    expect(JSON.stringify(res.json().error.details)).toContain('/steps/0/timeoutSeconds');
  });

  it('the predictive scaling example is a valid forecast-triggered playbook, and a bad trigger gives 400 naming the field', async () => {
    const yaml = readmeYaml('### Predictive scaling');
    const validate = (payload: string) =>
      app.inject({ method: 'POST', url: '/api/v1/playbooks/validate', headers: { 'content-type': 'application/yaml' }, payload });
    const res = await validate(yaml);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ playbook: { name: 'predict-cart', trigger: { type: 'forecast', leadSeconds: 120, maxReplicas: 6 } } });
    const broken = await validate(yaml.replace('maxReplicas: 6', 'maxReplicas: 0'));
    expect(broken.statusCode).toBe(400);
    expect(JSON.stringify(broken.json().error.details)).toContain('/trigger/maxReplicas');
  });
});
