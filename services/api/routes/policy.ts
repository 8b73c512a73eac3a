import { Type } from '@sinclair/typebox';
import type { AutonomyMode } from '../../../models/policy/index.ts';
import { getPlaybook } from '../../playbooks/index.ts';
import { pinPlaybookMode, playbookAutonomy, policyOfService } from '../../trainer/index.ts';
import { responses } from '../api-schemas.ts';
import type { RouteModule } from '../deps.ts';
import { IdParams, Text } from '../schemas.ts';

const tags = ['policy'];

const Beta = { alpha: Type.Number(), beta: Type.Number() };

const PolicyArm = Type.Object(
  {
    playbookId: Type.String(),
    playbookName: Type.Union([Type.String(), Type.Null()]),
    successes: Type.Integer(),
    failures: Type.Integer(),
    prior: Type.Object(Beta, { description: 'Prior pooled from the playbook’s record on the same kind on other services.' }),
    ...Beta,
    mean: Type.Number({ description: 'Posterior mean of the verified-resolve rate.' }),
    lowerBound: Type.Number({ description: 'Lower confidence bound at `confidence`.' }),
  },
  { $id: 'PolicyArm' },
);

const PolicyView = Type.Object(
  {
    service: Type.String(),
    confidence: Type.Number(),
    pooling: Type.Object({ base: Type.Number(), maxPooled: Type.Number() }),
    signatures: Type.Array(Type.Object({ signature: Type.String(), arms: Type.Array(PolicyArm) })),
  },
  { $id: 'PolicyView', description: 'Posteriors of the remediation policy for one service, per anomaly signature (service|kind|leading feature).' },
);

const Mode = Type.Union([Type.Literal('observe'), Type.Literal('suggest'), Type.Literal('auto')]);

const Threshold = Type.Object({ successes: Type.Number(), lcb: Type.Number(), observed: Type.Optional(Type.Number()) });

const PlaybookAutonomy = Type.Object(
  {
    declaredMode: Type.Union([Mode, Type.Null()]),
    effectiveMode: Type.Union([Mode, Type.Null()]),
    pinned: Type.Boolean(),
    rule: Type.Union([Type.Object({ suggest: Threshold, auto: Threshold, failureStreak: Type.Number(), confidence: Type.Number() }), Type.Null()]),
    record: Type.Union([
      Type.Object({ successes: Type.Integer(), failures: Type.Integer(), failureStreak: Type.Integer(), observed: Type.Integer() }),
      Type.Null(),
    ]),
    reason: Type.String(),
    changes: Type.Array(
      Type.Object(
        { at: Type.String({ format: 'date-time' }), actor: Type.String(), action: Type.String() },
        { additionalProperties: true, description: 'A mode change: from, to, reason or note, and what caused it.' },
      ),
    ),
  },
  { $id: 'PlaybookAutonomy', description: 'Graduated autonomy of a playbook: effective mode, pin, record and the latest mode changes (newest first).' },
);

const ModeBody = Type.Object(
  {
    mode: Type.Union([Mode, Type.Null()], { description: 'The mode to pin, or null to unpin (the record moves it again).' }),
    note: Type.Optional(Text({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

/** GET /api/v1/policy (posteriors), POST /api/v1/playbooks/:id/mode (pin), GET /api/v1/playbooks/:id/autonomy. */
export const policyRoutes: RouteModule = (app, deps) => {
  const db = deps.store.db;
  app.get(
    '/api/v1/policy',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        description: 'The learned remediation policy of a service: each playbook’s Beta posterior per anomaly signature.',
        querystring: Type.Object({ service: Text({ minLength: 1, maxLength: 200, description: 'Service name.' }) }),
        response: responses({ 200: PolicyView }),
      },
    },
    async (req) => policyOfService(db, req.query.service),
  );
  app.get(
    '/api/v1/playbooks/:id/autonomy',
    { config: { access: 'viewer' }, schema: { tags, params: IdParams, response: responses({ 200: PlaybookAutonomy }) } },
    async (req) => {
      const pb = await getPlaybook(db, req.params.id);
      return playbookAutonomy(db, pb.id);
    },
  );
  app.post(
    '/api/v1/playbooks/:id/mode',
    {
      config: { access: 'operator' },
      schema: {
        tags,
        description: 'Pin the effective mode of a playbook (or unpin it with mode null). Audited.',
        params: IdParams,
        body: ModeBody,
        response: responses({ 200: PlaybookAutonomy }),
      },
    },
    async (req) => {
      const pb = await getPlaybook(db, req.params.id);
      const mode = req.body.mode === null ? undefined : (req.body.mode as AutonomyMode);
      await pinPlaybookMode(db, pb.id, pb.spec.mode, mode, req.actor, req.body.note ?? '');
      return playbookAutonomy(db, pb.id);
    },
  );
};
