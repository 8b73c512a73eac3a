import { PermanentError } from './errors.ts';

/** Most items of one array in a request body (a bundle holds at most 500 playbooks, a playbook 50 steps). */
export const MAX_ARRAY_ITEMS = 1_000;

/** Deepest nesting of objects and arrays accepted in a request body (a playbook needs about 8). */
export const MAX_BODY_DEPTH = 32;

function refuse(where: string, path: string, message: string): PermanentError {
  const at = path || '/';
  return new PermanentError('ZEROOPS_REQUEST_INVALID', `${where}${path} ${message}`, { details: [{ path: at, message }] });
}

/**
 * Checks a parsed request document before anything else walks it: nesting at
 * most {@link MAX_BODY_DEPTH} levels, arrays of at most {@link MAX_ARRAY_ITEMS}, and no NUL character in any string or
 * key (Postgres cannot store it). Iterative, so a hostile document cannot
 * exhaust the stack. Returns `value`; throws 400 `ZEROOPS_REQUEST_INVALID`
 * naming the path of the first offending value.
 */
export function assertPlainData<T>(value: T, where = 'body'): T {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop() as { v: unknown; path: string; depth: number };
    if (typeof v === 'string') {
      if (v.includes('\u0000')) throw refuse(where, path, 'must not contain a NUL character (\\u0000)');
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) throw refuse(where, path, `is nested more than ${MAX_BODY_DEPTH} levels deep`);
    if (Array.isArray(v) && v.length > MAX_ARRAY_ITEMS) throw refuse(where, path || '/', `has ${v.length} items; at most ${MAX_ARRAY_ITEMS} are accepted`);
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
    for (const [k, x] of entries) {
      const p = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (k.includes('\u0000')) throw refuse(where, path, 'has a key with a NUL character (\\u0000)');
      stack.push({ v: x, path: p, depth: depth + 1 });
    }
  }
  return value;
}

/** Refuses a parsed query whose numbers are not finite (400 `ZEROOPS_REQUEST_INVALID` naming the parameter). */
export function assertFiniteQuery(query: unknown): void {
  if (typeof query !== 'object' || query === null) return;
  for (const [k, v] of Object.entries(query)) {
    if (typeof v === 'number' && !Number.isFinite(v)) throw refuse('querystring', `/${k}`, 'must be a finite number');
  }
}
