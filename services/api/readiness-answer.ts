import { withDeadline } from '../core/deadline.ts';
import { describeError } from '../core/errors.ts';
import type { ProcessReadiness } from '../core/readiness.ts';
import type { ApiDeps } from './deps.ts';

/** 'ok' when `fn` settles within `timeoutMs`, else what went wrong. */
async function check(fn: () => Promise<void>, timeoutMs: number): Promise<'ok' | string> {
  try {
    await withDeadline(timeoutMs, fn, { onTimeout: () => new Error(`no answer within ${timeoutMs} ms`) });
    return 'ok';
  } catch (err) {
    return describeError(err);
  }
}

/** What /readyz needs: the bus and store to ping and, when the process wiring has one, its readiness. */
export type ReadinessDeps = Pick<ApiDeps, 'bus' | 'store'> & { readiness?: ProcessReadiness };

/**
 * The answer of `/readyz`: 200 when every component started and serves (not
 * draining) and the bus and the store answer, else 503 with what is missing.
 */
export async function readinessAnswer(deps: ReadinessDeps): Promise<{ status: 200 | 503; body: Record<string, unknown> }> {
  const before = deps.readiness?.report();
  // A process that is starting or draining answers at once, without waiting on pings.
  if (before && before.state !== 'serving') {
    return { status: 503, body: { status: before.state, checks: { process: before.state }, components: before.components } };
  }
  const [bus, store] = await Promise.all([check(() => deps.bus.ping(), 3000), check(() => deps.store.ping(), 3000)]);
  // Read again after the pings: a drain that began meanwhile answers 503.
  const proc = deps.readiness?.report();
  const ok = bus === 'ok' && store === 'ok' && (proc?.ready ?? true);
  const status = proc && proc.state !== 'serving' ? proc.state : ok ? 'ready' : 'not_ready';
  return {
    status: ok ? 200 : 503,
    body: { status, checks: { bus, store }, ...(proc ? { components: proc.components } : {}), bus: deps.bus.kind, store: deps.store.kind },
  };
}
