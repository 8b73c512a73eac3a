import { createHmac } from 'node:crypto';
import { PermanentError } from '../../core/errors.ts';
import { renderDeep, renderTemplate } from '../template.ts';
import { sendRequest } from './http-client.ts';
import type { StepActivity, StepDeps, StepRuntime } from './types.ts';

/**
 * Signs `body` as `v1=<hex HMAC-SHA256 of "<unix seconds>.<body>">`; the
 * receiver recomputes it from the X-Zeroops-Timestamp header and the raw body.
 */
export function signBody(secret: string, unixSeconds: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/** Headers every outgoing step request carries: idempotency key and, when a key is configured, the signature. */
export function zeroopsHeaders(deps: StepDeps, rt: StepRuntime, body: string): Record<string, string> {
  const h: Record<string, string> = { 'idempotency-key': rt.idempotencyKey, 'x-zeroops-execution': rt.template.execution.id };
  if (deps.config.hmacSecret !== '') {
    const ts = Math.floor(Date.now() / 1000);
    h['x-zeroops-timestamp'] = String(ts);
    h['x-zeroops-signature'] = signBody(deps.config.hmacSecret, ts, body);
  }
  return h;
}

/** Creates the `http` step: a templated request to an allowed target. */
export function createHttpStep(deps: StepDeps): StepActivity {
  return async (action, rt) => {
    const p = action.http;
    if (!p) throw new PermanentError('ZEROOPS_STEP_INVALID', 'http step without http parameters');
    const url = renderTemplate(p.url, rt.template);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(p.headers ?? {})) headers[k.toLowerCase()] = renderTemplate(v, rt.template);
    let body: string | undefined;
    if (typeof p.body === 'string') body = renderTemplate(p.body, rt.template);
    else if (p.body !== undefined) {
      body = JSON.stringify(renderDeep(p.body, rt.template));
      headers['content-type'] ??= 'application/json';
    }
    Object.assign(headers, zeroopsHeaders(deps, rt, body ?? ''));
    const res = await sendRequest({
      method: p.method,
      url,
      headers,
      body,
      timeoutMs: rt.timeoutMs,
      signal: rt.signal,
      guard: deps.guard,
      expectStatus: p.expectStatus,
    });
    return { request: { method: p.method, url, headers, body }, response: res };
  };
}
