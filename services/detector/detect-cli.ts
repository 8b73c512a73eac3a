/**
 * Core of `zeroops detect`: runs the univariate streaming detector over CSV
 * files (`timestamp,value` with a header) and writes
 * `timestamp,value,anomaly_score`, one output row per input row, each score
 * computed from that row and the rows before it only.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ArtimeDetector } from '../../models/artime-detector.ts';
import { UnivariateDetector } from '../../models/univariate-detector.ts';
import { PermanentError } from '../core/index.ts';
import { csvLines, listCsvFiles, parseTimestamp } from './nab/series-csv.ts';

/** Options of {@link runDetect}. */
export interface DetectOptions {
  /** A CSV file, or a directory whose `*.csv` files (recursively) are all processed. */
  input: string;
  /** Output file (for a file input) or directory (for a directory input); created as needed. */
  output: string;
  /**
   * Which streaming detector scores the rows, each with its default settings:
   * `univariate` (statistical baselines + likelihood, with the ARTime-style
   * detector as its shape feature; the best on NAB, the default) or `artime` (dual-vigilance ART over wavelet features, after
   * NAB's ARTime).
   */
  detector?: DetectorKind;
  /** Receives human-readable progress messages (one per file and a summary). */
  progress?: (msg: string) => void;
}

/** Names of the detectors {@link runDetect} can use. */
export const DETECTOR_KINDS = ['univariate', 'artime'] as const;

/** One of {@link DETECTOR_KINDS}. */
export type DetectorKind = (typeof DETECTOR_KINDS)[number];

/** Totals of one {@link runDetect} call. */
export interface DetectSummary {
  /** Files processed. */
  files: number;
  /** Data rows scored. */
  rows: number;
  /** Wall-clock seconds spent. */
  seconds: number;
}

/**
 * Scores every input row with a fresh detector per file and writes the
 * results. Throws a `PermanentError` (code `ZEROOPS_DETECT_BAD_INPUT`) naming
 * the file and line of the first row whose value or timestamp is unusable.
 */
export async function runDetect(opts: DetectOptions): Promise<DetectSummary> {
  const started = performance.now();
  const kind = opts.detector ?? 'univariate';
  if (!DETECTOR_KINDS.includes(kind)) {
    throw new PermanentError('ZEROOPS_DETECT_BAD_INPUT', `detector must be one of ${DETECTOR_KINDS.join(', ')}, got "${String(kind)}"`);
  }
  const jobs = await planJobs(opts.input, opts.output);
  let rows = 0;
  for (const [k, job] of jobs.entries()) {
    const n = await detectFile(job.from, job.to, kind);
    rows += n;
    opts.progress?.(`[${k + 1}/${jobs.length}] ${job.from}: ${n} rows`);
  }
  const seconds = (performance.now() - started) / 1000;
  return { files: jobs.length, rows, seconds };
}

interface Job {
  from: string;
  to: string;
}

async function planJobs(input: string, output: string): Promise<Job[]> {
  const info = await stat(input).catch((cause: unknown) => {
    throw new PermanentError('ZEROOPS_DETECT_BAD_INPUT', `input ${input} cannot be read`, { cause });
  });
  if (!info.isDirectory()) {
    const outIsDir = await stat(output).then(
      (s) => s.isDirectory(),
      () => false,
    );
    return [{ from: input, to: outIsDir ? join(output, basename(input)) : output }];
  }
  const files = await listCsvFiles(input);
  return files.map((rel) => ({ from: join(input, rel), to: join(output, rel) }));
}

/** Scores one file; returns its number of data rows. */
async function detectFile(from: string, to: string, kind: DetectorKind): Promise<number> {
  const lines = csvLines(await readFile(from, 'utf8'));
  const { tsCol, valueCol } = headerColumns(lines[0], from);
  const detector = createDetector(kind);
  const out: string[] = ['timestamp,value,anomaly_score'];
  for (let i = 1; i < lines.length; i++) {
    const cells = (lines[i] as string).split(',');
    const { time, value } = parseRow(cells, tsCol, valueCol, `${from}:${i + 1}`);
    const score = detector.update(time, value);
    out.push(`${cells[tsCol]},${cells[valueCol]},${score}`);
  }
  await mkdir(dirname(to), { recursive: true });
  await writeFile(to, `${out.join('\n')}\n`);
  return lines.length - 1;
}

function createDetector(kind: DetectorKind): { update(timestampMs: number, value: number): number } {
  if (kind === 'artime') return new ArtimeDetector();
  return new UnivariateDetector();
}

function headerColumns(header: string | undefined, file: string): { tsCol: number; valueCol: number } {
  const names = (header ?? '').split(',').map((h) => h.trim().toLowerCase());
  const tsCol = names.indexOf('timestamp');
  const valueCol = names.indexOf('value');
  if (tsCol < 0 || valueCol < 0) {
    throw new PermanentError('ZEROOPS_DETECT_BAD_INPUT', `${file}:1: header must name columns "timestamp" and "value", got "${header ?? ''}"`);
  }
  return { tsCol, valueCol };
}

function parseRow(cells: string[], tsCol: number, valueCol: number, where: string): { time: number; value: number } {
  const rawValue = (cells[valueCol] ?? '').trim();
  const value = rawValue === '' ? Number.NaN : Number(rawValue);
  if (!Number.isFinite(value)) {
    throw new PermanentError('ZEROOPS_DETECT_BAD_INPUT', `${where}: value "${rawValue}" is not a finite number`);
  }
  const time = parseTimestamp(cells[tsCol] ?? '');
  if (!Number.isFinite(time)) {
    throw new PermanentError('ZEROOPS_DETECT_BAD_INPUT', `${where}: timestamp "${cells[tsCol] ?? ''}" is not a date`);
  }
  return { time, value };
}
