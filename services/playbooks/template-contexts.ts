import { PermanentError } from '../core/errors.ts';
import { parseTemplate, renderWith, resolveRef, type TemplateContext, textOf } from './template.ts';

/**
 * Context-aware rendering: a value is encoded for where it lands, so a value
 * from telemetry (`{{anomaly.service}}` comes from unauthenticated OTLP data
 * by default) cannot change a URL's scheme, host, port or number of path
 * segments, split a header, break out of a JSON string, or add a command
 * argument.
 */

const unsafe = (message: string) => new PermanentError('ZEROOPS_TEMPLATE_UNSAFE', message);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Percent-encodes everything but RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`). */
export function encodeComponent(s: string): string {
  return encodeURIComponent(s.replace(LONE_SURROGATE, '\uFFFD')).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The part of a URL that text appended to `prefix` falls in. */
export type UrlPlace = 'origin' | 'path' | 'query' | 'fragment';

/** Where the end of `prefix` lies in a URL: scheme/userinfo/host/port (`origin`), path, query or fragment. */
export function urlPlace(prefix: string): UrlPlace {
  const scheme = prefix.indexOf('://');
  if (scheme === -1) return 'origin';
  const rest = prefix.slice(scheme + 3);
  const at = rest.search(/[/?#]/);
  if (at === -1) return 'origin';
  const after = rest.slice(at);
  return after.includes('#') ? 'fragment' : after.includes('?') ? 'query' : 'path';
}

const name = (ref: string[]) => `{{${ref.join('.')}}}`;

/**
 * Renders a URL template. Only `{{secret.NAME}}` may stand in the scheme,
 * host or port (an operator-set base URL, inserted as written); any other
 * value there is a ZEROOPS_TEMPLATE_UNSAFE error. Values in the path, query
 * or fragment are percent-encoded (`/ ? # & = % @` and spaces included), so
 * each stays inside its segment or parameter; a value of `.` or `..` as a
 * path segment is refused. The rendered URL is compared with the template's
 * shape (origin, path segment count) as a last check.
 */
export function renderUrl(src: string, ctx: TemplateContext, field = 'url'): string {
  const url = renderWith(src, ctx, (v, ref, before) => {
    const place = urlPlace(before);
    if (place === 'origin') {
      if (ref[0] === 'secret') return textOf(v);
      throw unsafe(`${field}: ${name(ref)} is in the URL's scheme, host or port; only {{secret.NAME}} may be there, other values go in the path or query`);
    }
    const s = textOf(v);
    if (place === 'path' && (s === '.' || s === '..'))
      throw unsafe(`${field}: ${name(ref)} is "${s}", which would move the URL's path up or stay put instead of naming a segment`);
    return encodeComponent(s);
  });
  const skeleton = renderWith(src, ctx, (v, _ref, before) => (urlPlace(before) === 'origin' ? textOf(v) : 'x'));
  let got: URL;
  let want: URL;
  try {
    got = new URL(url);
    want = new URL(skeleton);
  } catch (err) {
    throw new PermanentError('ZEROOPS_STEP_URL_INVALID', `${field}: not a URL once rendered: ${url.slice(0, 200)}`, { cause: err });
  }
  const segments = (u: URL) => u.pathname.split('/').length;
  if (got.origin !== want.origin || got.username !== want.username || got.password !== want.password || segments(got) !== segments(want)) {
    throw unsafe(`${field}: the rendered URL ${got.origin}${got.pathname} does not have the template's origin and ${segments(want) - 1} path segment(s)`);
  }
  return url;
}

/**
 * Checks a URL template without values (for validation). `problem` says
 * why a placeholder other than a secret stands in the scheme, host or port;
 * `host` is the literal host when the origin holds no placeholder at all.
 */
export function urlTemplateShape(src: string): { problem?: string; host?: string } {
  let out = '';
  let templatedOrigin = false;
  for (const part of parseTemplate(src)) {
    if ('text' in part) out += part.text;
    else if (urlPlace(out) !== 'origin') out += 'x';
    else if (part.ref[0] !== 'secret') {
      return {
        problem: `${name(part.ref)} is in the URL's scheme, host or port: only {{secret.NAME}} may be there; put values from the anomaly in the path or query`,
      };
    } else {
      templatedOrigin = true;
      out += out === '' ? 'https://secret.invalid' : 'secret';
    }
  }
  if (templatedOrigin) return {};
  try {
    return { host: new URL(out).hostname };
  } catch (err) {
    return { problem: `not a URL: ${(err as Error).message}` };
  }
}

/**
 * Renders a header value: control characters (CR, LF, NUL, ...) are
 * stripped from values, so a value cannot start a new header, and
 * characters outside printable ASCII are percent-encoded as UTF-8 (node:http
 * refuses most of them in a header).
 */
export function renderHeader(src: string, ctx: TemplateContext): string {
  return renderWith(src, ctx, (v) =>
    textOf(v)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point.
      .replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '')
      .replace(/[^\t\u0020-\u007e]+/g, (run) => encodeComponent(run)),
  );
}

function insideJsonString(before: string): boolean {
  let inside = false;
  for (let i = 0; i < before.length; i++) {
    if (inside && before[i] === '\\') i++;
    else if (before[i] === '"') inside = !inside;
  }
  return inside;
}

/**
 * Renders a JSON body written as JSON: each string leaf is rendered; a leaf
 * that is exactly one placeholder becomes the value itself (a number stays a
 * number). Keys are left as written. The caller JSON-encodes the result.
 */
export function renderJsonValue(value: unknown, ctx: TemplateContext): unknown {
  if (typeof value === 'string') {
    const parts = parseTemplate(value);
    const only = parts.length === 1 ? parts[0] : undefined;
    if (only && 'ref' in only) return JSON.parse(JSON.stringify(resolveRef(ctx, only.ref)));
    return renderWith(value, ctx, textOf);
  }
  if (Array.isArray(value)) return value.map((v) => renderJsonValue(v, ctx));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderJsonValue(v, ctx)]));
  return value;
}

/**
 * Renders a body written as a string. With a JSON content type (or none and
 * a body starting with `{` or `[`), a value inside a JSON string is escaped
 * as string content and a value outside one becomes a JSON value; with
 * `application/x-www-form-urlencoded` it is percent-encoded; any other body
 * gets the value as text.
 */
export function renderStringBody(src: string, ctx: TemplateContext, contentType: string | undefined): string {
  const json = contentType === undefined ? /^\s*[[{]/.test(src) : /[/+]json\b/i.test(contentType);
  if (json) return renderWith(src, ctx, (v, _ref, before) => (insideJsonString(before) ? JSON.stringify(textOf(v)).slice(1, -1) : JSON.stringify(v)));
  if (contentType !== undefined && /x-www-form-urlencoded/i.test(contentType)) return renderWith(src, ctx, (v) => encodeComponent(textOf(v)));
  return renderWith(src, ctx, textOf);
}

/**
 * Renders command arguments: each template gives exactly one argv entry
 * (there is no shell). An argument that starts with a value which starts
 * with `-` is refused unless an earlier argument is `--`, since the program
 * would read it as an option; a NUL byte is refused.
 */
export function renderArgs(args: string[], ctx: TemplateContext): string[] {
  let optionsEnded = false;
  return args.map((a, i) => {
    const first = parseTemplate(a)[0];
    const out = renderWith(a, ctx, (v, ref) => {
      const s = textOf(v);
      if (s.includes('\u0000')) throw unsafe(`argument ${i}: ${name(ref)} contains a NUL byte`);
      return s;
    });
    if (first && 'ref' in first && out.startsWith('-') && !optionsEnded) {
      throw unsafe(
        `argument ${i}: ${name(first.ref)} makes it start with "-" (an option); put a "--" argument before it or write it as --name=${name(first.ref)}`,
      );
    }
    if (a === '--') optionsEnded = true;
    return out;
  });
}
