import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

// Kubernetes objects are untyped JSON here, as in the step itself.
// biome-ignore lint/suspicious/noExplicitAny: untyped JSON, as the API server sends it.
type Obj = Record<string, any>;

/** A request the fake API server received. */
export interface KubeRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A real HTTP server implementing the few apps/v1 paths the kubernetes step
 * uses, with the API server's behaviour where the step depends on it: bearer
 * token auth (401), `Status` bodies, 404 for unknown Deployments, 415 for a
 * patch content type a path does not accept, the scale subresource, merge /
 * strategic-merge / JSON patches, revisions bumped on a pod template change,
 * and ReplicaSets listed by label selector.
 */
export interface FakeKubeApi {
  url: string;
  /** The only bearer token accepted. */
  token: string;
  requests: KubeRequest[];
  /** Deployments by `<namespace>/<name>`. */
  deployments: Map<string, Obj>;
  replicaSets: Obj[];
  /** Statuses to answer the next requests with (with a `Status` body), before serving normally. */
  failNext: number[];
  /** Milliseconds to wait before answering each request (0: answer at once). */
  delayMs: number;
  /** Adds a Deployment whose revisions ran `images` in order (the last is current), each with its ReplicaSet. */
  addDeployment(namespace: string, name: string, images: string[], replicas?: number): Obj;
  close(): Promise<void>;
}

const REASONS: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  415: 'UnsupportedMediaType',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};
const status = (code: number, message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason: REASONS[code] ?? 'Unknown',
  code,
});
const REVISION = 'deployment.kubernetes.io/revision';
const FAIL_MESSAGES: Record<number, string> = {
  403: 'deployments.apps "checkout" is forbidden: User "system:serviceaccount:zeroops:executor" cannot patch resource "deployments/scale" in API group "apps"',
  409: 'Operation cannot be fulfilled on deployments.apps: the object has been modified; please apply your changes to the latest version and try again',
};

function mergePatch(target: Obj, patch: Obj): Obj {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete target[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof target[k] === 'object' && target[k] !== null) mergePatch(target[k], v);
    else target[k] = structuredClone(v);
  }
  return target;
}

function jsonPatch(target: Obj, ops: Obj[]): Obj {
  for (const op of ops) {
    const parts = String(op.path)
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop()!;
    let at = target;
    for (const p of parts) {
      if (typeof at[p] !== 'object' || at[p] === null) throw new Error(`path ${op.path} does not exist`);
      at = at[p];
    }
    if (op.op === 'replace' && !(last in at)) throw new Error(`replace: ${op.path} does not exist`);
    if (op.op !== 'add' && op.op !== 'replace') throw new Error(`op ${op.op} not supported by the fake`);
    at[last] = structuredClone(op.value);
  }
  return target;
}

const PATCH_TYPES = ['application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json'];

/** Starts a {@link FakeKubeApi} on 127.0.0.1 (ephemeral port). */
export async function startFakeKubeApi(token = `t-${randomUUID()}`): Promise<FakeKubeApi> {
  const api: FakeKubeApi = {
    url: '',
    token,
    requests: [],
    deployments: new Map(),
    replicaSets: [],
    failNext: [],
    delayMs: 0,
    addDeployment(namespace, name, images, replicas = 2) {
      const uid = randomUUID();
      const labels = { app: name };
      const templateOf = (image: string, hash: string) => ({
        metadata: { labels: { ...labels, 'pod-template-hash': hash } },
        spec: { containers: [{ name, image }] },
      });
      images.forEach((image, i) => {
        const hash = `h${i + 1}`;
        api.replicaSets.push({
          metadata: {
            name: `${name}-${hash}`,
            namespace,
            labels: { ...labels, 'pod-template-hash': hash },
            annotations: { [REVISION]: String(i + 1) },
            ownerReferences: [{ kind: 'Deployment', name, uid }],
          },
          spec: { template: templateOf(image, hash) },
        });
      });
      const current = templateOf(images.at(-1)!, 'x');
      delete (current.metadata.labels as Obj)['pod-template-hash'];
      const dep = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace, uid, annotations: { [REVISION]: String(images.length) } },
        spec: { replicas, selector: { matchLabels: labels }, template: current },
      };
      api.deployments.set(`${namespace}/${name}`, dep);
      return dep;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  function serve(r: KubeRequest): [number, unknown] {
    if (r.headers.authorization !== `Bearer ${api.token}`) return [401, status(401, 'Unauthorized')];
    const fail = api.failNext.shift();
    if (fail !== undefined) return [fail, status(fail, FAIL_MESSAGES[fail] ?? 'etcdserver: request timed out')];
    const rs = r.path.match(/^\/apis\/apps\/v1\/namespaces\/([^/]+)\/replicasets$/);
    if (rs && r.method === 'GET') {
      const want = (r.query.get('labelSelector') ?? '')
        .split(',')
        .filter(Boolean)
        .map((kv) => kv.split('='));
      const items = api.replicaSets.filter((x) => x.metadata.namespace === rs[1] && want.every(([k, v]) => x.metadata.labels?.[k!] === v));
      return [200, { kind: 'ReplicaSetList', apiVersion: 'apps/v1', items }];
    }
    const m = r.path.match(/^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+?)(\/scale)?$/);
    if (!m) return [404, status(404, 'the server could not find the requested resource')];
    const dep = api.deployments.get(`${m[1]}/${m[2]}`);
    if (!dep) return [404, status(404, `deployments.apps "${m[2]}" not found`)];
    if (r.method === 'GET') return [200, m[3] ? { kind: 'Scale', spec: { replicas: dep.spec.replicas } } : dep];
    if (r.method !== 'PATCH') return [405, status(405, 'method not allowed')];
    const type = String(r.headers['content-type'] ?? '');
    if (!PATCH_TYPES.includes(type))
      return [415, status(415, `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`)];
    const patch = JSON.parse(r.body) as Obj;
    if (m[3]) {
      if (type === 'application/json-patch+json') return [415, status(415, 'the fake accepts merge patches on /scale')];
      const before = dep.spec.replicas;
      dep.spec.replicas = mergePatch({ spec: { replicas: before } }, patch).spec.replicas;
      return [
        200,
        {
          kind: 'Scale',
          apiVersion: 'autoscaling/v1',
          metadata: { name: m[2], namespace: m[1] },
          spec: { replicas: dep.spec.replicas },
          status: { replicas: before },
        },
      ];
    }
    const templateBefore = JSON.stringify(dep.spec.template);
    try {
      if (type === 'application/json-patch+json') jsonPatch(dep, patch as unknown as Obj[]);
      else mergePatch(dep, patch);
    } catch (err) {
      return [422, status(422, (err as Error).message)];
    }
    if (JSON.stringify(dep.spec.template) !== templateBefore) dep.metadata.annotations[REVISION] = String(Number(dep.metadata.annotations[REVISION]) + 1);
    return [200, dep];
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://fake');
      const r: KubeRequest = {
        method: req.method ?? '',
        path: u.pathname,
        query: u.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      api.requests.push(r);
      const [code, body] = serve(r);
      const answer = () => {
        // The client may have given up (timeout) and closed the connection meanwhile.
        if (!res.destroyed) res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (api.delayMs > 0) setTimeout(answer, api.delayMs).unref();
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}
