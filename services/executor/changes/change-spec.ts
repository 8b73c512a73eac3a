/**
 * The request of a managed change (`POST /api/v1/changes`): a change step
 * and its undo in the playbook step syntax, for one service, with the quiet
 * window's maximum delay and the watch time.
 */
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { PermanentError } from '../../core/errors.ts';
import { ActionSchema, type ActionSpec, assertPlaybook, type ValidationContext } from '../../playbooks/index.ts';
import { DEFAULT_SUSTAIN_SECONDS } from './change-watch.ts';

/** Step types a change (and its undo) may use: the ones that deploy or roll back. */
export const CHANGE_STEP_TYPES = ['http', 'kubernetes'] as const;

/** A managed change as requested. */
export const ChangeRequestSchema = Type.Object(
  {
    service: Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: '^[^\\u0000]*$',
      description: 'The service changed and watched (its telemetry service.name).',
    }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    version: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The version deployed (informational; shown with the change).' })),
    change: ActionSchema,
    undo: ActionSchema,
    maxDelaySeconds: Type.Integer({
      minimum: 0,
      maximum: 7 * 86_400,
      default: 0,
      description: 'Latest start after the request; 0 applies at once. Within it, the quietest window of the load forecast is chosen.',
    }),
    durationSeconds: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      default: 300,
      description: 'How long the change disturbs the service: the quiet stretch sought.',
    }),
    watchSeconds: Type.Integer({
      minimum: 10,
      maximum: 86_400,
      description: 'How long the service is watched against its pre-change baseline after the change.',
    }),
    sustainSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 86_400,
        description:
          'How long a deviation from the baseline must last (and at least three detector windows) to be a regression; less than watchSeconds. Default: 15, at most half the watch.',
      }),
    ),
    baselineSeconds: Type.Integer({ minimum: 60, maximum: 7 * 86_400, default: 1800, description: 'History before the change that makes the baseline.' }),
  },
  { additionalProperties: false, title: 'ChangeRequest' },
);

/** A validated change request, defaults filled in. */
export type ChangeSpec = Static<typeof ChangeRequestSchema> & { change: ActionSpec; undo: ActionSpec };

/** The sustain time of a change, in seconds: as requested, or {@link DEFAULT_SUSTAIN_SECONDS} but at most half the watch. */
export function sustainSecondsOf(spec: Pick<ChangeSpec, 'sustainSeconds' | 'watchSeconds'>): number {
  return spec.sustainSeconds ?? Math.min(DEFAULT_SUSTAIN_SECONDS, spec.watchSeconds / 2);
}

/**
 * Validates a change request: structure (with the field path), then the
 * change and undo steps exactly as a playbook's steps are validated
 * (templates, secrets, addresses a step may call). Throws
 * `ZEROOPS_CHANGE_INVALID` (400) saying what to fix.
 */
export function assertChangeRequest(body: unknown, ctx: ValidationContext): ChangeSpec {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('a change request must be a JSON object');
  const doc = Value.Clone(body) as Record<string, unknown>;
  Value.Default(ChangeRequestSchema, doc);
  const first = Value.Errors(ChangeRequestSchema, doc).First();
  if (first) throw invalid(`${first.path || '/'}: ${first.message}`);
  const spec = doc as unknown as ChangeSpec;
  if (spec.sustainSeconds !== undefined && spec.sustainSeconds >= spec.watchSeconds)
    throw invalid(`/sustainSeconds: must be less than watchSeconds (${spec.watchSeconds}): a regression must be able to last that long within the watch`);
  for (const [name, a] of [
    ['change', spec.change],
    ['undo', spec.undo],
  ] as const) {
    if (!(CHANGE_STEP_TYPES as readonly string[]).includes(a.type)) throw invalid(`/${name}/type: must be ${CHANGE_STEP_TYPES.join(' or ')} (got ${a.type})`);
  }
  const { id: _c, ...change } = spec.change;
  const { id: _u, ...undo } = spec.undo;
  const playbook = { name: 'change', mode: 'auto', match: { service: '*' }, steps: [{ id: 'change', ...change, undo }] };
  try {
    assertPlaybook(playbook, ctx, 'change');
  } catch (err) {
    if (!(err instanceof PermanentError)) throw err;
    const problems = ((err.details as { path: string; message: string }[] | undefined) ?? []).map((p) => ({
      path: p.path.replace(/^\/steps\/0\/undo/, '/undo').replace(/^\/steps\/0/, '/change'),
      message: p.message,
    }));
    throw invalid(problems.map((p) => `${p.path}: ${p.message}`).join('; ') || err.message, problems);
  }
  return spec;
}

function invalid(message: string, details?: unknown): PermanentError {
  return new PermanentError('ZEROOPS_CHANGE_INVALID', `change request is invalid: ${message}`, { details });
}
