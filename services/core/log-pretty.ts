/**
 * A small human formatter for pino's JSON lines, used when stdout is a
 * terminal: `12:04:05.123 INFO  collector  collector listening  http=... grpc=...`
 * (colored by level). Anything else gets the JSON lines unchanged.
 */

const LEVELS: Record<number, [string, string]> = {
  10: ['TRACE', '\u001b[90m'],
  20: ['DEBUG', '\u001b[36m'],
  30: ['INFO ', '\u001b[32m'],
  40: ['WARN ', '\u001b[33m'],
  50: ['ERROR', '\u001b[31m'],
  60: ['FATAL', '\u001b[35m'],
};
const RESET = '\u001b[0m';
const DIM = '\u001b[2m';
/** Fields every line has, shown in the prefix or not at all. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'component']);

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v) ?? String(v);
}

/** Formats one pino JSON line for a terminal; a line that is not JSON is returned as it is. */
export function prettyLine(line: string, color = true): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch (err) {
    // Not a pino record (pino writes only JSON; this is defensive): show it as it came.
    if (err instanceof SyntaxError) return line.endsWith('\n') ? line : `${line}\n`;
    throw err;
  }
  const [label, tint] = LEVELS[Number(rec.level)] ?? [String(rec.level).padEnd(5), ''];
  const time = new Date(Number(rec.time)).toISOString().slice(11, 23);
  const component = typeof rec.component === 'string' ? `${rec.component}  ` : '';
  const fields = Object.entries(rec)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${value(v)}`)
    .join(' ');
  const c = (s: string, code: string) => (color && code ? `${code}${s}${RESET}` : s);
  return `${c(time, DIM)} ${c(label, tint)} ${c(component, DIM)}${String(rec.msg ?? '')}${fields ? `  ${c(fields, DIM)}` : ''}\n`;
}

/** A pino destination that writes {@link prettyLine}s to `out` (default process.stdout). */
export function prettyDestination(out: { write(s: string): unknown } = process.stdout, color = true): { write(line: string): void } {
  return {
    write(line: string) {
      out.write(prettyLine(line, color));
    },
  };
}
