/**
 * `zeroops detect`: runs the live detector's per-feature model
 * (models/univariate `SeriesModel`) over CSV files (`timestamp,value` with a
 * header) and writes `timestamp,value,anomaly_score,score,episode`, one
 * output row per input row, each computed from that row and the rows before
 * it only: `anomaly_score` is the model's alarm score (nonzero on a row that
 * opens an episode, or where an open episode became ten times rarer: how
 * rare so severe an episode is for this series, models/univariate
 * onset-rarity.ts) and 0 elsewhere, `score` the live per-feature score of
 * every row, `episode` how the row moved the episode.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { SeriesModel } from '../../models/univariate/index.ts';
import { PermanentError, ZeroopsError } from '../core/errors.ts';
import { isServiceHistory } from './backtest/service-csv.ts';
import { csvLines, listCsvFiles, parseTimestamp } from './series-csv.ts';

/** Options of {@link runDetect}. */
export interface DetectOptions {
  /** A CSV file, or a directory whose `*.csv` files (recursively) are all processed. */
  input: string;
  /** Output file (for a file input) or directory (for a directory input); created as needed. */
  output: string;
  /** Receives human-readable progress messages (one per file and a summary). */
  progress?: (msg: string) => void;
}

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
  const jobs = await planJobs(opts.input, opts.output);
  let rows = 0;
  for (const [k, job] of jobs.entries()) {
    const n = await detectFile(job.from, job.to);
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

/** Scores one file with a fresh model; returns its number of data rows. */
async function detectFile(from: string, to: string): Promise<number> {
  const lines = csvLines(await readFile(from, 'utf8'));
  const { tsCol, valueCol } = headerColumns(lines[0], from);
  const model = new SeriesModel();
  const out: string[] = ['timestamp,value,anomaly_score,score,episode'];
  for (let i = 1; i < lines.length; i++) {
    const cells = (lines[i] as string).split(',');
    const { time, value } = parseRow(cells, tsCol, valueCol, `${from}:${i + 1}`);
    const score = model.update(time, value);
    const t = model.last.transition;
    out.push(`${cells[tsCol]},${cells[valueCol]},${model.last.alarm},${score},${t === 'none' ? '' : t}`);
  }
  await mkdir(dirname(to), { recursive: true });
  await writeFile(to, `${out.join('\n')}\n`);
  return lines.length - 1;
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

const DETECT_USAGE = `Usage: zeroops detect --input <file|dir> --output <file|dir>
       zeroops detect --input <dir|export.json> --output <dir> [--services] [--save-state]

Scores CSV series (a header, then timestamp,value rows) with no look-ahead:
each row's score uses only that row and the rows before it. Writes
timestamp,value,anomaly_score,score,episode, one row per input row. For a
directory, every *.csv below --input goes to the same relative path below
--output.

The model is the live detector's own per-feature model: the series is
scored as one gauge of one service (seasonal baseline, each deviation judged
by the series' own history of deviations), and the episode column says what
the live detector would do: "open" where it would open an incident (an
alarm), "ongoing" while it holds it, "closed" where it would close it.

Service history (multivariate backtest; chosen by --services, by an OTLP/JSON
input file, or by CSVs with a timestamp column and no value column): one CSV
per service (timestamp and one column per metric) or an OTLP/JSON export
(one request per line, as the Collector's file exporter writes), scored by
the live detector's models on the history's own clock, however old. Writes
<service>.csv (timestamp,anomaly_score), anomalies.jsonl (the anomaly
events, with evidence) and incidents.json below --output. --save-state
stores the learned models as the live detector's checkpoints (the store of
DATABASE_URL / ZEROOPS_DATA_DIR), so that it starts warm for those services.

anomaly_score is 0 except on alarm rows: where the live detector would open
an incident, or where an open one became ten times rarer. There it says how
rare so severe an episode is for this series (its earlier episodes at least
as severe, and the deviation's Gaussian odds over 10,000 rows), on the
score's scale: the first episode of a quiet series keeps its score, one the
series has had many times as severe scores low. One threshold means the same
on every series: at t, alarm when fewer than about 10,000 x (the two-sided
Gaussian tail of the deviation that t maps to) earlier episodes were as
severe (0.5: about 27; 0.55: about 9; 0.6: about 2.4). score is the live per-feature score of every row in [0, 1]: 0.5
is a deviation of 3 spreads of the baseline that the series' past does not
make routine; an episode opens at 0.5 and holds while the score stays above
0.3.
`;

/**
 * The `zeroops detect` command: parses `args` (`--input`, `--output`,
 * `--help`), scores the CSV files and reports progress on stderr. Bad
 * arguments throw a `ZeroopsError` with code `ZEROOPS_USAGE`.
 */
export async function runDetectCommand(args: string[]): Promise<void> {
  let values: { input?: string; output?: string; help?: boolean; services?: boolean; 'save-state'?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        input: { type: 'string' },
        output: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        services: { type: 'boolean' },
        'save-state': { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new ZeroopsError('ZEROOPS_USAGE', `detect: ${(err as Error).message}\n\n${DETECT_USAGE}`, { statusCode: 400 });
  }
  if (values.help) {
    process.stdout.write(DETECT_USAGE);
    return;
  }
  if (!values.input || !values.output) throw new ZeroopsError('ZEROOPS_USAGE', 'detect needs --input <file|dir> and --output <file|dir>', { statusCode: 400 });
  if (values.services || values['save-state'] || (await isServiceHistory(values.input))) {
    const { runServiceBacktestCommand } = await import('./backtest/backtest-cli.ts');
    return runServiceBacktestCommand(values.input, values.output, values['save-state'] === true);
  }
  const r = await runDetect({ input: values.input, output: values.output, progress: (m) => process.stderr.write(`${m}\n`) });
  process.stderr.write(`scored ${r.rows} rows in ${r.files} file(s) in ${r.seconds.toFixed(1)} s\n`);
}
