import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import type { FastifyRequest } from 'fastify';
import { PermanentError } from '../core/errors.ts';
import { assertPlaybook, type Playbook, parseBundle, parsePlaybookBody, type ValidationContext, validateBundle } from '../playbooks/index.ts';

/** Content types whose bodies are read as YAML (a superset of JSON). text/plain too: a pasted playbook. */
export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'text/plain'];
/**
 * The content-type parser of YAML bodies: one document becomes its value, several (separated by `---`)
 * a list (a bundle). Aliases, nesting and NUL are bounded as for JSON; a syntax error is a 400
 * `ZEROOPS_PLAYBOOK_INVALID` naming the document.
 */
export function parseYamlBody(_req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void): void {
  try {
    done(null, body.includes('\n---') ? parseBundle(body) : parsePlaybookBody(body));
  } catch (err) {
    done(err as Error);
  }
}

/** Validates every playbook of a bundle (names unique); throws `ZEROOPS_PLAYBOOK_INVALID` listing every problem with its path. */
export function assertBundle(body: unknown, ctx: ValidationContext): Playbook[] {
  return validateBundle(parseBundle(body), ctx);
}

type Result = { value: unknown } | { error: Error };

/** Query booleans: exactly "true" or "false" become booleans; anything else stays a string, which the schema refuses. */
function strictBooleans(schema: TSchema, query: unknown): unknown {
  if (typeof query !== 'object' || query === null) return query;
  const props = (schema.properties ?? {}) as Record<string, TSchema>;
  const q = query as Record<string, unknown>;
  for (const [k, p] of Object.entries(props)) {
    if (p.type === 'boolean' && (q[k] === 'true' || q[k] === 'false')) q[k] = q[k] === 'true';
  }
  return q;
}

/** Checks a request part against its TypeBox schema (defaults applied, query booleans converted), as fastify's Ajv would. */
function partValidator(schema: TSchema, httpPart: string | undefined): (data: unknown) => Result {
  const check = TypeCompiler.Compile(schema);
  return (data) => {
    const value = httpPart === 'querystring' ? strictBooleans(schema, Value.Default(schema, Value.Clone(data))) : data;
    if (check.Check(value)) return { value };
    const details = [...check.Errors(value)].map((e) => ({ path: e.path || '/', message: e.message }));
    const first = details[0];
    return {
      error: new PermanentError('ZEROOPS_REQUEST_INVALID', `${httpPart ?? 'request'}${first?.path ?? ''} ${first?.message ?? 'is invalid'}`, { details }),
    };
  };
}

/**
 * A route `validatorCompiler` whose body validator is the playbook language's own: `assert` (a playbook or a
 * bundle) checks the TypeBox schema and the semantic rules and answers 400 `ZEROOPS_PLAYBOOK_INVALID` with every
 * problem's path; the validated, defaulted value replaces the body. Params and query are checked by their schemas.
 */
export function playbookBodyValidator(assert: (body: unknown) => unknown) {
  return ({ schema, httpPart }: { schema: unknown; httpPart?: string }) => {
    if (httpPart !== 'body') return partValidator(schema as TSchema, httpPart);
    return (data: unknown): Result => {
      try {
        return { value: assert(data) };
      } catch (err) {
        return { error: err as Error };
      }
    };
  };
}

/** The body validator of single-playbook writes. */
export const playbookValidator = (ctx: ValidationContext) => playbookBodyValidator((body) => assertPlaybook(body, ctx));
/** The body validator of bundle applies. */
export const bundleValidator = (ctx: ValidationContext) => playbookBodyValidator((body) => assertBundle(body, ctx));
