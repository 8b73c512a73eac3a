import { Type } from '@sinclair/typebox';
import { describeError } from '../../core/errors.ts';
import {
  approvalRefusal,
  approveExecution,
  cancelExecution,
  getExecutionDetail,
  publishOutcomeOf,
  rejectExecution,
  runDeferredNow,
} from '../../executor/index.ts';
import { EXECUTION_STATUSES, type ExecutionRow } from '../../store/index.ts';
import { readPolicyDecision } from '../../trainer/index.ts';
import { ExecutionDetailSchema, ExecutionPageSchema, ExecutionSchema, responses } from '../api-schemas.ts';
import type { ApiDeps, RouteModule } from '../deps.ts';
import { listExecutions } from '../repositories/index.ts';
import { IdParams, oneOf, pageQuery, Text } from '../schemas.ts';

const tags = ['executions'];
const one = responses({ 200: Type.Ref(ExecutionSchema) });

const ExecutionQuery = Type.Object({
  service: Type.Optional(Text()),
  status: Type.Optional(oneOf(EXECUTION_STATUSES)),
  outcome: Type.Optional(Text({ description: 'resolved, not_resolved, made_worse, undone, escalated, skipped, awaiting_approval, recovered_before_action.' })),
  playbook: Type.Optional(Text({ minLength: 1, maxLength: 200, description: "A playbook's id or name." })),
  incident: Type.Optional(Text({ minLength: 1, maxLength: 200, description: 'An incident (episode) id.' })),
  ...pageQuery(50, 500),
});

async function publishOutcome(deps: ApiDeps, row: ExecutionRow, log: { warn(o: object, m: string): void }): Promise<void> {
  try {
    await publishOutcomeOf(deps.store.db, deps.bus, deps.topics.outcomes, row, '');
  } catch (err) {
    // The row keeps outcome_published = false: an executor's outcome sweep publishes it.
    log.warn({ err: describeError(err), execution: row.id }, 'could not publish outcome now; the executor will republish it');
  }
}

/** /api/v1/executions: list (filtered, paged), detail with steps and audit, approve / reject / cancel / run-now (deferred). */
export const executionRoutes: RouteModule = (app, deps) => {
  const db = deps.store.db;
  app.get(
    '/api/v1/executions',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        description: 'Executions, newest first; filters combine with AND.',
        querystring: ExecutionQuery,
        response: responses({ 200: Type.Ref(ExecutionPageSchema) }),
      },
    },
    async (req) => listExecutions(db, req.query),
  );
  app.get(
    '/api/v1/executions/:id',
    { config: { access: 'viewer' }, schema: { tags, params: IdParams, response: responses({ 200: Type.Ref(ExecutionDetailSchema) }) } },
    async (req) => ({
      ...(await getExecutionDetail(db, req.params.id)),
      policyDecision: (await readPolicyDecision(db, req.params.id)) ?? null,
    }),
  );
  app.post('/api/v1/executions/:id/approve', { config: { access: 'operator' }, schema: { tags, params: IdParams, response: one } }, async (req) => {
    const r = await approveExecution(db, req.params.id, req.actor, deps.config.approvalTtlSeconds);
    const refusal = approvalRefusal(r);
    if (!refusal) return r.row;
    await publishOutcome(deps, r.row, req.log);
    throw refusal;
  });
  app.post(
    '/api/v1/executions/:id/reject',
    {
      config: { access: 'operator' },
      schema: { tags, params: IdParams, body: Type.Optional(Type.Object({ note: Type.Optional(Text({ maxLength: 2000 })) })), response: one },
    },
    async (req) => {
      const row = await rejectExecution(db, req.params.id, req.actor, req.body?.note ?? '');
      await publishOutcome(deps, row, req.log);
      return row;
    },
  );
  app.post('/api/v1/executions/:id/cancel', { config: { access: 'operator' }, schema: { tags, params: IdParams, response: one } }, async (req) => {
    const row = await cancelExecution(db, req.params.id, req.actor);
    await publishOutcome(deps, row, req.log);
    return row;
  });
  app.post(
    '/api/v1/executions/:id/run-now',
    {
      config: { access: 'operator' },
      schema: {
        tags,
        description: 'Runs a deferred execution (waiting for its quiet window) now instead of at its scheduled time; 409 unless it is waiting.',
        params: IdParams,
        response: one,
      },
    },
    async (req) => runDeferredNow(db, req.params.id, req.actor, `run now by ${req.actor}`),
  );
};
