import { createHmac } from 'node:crypto';
import { PermanentError } from '../../core/errors.ts';
import { sendRequest } from './http-client.ts';
import { renderHttp } from './render-step.ts';
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

/** Creates the `http` step: a templated request (values encoded for where they land, see render-step.ts) to a target the guard allows. */
export function createHttpStep(deps: StepDeps): StepActivity {
  return async (action, rt) => {
    const p = action.http;
    if (!p) throw new PermanentError('ZEROOPS_STEP_INVALID', 'http step without http parameters');
    const { url, headers, body } = renderHttp(p, rt.template);
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
