/**
 * Exported OTLP telemetry as backtest input: a file holding OTLP/JSON export
 * requests (`{"resourceSpans": [...]}`, `{"resourceMetrics": [...]}`,
 * `{"resourceLogs": [...]}`), either one JSON document or one request per
 * line as the OpenTelemetry Collector's file exporter writes them, in time
 * order. Its resources go through the live detector's ingest and windows
 * on a simulated clock (see `OtlpReplay`).
 */
import type { WindowInput } from '../../../models/fleet/index.ts';
import { PermanentError } from '../../core/errors.ts';
import { OtlpReplay } from '../../detector/index.ts';
import type { Signal } from '../../otlp/index.ts';

const KEYS: Array<[string, Signal]> = [
  ['resourceSpans', 'traces'],
  ['resourceMetrics', 'metrics'],
  ['resourceLogs', 'logs'],
];

function bad(message: string): PermanentError {
  return new PermanentError('ZEROOPS_DETECT_BAD_INPUT', message);
}

/** The export requests of an OTLP/JSON file's text, with the line each starts on. */
export function parseOtlpExport(text: string, file: string): Array<{ line: number; request: Record<string, unknown> }> {
  const whole = text.trim();
  if (whole === '') throw bad(`${file}: empty`);
  try {
    const doc: unknown = JSON.parse(whole);
    const list = Array.isArray(doc) ? doc : [doc];
    return list.map((request, i) => ({ line: 1, request: checkRequest(request, `${file}: request ${i + 1}`) }));
  } catch (err) {
    if (err instanceof PermanentError) throw err;
  }
  const out: Array<{ line: number; request: Record<string, unknown> }> = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = (lines[i] as string).trim();
    if (l === '') continue;
    let request: unknown;
    try {
      request = JSON.parse(l);
    } catch (cause) {
      throw new PermanentError('ZEROOPS_DETECT_BAD_INPUT', `${file}:${i + 1}: not JSON (${(cause as Error).message})`, { cause });
    }
    out.push({ line: i + 1, request: checkRequest(request, `${file}:${i + 1}`) });
  }
  return out;
}

function checkRequest(request: unknown, where: string): Record<string, unknown> {
  if (
    request === null ||
    typeof request !== 'object' ||
    Array.isArray(request) ||
    !KEYS.some(([k]) => Array.isArray((request as Record<string, unknown>)[k]))
  ) {
    throw bad(`${where}: not an OTLP/JSON export request (no resourceSpans, resourceMetrics or resourceLogs array)`);
  }
  return request as Record<string, unknown>;
}

/** Replays the requests in order; yields the windows that close as the simulated clock moves, then the rest. */
export function* otlpBatches(
  requests: ReadonlyArray<{ line: number; request: Record<string, unknown> }>,
  file: string,
  windowMs: number,
  latenessMs: number,
  skipped?: Map<string, number>,
): Generator<WindowInput[]> {
  const replay = new OtlpReplay(windowMs, latenessMs);
  for (const { line, request } of requests) {
    for (const [key, signal] of KEYS) {
      const resources = request[key];
      if (!Array.isArray(resources)) continue;
      for (const r of resources) {
        try {
          replay.add(signal, r);
        } catch (cause) {
          throw new PermanentError('ZEROOPS_DETECT_BAD_INPUT', `${file}:${line}: a ${key} entry is not valid OTLP/JSON (${(cause as Error).message})`, {
            cause,
          });
        }
      }
    }
    const due = replay.close();
    if (due.length > 0) yield due;
  }
  const rest = replay.close(true);
  if (rest.length > 0) yield rest;
  if (skipped) for (const [k, v] of replay.skipped) skipped.set(k, (skipped.get(k) ?? 0) + v);
}
