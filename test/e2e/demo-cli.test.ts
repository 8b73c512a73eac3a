import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoSystem, startDemo } from '../../infra/demo/demo-system.ts';
import { applyDemoPlaybooks } from '../../infra/demo/playbook-bundle.ts';
import { type Runtime, startRuntime } from '../../services/cli/runtime.ts';
import { loadConfig } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { spawnZeroops } from '../helpers/zeroops-process.ts';

async function runCli(args: string[], dataDir: string): Promise<{ code: number | string; out: string; err: string }> {
  const p = spawnZeroops(['demo', ...args], { ZEROOPS_DATA_DIR: dataDir });
  const code = await p.exited;
  return { code, out: p.stdout(), err: p.stderr() };
}

describe('zeroops demo (CLI) and the demo playbooks', () => {
  let dataDir: string;
  let demo: DemoSystem;
  let rt: Runtime;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'zeroops-demo-cli-'));
    demo = await startDemo({ dataDir, otlpEndpoint: '', services: ['sessions-db'], controlPort: 0, serviceBasePort: 0 });
    const config = loadConfig({ ZEROOPS_DATA_DIR: dataDir, ZEROOPS_API_PORT: '0', ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1' });
    rt = await startRuntime(config, silentLogger(), ['api']);
  }, 240_000);

  afterAll(async () => {
    await demo?.stop();
    await rt?.stop();
  }, 60_000);

  it('finds the control plane through the state file: services, fault, clear', async () => {
    const services = await runCli(['services'], dataDir);
    expect(services.code, services.err).toBe(0);
    expect(services.out).toMatch(/sessions-db\s+1\.4\.2\s+1 /);

    const injected = await runCli(['fault', 'sessions-db', 'errors', '--magnitude', '1', '--duration', '900'], dataDir);
    expect(injected.code, injected.err).toBe(0);
    expect(injected.out).toContain('injected');
    expect((await fetch(`${demo.supervisor.url('sessions-db')}/get`)).status).toBe(500);

    const cleared = await runCli(['clear', 'sessions-db'], dataDir);
    expect(cleared.code, cleared.err).toBe(0);
    expect(cleared.out).toContain('cleared f1-sessions-db-errors');
    expect((await fetch(`${demo.supervisor.url('sessions-db')}/get`)).status).toBe(200);
  }, 300_000);

  it('refuses an unknown kind with the list of kinds, and says when no control plane answers', async () => {
    const bad = await runCli(['fault', 'sessions-db', 'meltdown'], dataDir);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('kind must be one of latency, errors, crash-loop');
    const none = await runCli(['services', '--url', 'http://127.0.0.1:1'], dataDir);
    expect(none.code).toBe(1);
    expect(none.err).toContain('no demo control plane answers at http://127.0.0.1:1');
  }, 300_000);

  it('the demo playbooks pass validation and are applied through the bundle apply, pointing at this control plane', async () => {
    const api = rt.addresses.api as string;
    const r = await applyDemoPlaybooks(api, demo.controlUrl);
    expect(r.created.sort()).toEqual(['demo-errors', 'demo-latency', 'demo-predictive-scale', 'demo-traffic']);
    const again = await applyDemoPlaybooks(api, demo.controlUrl);
    expect(again.unchanged).toHaveLength(4);
    const list = (await (await fetch(`${api}/api/v1/playbooks`)).json()) as {
      items: Array<{ name: string; spec: { steps: Array<{ http?: { url: string } }> } }>;
    };
    const errors = list.items.find((p) => p.name === 'demo-errors');
    expect(errors?.spec.steps[0]?.http?.url).toBe(`${demo.controlUrl}/services/{{anomaly.service}}/rollback`);
    const predictive = list.items.find((p) => p.name === 'demo-predictive-scale') as unknown as {
      spec: { trigger: { type: string }; steps: Array<{ http: { url: string; body: unknown } }> };
    };
    expect(predictive.spec.trigger.type).toBe('forecast');
    expect(predictive.spec.steps[0]?.http).toMatchObject({
      url: `${demo.controlUrl}/services/{{anomaly.service}}/scale`,
      body: { replicas: '{{forecast.replicas}}' },
    });
  }, 60_000);
});
