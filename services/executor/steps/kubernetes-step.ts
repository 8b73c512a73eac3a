import { readFile } from 'node:fs/promises';
import { PermanentError, RetryableError } from '../../core/errors.ts';
import type { KubernetesParams } from '../playbook-schema.ts';
import { renderTemplate } from '../template.ts';
import { sendRequest } from './http-client.ts';
import type { StepActivity, StepDeps, StepRuntime } from './types.ts';

/** Where the in-cluster service account credentials live. */
export const IN_CLUSTER = {
  server: 'https://kubernetes.default.svc',
  tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
  caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
};

/** Annotation recording which idempotency key last rolled a Deployment back (re-running the step is then a no-op). */
export const ROLLBACK_KEY_ANNOTATION = 'zeroops.io/rollback-key';

interface Api {
  call(method: string, path: string, body?: unknown, contentType?: string): Promise<unknown>;
}

/** The `message` of a Kubernetes `Status` body, if the body is one. */
function statusMessage(body: string): string {
  try {
    const st = JSON.parse(body) as { kind?: unknown; message?: unknown };
    return st.kind === 'Status' && typeof st.message === 'string' ? st.message : body.slice(0, 300);
  } catch (err) {
    void err; // Not JSON (a proxy's error page, say): quote it.
    return body.slice(0, 300);
  }
}

/**
 * Maps an API server answer to the step's error: 404 (no such Deployment or
 * namespace) and 401/403 (token, RBAC) are permanent with a message saying
 * what to fix; 409 (the object changed under us) is retryable like 5xx, 408
 * and 429, which the HTTP client already marks retryable.
 */
function kubernetesError(err: unknown, method: string, what: string): unknown {
  const res = (err as { details?: { status?: number; body?: string } }).details;
  if (!(err instanceof PermanentError || err instanceof RetryableError) || typeof res?.status !== 'number') return err;
  const why = statusMessage(res.body ?? '');
  const opts = { cause: err, details: res };
  if (res.status === 404) return new PermanentError('ZEROOPS_K8S_NOT_FOUND', `${what} not found (404 on ${method}): ${why}`, opts);
  if (res.status === 401) return new PermanentError('ZEROOPS_K8S_UNAUTHORIZED', `the Kubernetes API rejected the token (401) on ${method} ${what}: ${why}`, opts);
  if (res.status === 403) return new PermanentError('ZEROOPS_K8S_FORBIDDEN', `the token may not ${method} ${what} (403; check the RBAC role): ${why}`, opts);
  if (res.status === 409) return new RetryableError('ZEROOPS_K8S_CONFLICT', `${what} changed concurrently (409 on ${method}); retrying: ${why}`, opts);
  if (err instanceof RetryableError) return new RetryableError('ZEROOPS_K8S_UNAVAILABLE', `Kubernetes API answered ${res.status} on ${method} ${what}: ${why}`, opts);
  return new PermanentError('ZEROOPS_K8S_REJECTED', `Kubernetes API answered ${res.status} on ${method} ${what}: ${why}`, opts);
}

async function connect(p: KubernetesParams, deps: StepDeps, rt: StepRuntime, what: string): Promise<Api> {
  const read = deps.readFile ?? ((f: string) => readFile(f, 'utf8'));
  const server = (p.server === undefined ? IN_CLUSTER.server : renderTemplate(p.server, rt.template)).replace(/\/$/, '');
  const token = p.token === undefined ? (await read(IN_CLUSTER.tokenFile)).trim() : renderTemplate(p.token, rt.template);
  const ca = p.server === undefined ? await read(IN_CLUSTER.caFile) : undefined;
  return {
    async call(method, path, body, contentType = 'application/json') {
      const res = await sendRequest({
        method,
        url: `${server}${path}`,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': contentType }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        timeoutMs: rt.timeoutMs,
        signal: rt.signal,
        insecure: p.insecureSkipTlsVerify === true,
        ca,
      }).catch((err: unknown) => {
        throw kubernetesError(err, method, what);
      });
      return res.body === '' ? {} : (JSON.parse(res.body) as unknown);
    },
  };
}

type Obj = Record<string, any>; // Kubernetes objects are untyped JSON here.

const revisionOf = (o: Obj): number => Number(o?.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0);

async function rollback(api: Api, base: string, ns: string, key: string): Promise<unknown> {
  const dep = (await api.call('GET', base)) as Obj;
  if (dep?.metadata?.annotations?.[ROLLBACK_KEY_ANNOTATION] === key) return { alreadyDone: true, revision: revisionOf(dep) };
  const selector = Object.entries((dep?.spec?.selector?.matchLabels ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',');
  const list = (await api.call('GET', `/apis/apps/v1/namespaces/${ns}/replicasets?labelSelector=${encodeURIComponent(selector)}`)) as Obj;
  const current = revisionOf(dep);
  const owned = ((list?.items ?? []) as Obj[]).filter((rs) => (rs?.metadata?.ownerReferences ?? []).some((o: Obj) => o?.uid === dep?.metadata?.uid));
  const previous = owned.filter((rs) => revisionOf(rs) < current).sort((a, b) => revisionOf(b) - revisionOf(a))[0];
  if (!previous) throw new PermanentError('ZEROOPS_K8S_NO_PREVIOUS_REVISION', `deployment ${ns}/${dep?.metadata?.name} has no revision before ${current}`);
  const template = structuredClone(previous.spec.template) as Obj;
  if (template.metadata?.labels) delete template.metadata.labels['pod-template-hash'];
  const patch = [
    { op: 'replace', path: '/spec/template', value: template },
    { op: 'add', path: dep?.metadata?.annotations ? `/metadata/annotations/${ROLLBACK_KEY_ANNOTATION.replace('/', '~1')}` : '/metadata/annotations', value: dep?.metadata?.annotations ? key : { [ROLLBACK_KEY_ANNOTATION]: key } },
  ];
  await api.call('PATCH', base, patch, 'application/json-patch+json');
  return { rolledBackTo: revisionOf(previous), from: current };
}

/**
 * Creates the `kubernetes` step over the Kubernetes REST API (apps/v1
 * Deployments): `scale` sets spec.replicas through the scale subresource,
 * `restart` sets the `kubectl.kubernetes.io/restartedAt` template annotation
 * (to the step's first start time, so a retried step restarts once),
 * `rollback` puts back the pod template of the previous ReplicaSet revision.
 */
export function createKubernetesStep(deps: StepDeps): StepActivity {
  return async (action, rt) => {
    const p = action.kubernetes;
    if (!p) throw new PermanentError('ZEROOPS_STEP_INVALID', 'kubernetes step without kubernetes parameters');
    const ns = encodeURIComponent(renderTemplate(p.namespace, rt.template));
    const name = encodeURIComponent(renderTemplate(p.deployment, rt.template));
    const api = await connect(p, deps, rt, `deployment ${decodeURIComponent(ns)}/${decodeURIComponent(name)}`);
    const base = `/apis/apps/v1/namespaces/${ns}/deployments/${name}`;
    const request = { action: p.action, namespace: ns, deployment: name, replicas: p.replicas };
    if (p.action === 'scale') {
      const res = (await api.call('PATCH', `${base}/scale`, { spec: { replicas: p.replicas } }, 'application/merge-patch+json')) as Obj;
      return { request, response: { replicas: res?.spec?.replicas } };
    }
    if (p.action === 'restart') {
      const at = new Date(rt.firstStartedAt).toISOString();
      const patch = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } };
      await api.call('PATCH', base, patch, 'application/strategic-merge-patch+json');
      return { request, response: { restartedAt: at } };
    }
    return { request, response: await rollback(api, base, ns, rt.idempotencyKey) };
  };
}
