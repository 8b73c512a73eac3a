import { describe, expect, it } from 'vitest';
import { demoPlaybookBundle } from '../../../infra/demo/playbook-bundle.ts';
import { runPlaybookBundle } from './bench-start.ts';

const CONTROL = 'http://127.0.0.1:45678';

describe('the demo playbooks as a bench run applies them', () => {
  it('asks the control plane to answer each operation once carried out, with a longer step timeout', () => {
    const yaml = runPlaybookBundle(CONTROL, { waitSeconds: 5, awaitOperations: true });
    const ops = [...yaml.matchAll(/url: "([^"]+)"/g)].map((m) => m[1] as string).filter((u) => /\/(rollback|scale|restart)/.test(u));
    expect(ops.length).toBeGreaterThanOrEqual(9);
    for (const u of ops) expect(u).toMatch(/^http:\/\/127\.0\.0\.1:45678\/services\/\{\{anomaly\.service\}\}\/(rollback|scale|restart)\?wait=true$/);
    expect(yaml).toContain(`url: "${CONTROL}/notifications"`);
    expect(yaml).not.toMatch(/timeoutSeconds: 60\b/);
    expect(yaml).toMatch(/wait: \{ seconds: 5 \}/);
  });

  it('leaves the bundle as written without it', () => {
    expect(runPlaybookBundle(CONTROL, { waitSeconds: 5 })).toBe(demoPlaybookBundle(CONTROL, { waitSeconds: 5 }));
  });
});
