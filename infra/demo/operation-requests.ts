/**
 * The control plane's log of operation requests (restart, scale, rollback,
 * deploy, cache clear) with who asked: the idempotency key and execution id
 * that every executor step request carries. It counts effects at the
 * target, not zeroops' rows: a step carried out twice (two executors, or a
 * retry after a lost answer) shows as two accepted requests with one key.
 */
import type { FastifyInstance } from 'fastify';

/** One operation request the control plane answered. */
export interface OperationRequest {
  /** When it was answered (ISO 8601). */
  answeredAt: string;
  service: string;
  /** `restart`, `scale`, `rollback`, `deploy` or `cache/clear`. */
  op: string;
  /** HTTP status of the answer (202 or 200: accepted). */
  status: number;
  /** The `idempotency-key` header (executor steps: episode, playbook, step), if any. */
  idempotencyKey?: string;
  /** The `x-zeroops-execution` header, if any. */
  execution?: string;
}

const OPERATION_PATH = /^\/services\/([^/?]+)\/(restart|scale|rollback|deploy|cache\/clear)(?:\?|$)/;

function header(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Records every operation request `app` answers from now on; returns the (growing) list. */
export function recordOperationRequests(app: FastifyInstance): OperationRequest[] {
  const out: OperationRequest[] = [];
  app.addHook('onResponse', async (req, reply) => {
    const m = req.method === 'POST' ? OPERATION_PATH.exec(req.url) : null;
    if (!m) return;
    out.push({
      answeredAt: new Date().toISOString(),
      service: decodeURIComponent(m[1] as string),
      op: m[2] as string,
      status: reply.statusCode,
      idempotencyKey: header(req.headers['idempotency-key']),
      execution: header(req.headers['x-zeroops-execution']),
    });
  });
  return out;
}

/** The accepted requests that repeat an earlier accepted request's idempotency key: the same step carried out again. */
export function repeatedOperations(ops: readonly OperationRequest[]): OperationRequest[] {
  const seen = new Set<string>();
  const out: OperationRequest[] = [];
  for (const o of ops) {
    if (o.status >= 300 || o.idempotencyKey === undefined) continue;
    if (seen.has(o.idempotencyKey)) out.push(o);
    else seen.add(o.idempotencyKey);
  }
  return out;
}
