import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/core/config.ts';
import { isRetryable, PermanentError, RetryableError } from '../../../services/core/errors.ts';
import { createStepActivities, type StepActivities, type StepDeps, type StepRuntime } from '../../../services/executor/index.ts';
import { type ActionSpec, AddressGuard } from '../../../services/playbooks/index.ts';
import { type FakeKubeApi, startFakeKubeApi } from './fake-kube-api.ts';

/** The annotation a rollback writes (its idempotency key): part of the step's contract with the cluster. */
const ROLLBACK_KEY_ANNOTATION = 'zeroops.io/rollback-key';
/** Where a pod's service account token is mounted. */
const IN_CLUSTER_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const kubernetesStep = (deps: StepDeps) => createStepActivities(deps).kubernetes;

describe('kubernetes step against a fake Kubernetes API server', () => {
  let kube: FakeKubeApi;
  let step: StepActivities['kubernetes'];
  const FIRST_START = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

  beforeAll(async () => {
    kube = await startFakeKubeApi();
    step = kubernetesStep({ config: loadConfig({}), guard: new AddressGuard([]), readIncident: async () => undefined });
  });
  afterAll(async () => {
    await kube?.close();
  });
  beforeEach(() => {
    kube.requests.length = 0;
    kube.deployments.clear();
    kube.replicaSets.length = 0;
    kube.failNext.length = 0;
    kube.delayMs = 0;
  });

  // The fake speaks plain HTTP, which client-node only allows with TLS verification off (see the test of that below).
  const action = (kubernetes: Record<string, unknown>): ActionSpec =>
    ({
      id: 'k8s',
      type: 'kubernetes',
      kubernetes: {
        namespace: 'shop',
        deployment: '{{anomaly.service}}',
        server: kube.url,
        token: '{{secret.KUBE_TOKEN}}',
        insecureSkipTlsVerify: true,
        ...kubernetes,
      },
    }) as ActionSpec;
  const runtime = (key = 'ep-1:pb_1@1:k8s', timeoutMs = 5_000): StepRuntime => ({
    template: {
      anomaly: { service: 'checkout' },
      secret: { KUBE_TOKEN: kube.token },
      execution: { id: 'ex_1' },
      playbook: { id: 'pb_1', name: 'p', version: 1 },
      step: { id: 'k8s', idempotencyKey: key },
    },
    idempotencyKey: key,
    signal: new AbortController().signal,
    timeoutMs,
    firstStartedAt: FIRST_START,
    episodeId: 'ep-1',
    scoreBefore: 0.9,
  });
  const failure = async (p: Promise<unknown>): Promise<Error> =>
    p.then(
      () => {
        throw new Error('expected the step to fail');
      },
      (err: Error) => err,
    );

  it('scale: one merge patch on the scale subresource, with the bearer token', async () => {
    kube.addDeployment('shop', 'checkout', ['app:v1'], 2);
    const out = await step(action({ action: 'scale', replicas: 5 }), runtime());
    expect(kube.requests).toHaveLength(1);
    const [r] = kube.requests;
    expect([r!.method, r!.path]).toEqual(['PATCH', '/apis/apps/v1/namespaces/shop/deployments/checkout/scale']);
    expect(r!.headers['content-type']).toBe('application/merge-patch+json');
    expect(r!.headers.authorization).toBe(`Bearer ${kube.token}`);
    // client-node's generated AppsV1Api asks for JSON first and anything else after it.
    expect(r!.headers.accept).toBe('application/json, */*;q=0.8');
    expect(JSON.parse(r!.body)).toEqual({ spec: { replicas: 5 } });
    expect(out.response).toEqual({ replicas: 5 });
    expect(out.request).toEqual({ action: 'scale', namespace: 'shop', deployment: 'checkout', replicas: 5 });
    expect(kube.deployments.get('shop/checkout')!.spec.replicas).toBe(5);
  });

  it('scale: replicas from a placeholder (a forecast-triggered playbook), refused when it does not give a count', async () => {
    kube.addDeployment('shop', 'checkout', ['app:v1'], 2);
    const rt = runtime();
    rt.template.forecast = { replicas: 7, reason: 'surge ahead' };
    const out = await step(action({ action: 'scale', replicas: '{{forecast.replicas}}' }), rt);
    expect(JSON.parse(kube.requests[0]!.body)).toEqual({ spec: { replicas: 7 } });
    expect(out.request).toMatchObject({ replicas: 7 });
    const err = await failure(step(action({ action: 'scale', replicas: '{{forecast.reason}}' }), rt));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/kubernetes.replicas \{\{forecast.reason\}\} is "surge ahead", not a replica count/);
    expect(kube.requests).toHaveLength(1);
  });

  it('restart: a strategic merge patch of the restartedAt template annotation, the same on a retry', async () => {
    kube.addDeployment('shop', 'checkout', ['app:v1']);
    const at = new Date(FIRST_START).toISOString();
    const out = await step(action({ action: 'restart' }), runtime());
    await step(action({ action: 'restart' }), runtime());
    expect(kube.requests.map((r) => `${r.method} ${r.path}`)).toEqual(Array(2).fill('PATCH /apis/apps/v1/namespaces/shop/deployments/checkout'));
    for (const r of kube.requests) {
      expect(r.headers['content-type']).toBe('application/strategic-merge-patch+json');
      expect(JSON.parse(r.body)).toEqual({ spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } });
    }
    expect(out.response).toEqual({ restartedAt: at });
    const dep = kube.deployments.get('shop/checkout')!;
    expect(dep.spec.template.metadata.annotations).toEqual({ 'kubectl.kubernetes.io/restartedAt': at });
    // The second, identical patch changed nothing: one new revision, not two.
    expect(dep.metadata.annotations['deployment.kubernetes.io/revision']).toBe('2');
  });

  it('rollback: reads the Deployment and its ReplicaSets, puts back the previous template with a JSON patch, once per key', async () => {
    const dep = kube.addDeployment('shop', 'checkout', ['app:v1', 'app:v2', 'app:v3']);
    // Same labels, another owner: must not be taken for a revision of checkout.
    kube.replicaSets.push({
      metadata: {
        name: 'impostor',
        namespace: 'shop',
        labels: { app: 'checkout' },
        annotations: { 'deployment.kubernetes.io/revision': '2' },
        ownerReferences: [{ uid: 'other' }],
      },
      spec: { template: { spec: { containers: [{ name: 'x', image: 'evil' }] } } },
    });
    const out = await step(action({ action: 'rollback' }), runtime('ep-1:pb_1@1:rb'));
    expect(kube.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /apis/apps/v1/namespaces/shop/deployments/checkout',
      'GET /apis/apps/v1/namespaces/shop/replicasets',
      'PATCH /apis/apps/v1/namespaces/shop/deployments/checkout',
    ]);
    expect(kube.requests[1]!.query.get('labelSelector')).toBe('app=checkout');
    const patch = kube.requests[2]!;
    expect(patch.headers['content-type']).toBe('application/json-patch+json');
    expect(JSON.parse(patch.body)).toEqual([
      {
        op: 'replace',
        path: '/spec/template',
        value: { metadata: { labels: { app: 'checkout' } }, spec: { containers: [{ name: 'checkout', image: 'app:v2' }] } },
      },
      { op: 'add', path: '/metadata/annotations/zeroops.io~1rollback-key', value: 'ep-1:pb_1@1:rb' },
    ]);
    expect(out.response).toEqual({ rolledBackTo: 2, from: 3 });
    expect(dep.spec.template.spec.containers[0].image).toBe('app:v2');
    expect(dep.metadata.annotations[ROLLBACK_KEY_ANNOTATION]).toBe('ep-1:pb_1@1:rb');

    // Re-running the step (a retry, or a resume after a crash) finds its key and does not roll back a second revision.
    kube.requests.length = 0;
    const again = await step(action({ action: 'rollback' }), runtime('ep-1:pb_1@1:rb'));
    expect(kube.requests.map((r) => r.method)).toEqual(['GET']);
    expect(again.response).toEqual({ alreadyDone: true, revision: 4 });
    expect(dep.spec.template.spec.containers[0].image).toBe('app:v2');
  });

  it('rollback puts back template fields that client-node models do not know', async () => {
    const dep = kube.addDeployment('shop', 'checkout', ['app:v1', 'app:v2']);
    // A field from a Kubernetes release newer than the client: a typed round trip would drop it.
    kube.replicaSets[0]!.spec.template.spec.futureField = { enabled: true };
    await step(action({ action: 'rollback' }), runtime('ep-1:pb_1@1:rb'));
    const patch = JSON.parse(kube.requests.at(-1)!.body) as { value: unknown }[];
    expect(patch[0]!.value).toEqual({
      metadata: { labels: { app: 'checkout' } },
      spec: { containers: [{ name: 'checkout', image: 'app:v1' }], futureField: { enabled: true } },
    });
    expect(dep.spec.template.spec.futureField).toEqual({ enabled: true });
  });

  it('rollback without an earlier revision is a permanent failure', async () => {
    kube.addDeployment('shop', 'checkout', ['app:v1']);
    const err = await failure(step(action({ action: 'rollback' }), runtime()));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toBe('deployment shop/checkout has no revision before 1');
    expect(kube.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);
  });

  it('a missing Deployment is a permanent failure that names it', async () => {
    const err = await failure(step(action({ action: 'scale', replicas: 3 }), runtime()));
    expect(err).toBeInstanceOf(PermanentError);
    expect(isRetryable(err)).toBe(false);
    expect((err as PermanentError).code).toBe('ZEROOPS_K8S_NOT_FOUND');
    expect(err.message).toBe('deployment shop/checkout not found (404 on PATCH): deployments.apps "checkout" not found');
  });

  it('409 Conflict and 5xx are retryable; a wrong token is permanent', async () => {
    kube.addDeployment('shop', 'checkout', ['app:v1']);
    for (const code of [409, 500, 503]) {
      kube.failNext.push(code);
      const err = await failure(step(action({ action: 'scale', replicas: 4 }), runtime()));
      expect(err, `status ${code}`).toBeInstanceOf(RetryableError);
      expect(isRetryable(err)).toBe(true);
      expect(err.message).toContain(code === 409 ? '(409 on PATCH)' : `answered ${code} on PATCH deployment shop/checkout`);
    }
    expect(kube.deployments.get('shop/checkout')!.spec.replicas).toBe(2);
    // The next attempt, with nothing failing, applies it.
    await step(action({ action: 'scale', replicas: 4 }), runtime());
    expect(kube.deployments.get('shop/checkout')!.spec.replicas).toBe(4);

    const err = await failure(step(action({ action: 'scale', replicas: 4, token: 'wrong' }), runtime()));
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('ZEROOPS_K8S_UNAUTHORIZED');
    expect(kube.requests.at(-1)!.headers.authorization).toBe('Bearer wrong');

    kube.failNext.push(403);
    const forbidden = await failure(step(action({ action: 'scale', replicas: 4 }), runtime()));
    expect(forbidden).toBeInstanceOf(PermanentError);
    expect((forbidden as PermanentError).code).toBe('ZEROOPS_K8S_FORBIDDEN');
    expect(forbidden.message).toContain(
      'the token may not PATCH deployment shop/checkout (403; check the RBAC role): deployments.apps "checkout" is forbidden',
    );
  });

  it('an unreachable API server and a slow one are retryable', async () => {
    kube.addDeployment('shop', 'checkout', ['app:v1']);
    const closed = await startFakeKubeApi();
    const url = closed.url;
    await closed.close();
    const refused = await failure(step(action({ action: 'scale', replicas: 3, server: url }), runtime()));
    expect(refused).toBeInstanceOf(RetryableError);
    expect((refused as RetryableError).code).toBe('ZEROOPS_K8S_NETWORK');

    kube.delayMs = 2_000;
    const slow = await failure(step(action({ action: 'scale', replicas: 3 }), runtime(undefined, 200)));
    expect(slow).toBeInstanceOf(RetryableError);
    expect(slow.message).toBe('PATCH deployment shop/checkout: no answer within 200 ms');
  });

  it('refuses a plain http server unless TLS verification is off, without sending the token', async () => {
    kube.addDeployment('shop', 'checkout', ['app:v1']);
    const err = await failure(step(action({ action: 'scale', replicas: 3, insecureSkipTlsVerify: false }), runtime()));
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('ZEROOPS_K8S_CONFIG_INVALID');
    expect(err.message).toContain('set kubernetes.insecureSkipTlsVerify: true');
    expect(kube.requests).toHaveLength(0);
  });

  describe('without a server, the default kubeconfig', () => {
    const saved = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME };
    afterEach(() => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });
    const kubeconfig = async (token: string): Promise<string> => {
      const dir = await mkdtemp(join(tmpdir(), 'zeroops-kubeconfig-'));
      const file = join(dir, 'config');
      const yaml = [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: fake\n  cluster:\n    server: ${kube.url}\n    insecure-skip-tls-verify: true`,
        'users:',
        `- name: bot\n  user:\n    token: ${token}`,
        'contexts:',
        '- name: fake\n  context:\n    cluster: fake\n    user: bot',
        'current-context: fake',
      ];
      await writeFile(file, `${yaml.join('\n')}\n`);
      return file;
    };
    const withoutServer = (extra: Record<string, unknown> = {}): ActionSpec => {
      const { server, token, ...rest } = action({ action: 'scale', replicas: 6, ...extra }).kubernetes!;
      void server;
      void token;
      return { id: 'k8s', type: 'kubernetes', kubernetes: { ...rest, ...extra } } as ActionSpec;
    };

    it('KUBECONFIG names the cluster and the user; a given token replaces that user', async () => {
      kube.addDeployment('shop', 'checkout', ['app:v1']);
      process.env.KUBECONFIG = await kubeconfig(kube.token);
      await step(withoutServer(), runtime());
      expect(kube.requests.at(-1)!.headers.authorization).toBe(`Bearer ${kube.token}`);
      expect(kube.deployments.get('shop/checkout')!.spec.replicas).toBe(6);

      const err = await failure(step(withoutServer({ token: 'other' }), runtime()));
      expect((err as PermanentError).code).toBe('ZEROOPS_K8S_UNAUTHORIZED');
      expect(kube.requests.at(-1)!.headers.authorization).toBe('Bearer other');
    });

    it('no kubeconfig and no service account is a permanent failure that says what to set', async () => {
      delete process.env.KUBECONFIG;
      process.env.HOME = await mkdtemp(join(tmpdir(), 'zeroops-home-'));
      const err = await failure(step(withoutServer(), runtime()));
      expect(err).toBeInstanceOf(PermanentError);
      expect((err as PermanentError).code).toBe('ZEROOPS_K8S_CONFIG_INVALID');
      expect(err.message).toContain('set kubernetes.server and kubernetes.token');
      expect(kube.requests).toHaveLength(0);
    });
  });

  it('without a token, reads the in-cluster service account token file', async () => {
    kube.addDeployment('shop', 'checkout', ['app:v1']);
    const dir = await mkdtemp(join(tmpdir(), 'zeroops-kube-'));
    await writeFile(join(dir, 'token'), `${kube.token}\n`);
    const asked: string[] = [];
    const inCluster = kubernetesStep({
      config: loadConfig({}),
      guard: new AddressGuard([]),
      readIncident: async () => undefined,
      readFile: async (path) => {
        asked.push(path);
        return readFile(join(dir, 'token'), 'utf8');
      },
    });
    const { token, ...withoutToken } = action({ action: 'scale', replicas: 1 }).kubernetes!;
    void token;
    await inCluster({ id: 'k8s', type: 'kubernetes', kubernetes: withoutToken } as ActionSpec, runtime());
    expect(asked).toEqual([IN_CLUSTER_TOKEN_FILE]);
    expect(kube.requests.at(-1)!.headers.authorization).toBe(`Bearer ${kube.token}`);
  });
});
