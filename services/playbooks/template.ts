import { PermanentError } from '../core/errors.ts';

/**
 * Playbook templates: `{{ root.path }}` placeholders in strings, e.g.
 * `{{anomaly.service}}` or `{{secret.SLACK_TOKEN}}`. No logic, no helpers:
 * a placeholder is a dotted path into a fixed set of roots.
 */

/** The roots a placeholder may start with. */
export const TEMPLATE_ROOTS = ['anomaly', 'secret', 'execution', 'playbook', 'step', 'forecast'] as const;

/** Values a template is rendered with. */
export interface TemplateContext {
  /** The anomaly event that started the execution (fields as in zeroops.v1.Anomaly, camelCase). */
  anomaly: Record<string, unknown>;
  /** Configured secrets (config.secrets); only the referenced ones are read. */
  secret: Record<string, string>;
  execution: { id: string };
  playbook: { id: string; name: string; version: number };
  step: { id: string; idempotencyKey: string };
  /** The forecast decision of a forecast-triggered execution (`{{forecast.replicas}}`, ...); absent otherwise. */
  forecast?: Record<string, unknown>;
}

type Part = { text: string } | { ref: string[] };

const PATH_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_-]+)*$/;

/** Splits a template into text and references; throws a PermanentError describing the first syntax error. */
export function parseTemplate(src: string): Part[] {
  const parts: Part[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    const strayClose = src.indexOf('}}', i);
    if (strayClose !== -1 && (open === -1 || strayClose < open)) {
      throw new PermanentError('ZEROOPS_TEMPLATE_INVALID', `unexpected "}}" at offset ${strayClose}`);
    }
    if (open === -1) {
      parts.push({ text: src.slice(i) });
      break;
    }
    if (open > i) parts.push({ text: src.slice(i, open) });
    const close = src.indexOf('}}', open + 2);
    if (close === -1) throw new PermanentError('ZEROOPS_TEMPLATE_INVALID', `"{{" at offset ${open} is never closed`);
    const expr = src.slice(open + 2, close).trim();
    if (!PATH_RE.test(expr)) throw new PermanentError('ZEROOPS_TEMPLATE_INVALID', `"{{${expr}}}" is not a dotted path like {{anomaly.service}}`);
    const ref = expr.split('.');
    if (!(TEMPLATE_ROOTS as readonly string[]).includes(ref[0] ?? '')) {
      throw new PermanentError('ZEROOPS_TEMPLATE_INVALID', `"{{${expr}}}": unknown root "${ref[0]}", expected one of ${TEMPLATE_ROOTS.join(', ')}`);
    }
    if (ref[0] === 'secret' && ref.length !== 2) throw new PermanentError('ZEROOPS_TEMPLATE_INVALID', `"{{${expr}}}": write secrets as {{secret.NAME}}`);
    parts.push({ ref });
    i = close + 2;
  }
  return parts;
}

/** Names of the secrets a template references (after {@link parseTemplate} succeeded). */
export function secretsReferenced(src: string): string[] {
  return parseTemplate(src).flatMap((p) => ('ref' in p && p.ref[0] === 'secret' ? [p.ref[1] as string] : []));
}

function lookup(ctx: TemplateContext, ref: string[]): unknown {
  let cur: unknown = ctx;
  for (const key of ref) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** The value a reference names; a missing value (or an unconfigured secret) is a PermanentError `ZEROOPS_TEMPLATE_UNRESOLVED`. */
export function resolveRef(ctx: TemplateContext, ref: string[]): unknown {
  const v = lookup(ctx, ref);
  if (v !== undefined && v !== null) return v;
  const what = ref[0] === 'secret' ? `secret ${ref[1]} is not configured (set ZEROOPS_SECRET_${ref[1]})` : `{{${ref.join('.')}}} has no value`;
  throw new PermanentError('ZEROOPS_TEMPLATE_UNRESOLVED', what);
}

/** A value as text: strings as they are, other values as JSON. */
export const textOf = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));

/**
 * Renders a template, letting `encode` turn each value into the text that
 * replaces its placeholder; `before` is the output rendered so far (text
 * parts as written), so an encoder can tell where in a URL or JSON document
 * the value lands.
 */
export function renderWith(src: string, ctx: TemplateContext, encode: (value: unknown, ref: string[], before: string) => string): string {
  let out = '';
  for (const part of parseTemplate(src)) out += 'text' in part ? part.text : encode(resolveRef(ctx, part.ref), part.ref, out);
  return out;
}

/**
 * Renders a template as plain text: values are inserted as they are. Use it
 * only where the value cannot change what is called (a message text that is
 * JSON-encoded afterwards); URLs, headers, bodies and arguments have their
 * own renderers in template-contexts.ts.
 */
export function renderTemplate(src: string, ctx: TemplateContext): string {
  return renderWith(src, ctx, textOf);
}

/** Calls `visit` with each string leaf of `value` and its JSON pointer. */
export function eachString(value: unknown, path: string, visit: (s: string, path: string) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) eachString(v, `${path}/${i}`, visit);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) eachString(v, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, visit);
  }
}

/** Replaces every configured secret value in strings with `[redacted]`. */
export interface Redactor {
  (value: unknown): unknown;
  text(s: string): string;
}

/** Builds a {@link Redactor} over the values of `secrets` (values shorter than 4 characters are too ambiguous to redact and are skipped). */
export function createRedactor(secrets: Record<string, string>): Redactor {
  const values = Object.values(secrets)
    .filter((v) => v.length >= 4)
    .sort((a, b) => b.length - a.length);
  const text = (s: string): string => {
    let out = s;
    for (const v of values) if (out.includes(v)) out = out.split(v).join('[redacted]');
    return out;
  };
  const deep = (value: unknown): unknown => {
    if (typeof value === 'string') return text(value);
    if (Array.isArray(value)) return value.map(deep);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deep(v)]));
    return value;
  };
  return Object.assign(deep, { text });
}
