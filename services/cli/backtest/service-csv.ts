/**
 * Exported service history as CSV: a directory of files, one per service
 * (the service is the file name without `.csv`), each with a header
 * `timestamp,<metric>,<metric>,...` and one row per sample in time order.
 * Rows become windows of the live detector (see `rowWindow`), each from its
 * timestamp to the next sample's (the file's usual sample step).
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { WindowInput } from '../../../models/fleet/index.ts';
import { PermanentError } from '../../core/errors.ts';
import { rowWindow } from '../../detector/index.ts';
import { csvLines, listCsvFiles, parseTimestamp } from '../series-csv.ts';

/** One service's history, parsed. */
export interface ServiceHistory {
  service: string;
  file: string;
  /** Metric columns (the header without `timestamp`). */
  columns: string[];
  /** Row start times, ms, strictly increasing. */
  times: Float64Array;
  /** Timestamp cells as written (echoed in the output). */
  labels: string[];
  /** Row-major values, `columns.length` per row; empty cells are NaN. */
  values: Float64Array;
  /** Sample step, ms (median gap between rows). */
  stepMs: number;
}

function bad(message: string): PermanentError {
  return new PermanentError('ZEROOPS_DETECT_BAD_INPUT', message);
}

/** Parses one service file; throws naming the file and line of the first unusable cell. */
export function parseServiceCsv(text: string, file: string, service: string): ServiceHistory {
  const lines = csvLines(text);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const tsCol = header.findIndex((h) => h.toLowerCase() === 'timestamp');
  if (tsCol < 0 || header.length < 2) throw bad(`${file}:1: header must name a "timestamp" column and at least one metric column, got "${lines[0] ?? ''}"`);
  const cols = header.map((_, i) => i).filter((i) => i !== tsCol);
  const columns = cols.map((i) => header[i] as string);
  if (columns.some((c) => c === '')) throw bad(`${file}:1: a metric column has no name`);
  const n = lines.length - 1;
  if (n < 1) throw bad(`${file}: no data rows`);
  const times = new Float64Array(n);
  const labels: string[] = new Array(n);
  const values = new Float64Array(n * cols.length);
  for (let r = 0; r < n; r++) {
    const cells = (lines[r + 1] as string).split(',');
    const where = `${file}:${r + 2}`;
    if (cells.length !== header.length) throw bad(`${where}: ${cells.length} cells, the header has ${header.length}`);
    const t = parseTimestamp(cells[tsCol] ?? '');
    if (!Number.isFinite(t)) throw bad(`${where}: timestamp "${cells[tsCol] ?? ''}" is not a date`);
    if (r > 0 && t <= (times[r - 1] as number)) throw bad(`${where}: timestamp "${cells[tsCol]}" is not after the previous row's`);
    times[r] = t;
    labels[r] = (cells[tsCol] as string).trim();
    for (let c = 0; c < cols.length; c++) {
      const raw = (cells[cols[c] as number] ?? '').trim();
      const v = raw === '' ? Number.NaN : Number(raw);
      if (raw !== '' && !Number.isFinite(v)) throw bad(`${where}: ${columns[c]} "${raw}" is not a finite number`);
      values[r * cols.length + c] = v;
    }
  }
  return { service, file, columns, times, labels, values, stepMs: medianStep(times) };
}

function medianStep(times: Float64Array): number {
  if (times.length < 2) return 60_000;
  const gaps = Array.from(times.subarray(1), (t, i) => t - (times[i] as number)).sort((a, b) => a - b);
  return gaps[gaps.length >> 1] as number;
}

/** Reads every `*.csv` below `dir` as one service each. */
export async function readServiceDir(dir: string): Promise<ServiceHistory[]> {
  const files = await listCsvFiles(dir);
  if (files.length === 0) throw bad(`${dir}: no *.csv files (one per service expected)`);
  const out: ServiceHistory[] = [];
  const seen = new Set<string>();
  for (const rel of files) {
    const service = basename(rel, '.csv');
    if (seen.has(service)) throw bad(`${dir}: two files for service "${service}"`);
    seen.add(service);
    const file = join(dir, rel);
    out.push(parseServiceCsv(await readFile(file, 'utf8'), file, service));
  }
  return out;
}

/** Whether `path` is a directory. */
export async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** The windows of `histories` in time order (ties by service order), in batches of about `batch` windows. */
export function* historyBatches(histories: readonly ServiceHistory[], batch = 2048): Generator<WindowInput[]> {
  const next = new Int32Array(histories.length);
  let out: WindowInput[] = [];
  for (;;) {
    let at = Number.POSITIVE_INFINITY;
    for (let s = 0; s < histories.length; s++) {
      const h = histories[s] as ServiceHistory;
      const r = next[s] as number;
      if (r < h.times.length && (h.times[r] as number) < at) at = h.times[r] as number;
    }
    if (at === Number.POSITIVE_INFINITY) break;
    for (let s = 0; s < histories.length; s++) {
      const h = histories[s] as ServiceHistory;
      const r = next[s] as number;
      if (r >= h.times.length || h.times[r] !== at) continue;
      const k = h.columns.length;
      out.push(rowWindow(h.service, at, at + h.stepMs, h.columns, h.values.subarray(r * k, (r + 1) * k)));
      next[s] = r + 1;
    }
    if (out.length >= batch) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}

/**
 * Whether `input` is service history rather than `timestamp,value` series:
 * an OTLP/JSON file (`.json`, `.jsonl`, `.ndjson`), or CSVs whose first file
 * has a `timestamp` column and no `value` column.
 */
export async function isServiceHistory(input: string): Promise<boolean> {
  if (/\.(json|jsonl|ndjson)$/i.test(input)) return true;
  const first = (await isDirectory(input)) ? (await listCsvFiles(input).catch(() => []))[0] : undefined;
  if (first === undefined) return false;
  const text = await readFile(join(input, first), 'utf8').catch(() => '');
  const header = (csvLines(text.slice(0, 4096))[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  return header.includes('timestamp') && !header.includes('value') && header.length > 1;
}
