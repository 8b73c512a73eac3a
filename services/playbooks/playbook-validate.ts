import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import picomatch from 'picomatch';
import { parse as parseYaml } from 'yaml';
import { PermanentError } from '../core/errors.ts';
import { AddressGuard } from './net-guard.ts';
import { type ActionSpec, GuardrailsSchema, type Playbook, type PlaybookProblem, PlaybookSchema, STEP_TYPES, type StepType } from './playbook-schema.ts';
import { conditionProblems } from './step-condition.ts';
import { eachString, parseTemplate, secretsReferenced } from './template.ts';
import { urlTemplateShape } from './template-contexts.ts';
import { triggerProblems } from './trigger-validate.ts';

/** What validation needs from the configuration. */
export interface ValidationContext {
  /** Configured secret names (values are not read). */
  secrets: Record<string, string>;
  /** Executables `command` steps may run (empty: command steps are rejected). */
  commandAllowlist: string[];
  /** config.httpAllowlist: an http/notify URL whose literal host the address guard would refuse is a problem. */
  httpAllowlist: string[];
}

/** Parses a request body that is either already JSON-parsed or a YAML/JSON string. Throws ZEROOPS_PLAYBOOK_INVALID on a syntax error. */
export function parseDocument(body: unknown): unknown {
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) return body;
  try {
    return parseYaml(body.toString(), { maxAliasCount: 100 });
  } catch (err) {
    const message = `not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`;
    throw new PermanentError('ZEROOPS_PLAYBOOK_INVALID', message, { cause: err, details: [{ path: '/', message }] });
  }
}

function schemaMessage(schema: TSchema, fallback: string, value: unknown): string {
  const anyOf = schema.anyOf as TSchema[] | undefined;
  if (anyOf?.every((s) => s.const !== undefined)) return `must be one of ${anyOf.map((s) => s.const).join(', ')} (got ${JSON.stringify(value)})`;
  if (fallback === 'Expected required property') return 'is required';
  if (fallback === 'Unexpected property') return 'is not a known property';
  return fallback.replace(/^Expected \w+ to be /, 'must be ').replace(/^Expected/, 'must be');
}

function structuralProblems(doc: unknown): PlaybookProblem[] {
  const out: PlaybookProblem[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(PlaybookSchema, doc)) {
    const p = { path: e.path || '/', message: schemaMessage(e.schema, e.message, e.value) };
    const k = `${p.path} ${p.message}`;
    // A union error is followed by one error per alternative: the first, rewritten, says it all.
    if (seen.has(k) || [...seen].some((s) => s.startsWith(`${p.path} must be one of`))) continue;
    seen.add(k);
    out.push(p);
  }
  return out;
}

function globProblem(glob: unknown, path: string): PlaybookProblem[] {
  if (typeof glob !== 'string') return [];
  if (glob.trim() === '') return [{ path, message: 'glob must not be empty' }];
  try {
    picomatch.makeRe(glob, { strictBrackets: true });
    return [];
  } catch (err) {
    return [{ path, message: `invalid glob "${glob}": ${(err as Error).message}` }];
  }
}

function templateProblems(params: unknown, path: string, ctx: ValidationContext): PlaybookProblem[] {
  const out: PlaybookProblem[] = [];
  eachString(params, path, (s, p) => {
    try {
      parseTemplate(s);
      for (const name of secretsReferenced(s)) {
        if (!Object.hasOwn(ctx.secrets, name)) out.push({ path: p, message: `secret ${name} is not configured (set ZEROOPS_SECRET_${name})` });
      }
    } catch (err) {
      out.push({ path: p, message: `bad template: ${(err as Error).message}` });
    }
  });
  return out;
}

/** A URL template with a non-secret placeholder in its scheme/host/port, or whose literal host the guard refuses. */
function urlProblems(src: unknown, path: string, guard: AddressGuard | undefined): PlaybookProblem[] {
  if (typeof src !== 'string') return [];
  let shape: ReturnType<typeof urlTemplateShape>;
  try {
    shape = urlTemplateShape(src);
  } catch (err) {
    // A syntax error: templateProblems reports it.
    return err instanceof PermanentError ? [] : [{ path, message: (err as Error).message }];
  }
  if (shape.problem) return [{ path, message: shape.problem }];
  const refused = shape.host === undefined ? undefined : guard?.literalProblem(shape.host);
  return refused ? [{ path, message: refused }] : [];
}

function targetProblems(a: ActionSpec, path: string, ctx: ValidationContext): PlaybookProblem[] {
  let guard: AddressGuard | undefined;
  try {
    guard = new AddressGuard(ctx.httpAllowlist);
  } catch (err) {
    return [{ path, message: (err as Error).message }];
  }
  if (a.type === 'http') return urlProblems(a.http?.url, `${path}/http/url`, guard);
  if (a.type === 'notify') return urlProblems(a.notify?.url, `${path}/notify/url`, guard);
  // The Kubernetes API server is the operator's own (usually private): its host may not be templated, but it is not guarded.
  if (a.type === 'kubernetes') return urlProblems(a.kubernetes?.server, `${path}/kubernetes/server`, undefined);
  return [];
}

function actionProblems(a: ActionSpec, path: string, ctx: ValidationContext): PlaybookProblem[] {
  if (typeof a !== 'object' || a === null || !(STEP_TYPES as readonly string[]).includes(a.type)) return [];
  const type = a.type as StepType;
  const out: PlaybookProblem[] = [];
  const rec = a as unknown as Record<string, unknown>;
  if (rec[type] === undefined) out.push({ path: `${path}/${type}`, message: `a ${type} step needs its parameters under "${type}"` });
  for (const other of STEP_TYPES) {
    if (other !== type && rec[other] !== undefined) out.push({ path: `${path}/${other}`, message: `"${other}" parameters do not belong to a ${type} step` });
  }
  if (type === 'kubernetes' && a.kubernetes?.action === 'scale' && a.kubernetes.replicas === undefined) {
    out.push({ path: `${path}/kubernetes/replicas`, message: 'scale needs replicas' });
  }
  if (type === 'command' && a.command && !ctx.commandAllowlist.includes(a.command.executable)) {
    const why =
      ctx.commandAllowlist.length === 0
        ? 'command steps are disabled (ZEROOPS_COMMAND_ALLOWLIST is empty)'
        : `"${a.command.executable}" is not in ZEROOPS_COMMAND_ALLOWLIST`;
    out.push({ path: `${path}/command/executable`, message: why });
  }
  if (rec[type] !== undefined) out.push(...templateProblems(rec[type], `${path}/${type}`, ctx), ...targetProblems(a, path, ctx));
  return out;
}

function freezeProblems(doc: Playbook): PlaybookProblem[] {
  const out: PlaybookProblem[] = [];
  (doc.guardrails?.freezeWindows ?? []).forEach((w, i) => {
    const path = `/guardrails/freezeWindows/${i}`;
    const absolute = w.start !== undefined || w.end !== undefined;
    const weekly = w.days !== undefined || w.from !== undefined || w.to !== undefined;
    if (absolute === weekly) out.push({ path, message: 'give either start and end (RFC 3339) or days, from and to (HH:MM UTC)' });
    else if (absolute) {
      const s = Date.parse(w.start ?? '');
      const e = Date.parse(w.end ?? '');
      if (Number.isNaN(s)) out.push({ path: `${path}/start`, message: 'must be an RFC 3339 time' });
      if (Number.isNaN(e)) out.push({ path: `${path}/end`, message: 'must be an RFC 3339 time' });
      if (!Number.isNaN(s) && !Number.isNaN(e) && e <= s) out.push({ path: `${path}/end`, message: 'must be after start' });
    } else if (w.days === undefined || w.from === undefined || w.to === undefined) {
      out.push({ path, message: 'a weekly window needs days, from and to' });
    }
  });
  return out;
}

function semanticProblems(doc: Playbook, ctx: ValidationContext): PlaybookProblem[] {
  const out: PlaybookProblem[] = [...triggerProblems(doc)];
  out.push(...globProblem(doc.match?.service, '/match/service'));
  for (const [k, g] of Object.entries(doc.match?.attributes ?? {})) out.push(...globProblem(g, `/match/attributes/${k}`));
  const ids = new Set<string>();
  const steps = Array.isArray(doc.steps) ? doc.steps : [];
  steps.forEach((s, i) => {
    if (typeof s !== 'object' || s === null) return;
    if (ids.has(s.id)) out.push({ path: `/steps/${i}/id`, message: `duplicate step id "${s.id}"` });
    if (typeof s.when === 'string') {
      const later = steps.slice(i).map((x) => x?.id);
      for (const message of conditionProblems(s.when, [...ids], later)) out.push({ path: `/steps/${i}/when`, message: `bad condition: ${message}` });
    }
    ids.add(s.id);
    out.push(...actionProblems(s, `/steps/${i}`, ctx));
    if (s.undo) out.push(...actionProblems(s.undo, `/steps/${i}/undo`, ctx));
  });
  for (const [i, a] of (Array.isArray(doc.onFailure) ? doc.onFailure : []).entries()) out.push(...actionProblems(a, `/onFailure/${i}`, ctx));
  out.push(...freezeProblems(doc));
  return out;
}

/** Result of {@link validatePlaybook}: the normalized playbook, or every problem found. */
export type ValidationResult = { ok: true; playbook: Playbook } | { ok: false; problems: PlaybookProblem[] };

/**
 * Validates a playbook document: structure (every error, with its JSON
 * pointer), globs, templates, referenced secrets, step parameters, URL
 * templates (no placeholder but a secret in a scheme, host or port; no
 * literal host the address guard refuses), step conditions (syntax, known
 * roots and fields, `steps.<id>` naming an earlier step), freeze windows. Fills in
 * defaults. Never throws.
 */
export function validatePlaybook(doc: unknown, ctx: ValidationContext): ValidationResult {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return { ok: false, problems: [{ path: '/', message: 'a playbook must be an object' }] };
  const copy = Value.Clone(doc) as Record<string, unknown>;
  copy.guardrails ??= {};
  const trigger = copy.trigger as Record<string, unknown> | undefined;
  if (trigger !== null && typeof trigger === 'object' && trigger.type === 'forecast') {
    trigger.minReplicas ??= 1;
    trigger.scaleIn ??= {};
  }
  Value.Default(PlaybookSchema, copy);
  Value.Default(GuardrailsSchema, copy.guardrails);
  const problems = [...structuralProblems(copy), ...semanticProblems(copy as unknown as Playbook, ctx)];
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, playbook: copy as unknown as Playbook };
}

/** Like {@link validatePlaybook} but throws `ZEROOPS_PLAYBOOK_INVALID` (400, details = problems). */
export function assertPlaybook(doc: unknown, ctx: ValidationContext, where = 'playbook'): Playbook {
  const r = validatePlaybook(doc, ctx);
  if (r.ok) return r.playbook;
  const summary = r.problems
    .slice(0, 5)
    .map((p) => `${p.path}: ${p.message}`)
    .join('; ');
  throw new PermanentError('ZEROOPS_PLAYBOOK_INVALID', `${where} is invalid (${r.problems.length} problem(s)): ${summary}`, { details: r.problems });
}
