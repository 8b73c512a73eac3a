import { PermanentError } from '../../core/errors.ts';
import {
  type ActionSpec,
  type HttpParams,
  type NotifyParams,
  renderArgs,
  renderHeader,
  renderJsonValue,
  renderStringBody,
  renderTemplate,
  renderUrl,
  type TemplateContext,
} from '../../playbooks/index.ts';

/**
 * Renders step parameters for where each value goes (URL, header, body,
 * argument, Kubernetes name). The steps and the dry run share these, so a
 * dry run shows exactly what a step would send.
 */

/** An http step's request once rendered. */
export interface RenderedHttp {
  method: string;
  url: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body?: string;
}

/** Renders an `http` step's request (a JSON body gets `content-type: application/json` unless a header says otherwise). */
export function renderHttp(p: HttpParams, ctx: TemplateContext): RenderedHttp {
  const url = renderUrl(p.url, ctx, 'http.url');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.headers ?? {})) headers[k.toLowerCase()] = renderHeader(v, ctx);
  let body: string | undefined;
  if (typeof p.body === 'string') body = renderStringBody(p.body, ctx, headers['content-type']);
  else if (p.body !== undefined) {
    body = JSON.stringify(renderJsonValue(p.body, ctx));
    headers['content-type'] ??= 'application/json';
  }
  return { method: p.method, url, headers, ...(body === undefined ? {} : { body }) };
}

/** Renders a `notify` step's URL and texts (the texts are JSON-encoded into the payload afterwards). */
export function renderNotify(p: NotifyParams, ctx: TemplateContext): { url: string; text: string; routingKey?: string } {
  return {
    url: renderUrl(p.url, ctx, 'notify.url'),
    text: renderTemplate(p.text, ctx),
    ...(p.routingKey === undefined ? {} : { routingKey: renderHeader(p.routingKey, ctx) }),
  };
}

const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Renders a Kubernetes object name and refuses anything but a DNS-1123 name (so a value cannot add a path segment to the API call). */
export function renderKubeName(src: string, ctx: TemplateContext, field: string): string {
  const v = renderTemplate(src, ctx);
  if (!DNS_SUBDOMAIN.test(v)) {
    throw new PermanentError(
      'ZEROOPS_TEMPLATE_UNSAFE',
      `kubernetes.${field} "${v.slice(0, 100)}" is not a Kubernetes name (lower case letters, digits, "-" and ".")`,
    );
  }
  return v;
}

/** The parameters of any step type as the step would use them (for the dry run; secrets are redacted by the caller). */
export function renderAction(action: ActionSpec, ctx: TemplateContext): unknown {
  switch (action.type) {
    case 'http':
      return action.http && renderHttp(action.http, ctx);
    case 'notify':
      return action.notify && { kind: action.notify.kind, ...renderNotify(action.notify, ctx) };
    case 'command':
      return action.command && { executable: action.command.executable, args: renderArgs(action.command.args ?? [], ctx) };
    case 'kubernetes': {
      const k = action.kubernetes;
      if (!k) return undefined;
      return {
        ...k,
        namespace: renderKubeName(k.namespace, ctx, 'namespace'),
        deployment: renderKubeName(k.deployment, ctx, 'deployment'),
        ...(k.server === undefined ? {} : { server: renderUrl(k.server, ctx, 'kubernetes.server') }),
        ...(k.token === undefined ? {} : { token: renderTemplate(k.token, ctx) }),
      };
    }
    default:
      return action[action.type];
  }
}
