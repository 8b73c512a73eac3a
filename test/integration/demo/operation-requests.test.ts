/**
 * The control plane's log of operation requests: every answered operation
 * with the idempotency key and execution of the step that asked, so that
 * bench-zeroops counts a step carried out twice at the target (two
 * executors, or a retried request), whatever zeroops' rows say.
 */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { recordOperationRequests, repeatedOperations } from '../../../infra/demo/operation-requests.ts';

describe("the demo control plane's operation requests", () => {
  it('records operations with their step headers, and finds the accepted ones that repeat a key', async () => {
    const app = Fastify({ logger: false });
    const ops = recordOperationRequests(app);
    app.post<{ Params: { name: string } }>('/services/:name/restart', async (_req, reply) => reply.code(202).send({ accepted: true }));
    app.post<{ Params: { name: string } }>('/services/:name/rollback', async (_req, reply) => reply.code(409).send({ error: 'nothing to roll back' }));
    app.post('/faults', async () => ({ ok: true }));
    const step = (key: string, execution: string) => ({ 'idempotency-key': key, 'x-zeroops-execution': execution });
    await app.inject({ method: 'POST', url: '/services/cart/restart', headers: step('ep1:pb:restart', 'e1') });
    // A second executor carries out the same step: same key, another execution row.
    await app.inject({ method: 'POST', url: '/services/cart/restart?wait=true', headers: step('ep1:pb:restart', 'e2') });
    await app.inject({ method: 'POST', url: '/services/cart/rollback', headers: step('ep1:pb:rollback', 'e1') });
    await app.inject({ method: 'POST', url: '/services/cart/rollback', headers: step('ep1:pb:rollback', 'e1') });
    await app.inject({ method: 'POST', url: '/services/products-db/restart' });
    await app.inject({ method: 'POST', url: '/faults', payload: {} });
    await app.close();
    expect(ops.map((o) => `${o.service}:${o.op}:${o.status}`)).toEqual([
      'cart:restart:202',
      'cart:restart:202',
      'cart:rollback:409',
      'cart:rollback:409',
      'products-db:restart:202',
    ]);
    expect(ops[1]).toMatchObject({ idempotencyKey: 'ep1:pb:restart', execution: 'e2' });
    // Refused requests had no effect, and a request without a key (a person) repeats nothing.
    expect(repeatedOperations(ops)).toEqual([ops[1]]);
  });
});
