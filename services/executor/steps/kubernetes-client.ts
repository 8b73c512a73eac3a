import { readFile } from 'node:fs/promises';
import {
  AbortError,
  ApiException,
  AppsV1Api,
  type Cluster,
  type ConfigurationOptions,
  FetchError,
  KubeConfig,
  Observable,
  type ObservableMiddleware,
  type PatchStrategy,
  type RequestContext,
  type ResponseContext,
  setHeaderOptions,
  type User,
} from '@kubernetes/client-node';
import { withDeadline } from '../../core/deadline.ts';
import { PermanentError, RetryableError, ZeroopsError } from '../../core/errors.ts';
import { type KubernetesParams, renderTemplate, renderUrl } from '../../playbooks/index.ts';
import type { StepDeps, StepRuntime } from './types.ts';

/** Where the in-cluster service account token lives (read when `server` is given without `token`). */
export const IN_CLUSTER = {
  tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
};

/** Kubernetes objects handled as plain JSON (as the API server sent them). */
// biome-ignore lint/suspicious/noExplicitAny: untyped JSON from the API server.
export type Obj = Record<string, any>;

/** Per-call options handed to an AppsV1Api method. */
export type CallOptions = ConfigurationOptions<ObservableMiddleware>;

/**
 * The Kubernetes API as the step uses it: an `AppsV1Api` whose calls go
 * through {@link KubeClient.call} or {@link KubeClient.read}, which add the
 * step's deadline and cancellation and turn failures into PermanentError /
 * RetryableError.
 */
export interface KubeClient {
  apps: AppsV1Api;
  /**
   * Runs one API call. `patch` sets the request's Content-Type (client-node
   * would otherwise send every patch as `application/json-patch+json`).
   */
  call<T>(verb: string, send: (opts: CallOptions) => Promise<T>, patch?: PatchStrategy): Promise<T>;
  /**
   * Runs one API call and returns the answer's JSON as sent, not client-node's
   * typed model: the typed models drop fields they do not know, and a rollback
   * must put back a pod template whole even when the cluster is newer than
   * the client.
   */
  read(verb: string, send: (opts: CallOptions) => Promise<unknown>): Promise<Obj>;
}

const resolved = <T>(value: T): Observable<T> => new Observable(Promise.resolve(value));

/** Sends the request with `signal` (client-node's fetch takes its AbortSignal from the request context). */
function withSignal(signal: AbortSignal): ObservableMiddleware {
  return {
    pre: (ctx: RequestContext) => {
      ctx.setSignal(signal as Parameters<RequestContext['setSignal']>[0]);
      return resolved(ctx);
    },
    post: (rsp: ResponseContext) => resolved(rsp),
  };
}

/** Keeps the response body's text in `sink.text`, and leaves it readable for client-node's deserializer. */
function keepBody(sink: { text?: string }): ObservableMiddleware {
  return {
    pre: (ctx: RequestContext) => resolved(ctx),
    post: (rsp: ResponseContext) =>
      new Observable(
        rsp.body.text().then((text) => {
          sink.text = text;
          rsp.body = { text: async () => text, binary: async () => Buffer.from(text) };
          return rsp;
        }),
      ),
  };
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
 * Maps an API server status to the step's error: 404 (no such Deployment or
 * namespace) and 401/403 (token, RBAC) are permanent with a message saying
 * what to fix; 409 (the object changed under us), 5xx, 408 and 429 are
 * retryable; any other status is permanent.
 */
function statusError(err: ApiException<unknown>, verb: string, what: string): ZeroopsError {
  const status = err.code;
  const body = typeof err.body === 'string' ? err.body : '';
  // client-node drops the body of a 401 (its generated code throws before reading it).
  const why = body === '' ? '' : `: ${statusMessage(body)}`;
  const opts = { cause: err, details: { status, body } };
  if (status === 404) return new PermanentError('ZEROOPS_K8S_NOT_FOUND', `${what} not found (404 on ${verb})${why}`, opts);
  if (status === 401) return new PermanentError('ZEROOPS_K8S_UNAUTHORIZED', `the Kubernetes API rejected the token (401) on ${verb} ${what}${why}`, opts);
  if (status === 403) return new PermanentError('ZEROOPS_K8S_FORBIDDEN', `the token may not ${verb} ${what} (403; check the RBAC role)${why}`, opts);
  if (status === 409) return new RetryableError('ZEROOPS_K8S_CONFLICT', `${what} changed concurrently (409 on ${verb}); retrying${why}`, opts);
  if (status >= 500 || status === 429 || status === 408)
    return new RetryableError('ZEROOPS_K8S_UNAVAILABLE', `Kubernetes API answered ${status} on ${verb} ${what}${why}`, opts);
  return new PermanentError('ZEROOPS_K8S_REJECTED', `Kubernetes API answered ${status} on ${verb} ${what}${why}`, opts);
}

/** Classifies anything a client-node call threw. */
function kubernetesError(err: unknown, verb: string, what: string, rt: StepRuntime): unknown {
  if (err instanceof ZeroopsError) return err;
  if (err instanceof ApiException) return statusError(err, verb, what);
  if (err instanceof AbortError || (err instanceof Error && err.name === 'AbortError')) {
    if (rt.signal.aborted) return new RetryableError('ZEROOPS_K8S_ABORTED', `${verb} ${what} was cancelled`, { cause: err });
    return new RetryableError('ZEROOPS_K8S_TIMEOUT', `${verb} ${what}: no answer within ${rt.timeoutMs} ms`, { cause: err });
  }
  if (err instanceof FetchError) return new RetryableError('ZEROOPS_K8S_NETWORK', `${verb} ${what}: ${err.message}`, { cause: err });
  // Anything else comes from building the request (a CA file that cannot be read, a bad kubeconfig): fixing it takes a person.
  const message = err instanceof Error ? err.message : String(err);
  return new PermanentError('ZEROOPS_K8S_CLIENT', `${verb} ${what} could not be sent: ${message}`, { cause: err });
}

const configError = (message: string, cause?: unknown) => new PermanentError('ZEROOPS_K8S_CONFIG_INVALID', message, cause === undefined ? {} : { cause });

/** client-node's last resort when it finds no kubeconfig and no service account: an unauthenticated http://localhost:8080. */
const isClientNodeFallback = (kc: KubeConfig, cluster: Cluster): boolean =>
  kc.getCurrentContext() === 'loaded-context' && cluster.name === 'cluster' && cluster.server === 'http://localhost:8080';

/** KUBECONFIG, ~/.kube/config or the in-cluster service account, as kubectl would pick them. */
function defaultConfig(kc: KubeConfig): Cluster {
  try {
    kc.loadFromDefault();
  } catch (err) {
    throw configError(`no server is given and the kubeconfig cannot be loaded: ${(err as Error).message}`, err);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster || isClientNodeFallback(kc, cluster)) {
    throw configError(
      'no server is given and there is no kubeconfig (KUBECONFIG, ~/.kube/config) nor in-cluster service account: set kubernetes.server and kubernetes.token',
    );
  }
  return cluster;
}

/**
 * Builds the client's configuration from the step parameters: `server` (and
 * `token`, else the in-cluster service account token) when given, otherwise
 * the default kubeconfig or in-cluster configuration, whose user a given
 * `token` replaces. `insecureSkipTlsVerify` turns TLS verification off.
 */
async function kubeConfig(p: KubernetesParams, deps: StepDeps, rt: StepRuntime): Promise<KubeConfig> {
  const kc = new KubeConfig();
  const insecure = p.insecureSkipTlsVerify === true;
  const token = p.token === undefined ? undefined : renderTemplate(p.token, rt.template);
  if (p.server !== undefined) {
    const server = renderUrl(p.server, rt.template, 'kubernetes.server').replace(/\/$/, '');
    const read = deps.readFile ?? ((f: string) => readFile(f, 'utf8'));
    const bearer =
      token ??
      (await read(IN_CLUSTER.tokenFile).then(
        (t) => t.trim(),
        (err: unknown) => {
          throw configError(`kubernetes.token is not set and the service account token ${IN_CLUSTER.tokenFile} cannot be read: ${(err as Error).message}`, err);
        },
      ));
    kc.loadFromClusterAndUser({ name: 'zeroops', server, skipTLSVerify: insecure }, { name: 'zeroops', token: bearer });
  } else {
    const cluster = defaultConfig(kc);
    if (token !== undefined || insecure) {
      const user: User = token === undefined ? (kc.getCurrentUser() ?? { name: 'zeroops' }) : { name: 'zeroops', token };
      kc.loadFromClusterAndUser({ ...cluster, skipTLSVerify: insecure || cluster.skipTLSVerify }, user);
    }
  }
  checkServer(kc.getCurrentCluster()!);
  return kc;
}

/** Refuses what client-node would refuse later with a less helpful message. */
function checkServer(cluster: Cluster): void {
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch (err) {
    throw configError(`kubernetes.server is not a URL: ${cluster.server.slice(0, 200)}`, err);
  }
  if (url.protocol === 'http:' && !cluster.skipTLSVerify) {
    throw configError(
      `the Kubernetes API server ${url.origin} is plain http: set kubernetes.insecureSkipTlsVerify: true to send the token unencrypted (e.g. to kubectl proxy), or use https`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw configError(`kubernetes.server must be an http or https URL, got ${url.protocol}`);
}

/**
 * Connects to the Kubernetes API for one step attempt. `what` names the
 * object in error messages (e.g. `deployment shop/checkout`).
 */
export async function connectKubernetes(p: KubernetesParams, deps: StepDeps, rt: StepRuntime, what: string): Promise<KubeClient> {
  const apps = (await kubeConfig(p, deps, rt)).makeApiClient(AppsV1Api);
  const options = (signal: AbortSignal, extra: ObservableMiddleware[], patch?: PatchStrategy): CallOptions => {
    const base: CallOptions = { middleware: [withSignal(signal), ...extra], middlewareMergeStrategy: 'append' };
    return patch === undefined ? base : setHeaderOptions('Content-Type', patch, base);
  };
  const call = async <T>(verb: string, send: (opts: CallOptions) => Promise<T>, patch?: PatchStrategy, extra: ObservableMiddleware[] = []): Promise<T> => {
    try {
      return await withDeadline(rt.timeoutMs, (signal) => send(options(signal, extra, patch)), {
        signal: rt.signal,
        onTimeout: () => new RetryableError('ZEROOPS_K8S_TIMEOUT', `${verb} ${what}: no answer within ${rt.timeoutMs} ms`),
      });
    } catch (err) {
      if (rt.signal.aborted && !(err instanceof ZeroopsError)) throw new RetryableError('ZEROOPS_K8S_ABORTED', `${verb} ${what} was cancelled`, { cause: err });
      throw kubernetesError(err, verb, what, rt);
    }
  };
  return {
    apps,
    call: (verb, send, patch) => call(verb, send, patch),
    async read(verb, send) {
      const sink: { text?: string } = {};
      await call(verb, send, undefined, [keepBody(sink)]);
      return JSON.parse(sink.text ?? '{}') as Obj;
    },
  };
}
