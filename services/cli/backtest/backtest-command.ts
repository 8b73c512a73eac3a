/**
 * `zeroops detect` on service history (multivariate): a directory of service
 * CSVs or an OTLP/JSON export file, scored by the live detector's models on
 * the history's own clock (see backtest.ts). Writes, below `--output`, one
 * `<service>.csv` (`timestamp,anomaly_score`, one row per window),
 * `anomalies.jsonl` (the anomaly events the detector would have emitted,
 * with their evidence) and `incidents.json` (the incidents they would have
 * opened); with `--save-state`, stores the models as the live detector's
 * checkpoints so that it starts warm for these services.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NeuralScorer, type WindowInput } from '../../../models/fleet/index.ts';
import type { Config } from '../../core/config.ts';
import { PermanentError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { loadBackend, saveWarmStart, type WarmStartSummary } from '../../detector/index.ts';
import { createStore, type Store } from '../../store/index.ts';
import { type BacktestResult, runBacktest } from './backtest.ts';
import { otlpBatches, parseOtlpExport } from './otlp-export.ts';
import { historyBatches, isDirectory, readServiceDir } from './service-csv.ts';

/** Options of {@link runServiceBacktest}. */
export interface ServiceBacktestOptions {
  /** A directory of service CSVs, or an OTLP/JSON export file. */
  input: string;
  /** Output directory (created as needed). */
  output: string;
  /** Settings used: window length and lateness (OTLP input), neural model and backend, store and partitions (`saveState`). */
  config: Pick<
    Config,
    | 'windowSeconds'
    | 'latenessSeconds'
    | 'detectorNeural'
    | 'detectorBackend'
    | 'databaseUrl'
    | 'dataDir'
    | 'databasePool'
    | 'connectTimeoutMs'
    | 'topicPartitions'
  >;
  /** Store the learned models as the live detector's starting state. */
  saveState?: boolean;
  /** The store to save into (left open); by default one is opened from `config` and closed. */
  store?: Store;
  logger: Logger;
  progress?: (msg: string) => void;
}

/** Totals of one {@link runServiceBacktest} call. */
export interface ServiceBacktestSummary {
  services: number;
  windows: number;
  anomalies: number;
  incidents: number;
  seconds: number;
  saved?: WarmStartSummary;
}

/** A name usable as a file name (other characters become `_`). */
function fileNameOf(service: string): string {
  return service.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** The windows of the input and how each service's windows are labelled in the output. */
async function openInput(
  opts: ServiceBacktestOptions,
): Promise<{ batches: Iterable<WindowInput[]>; windowMs: number; total: number; labels: Map<string, string[]> }> {
  const labels = new Map<string, string[]>();
  if (await isDirectory(opts.input)) {
    const histories = await readServiceDir(opts.input);
    for (const h of histories) labels.set(h.service, h.labels);
    const total = histories.reduce((a, h) => a + h.times.length, 0);
    return { batches: historyBatches(histories), windowMs: histories[0]?.stepMs ?? 60_000, total, labels };
  }
  const text = await readFile(opts.input, 'utf8').catch((cause: unknown) => {
    throw new PermanentError('ZEROOPS_DETECT_BAD_INPUT', `input ${opts.input} cannot be read`, { cause });
  });
  const windowMs = opts.config.windowSeconds * 1000;
  const requests = parseOtlpExport(text, opts.input);
  return { batches: otlpBatches(requests, opts.input, windowMs, opts.config.latenessSeconds * 1000), windowMs, total: 0, labels };
}

async function writeOutputs(dir: string, r: BacktestResult, labels: Map<string, string[]>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const names = new Set<string>();
  for (const [service, s] of r.scores) {
    const file = fileNameOf(service);
    if (names.has(file)) throw new PermanentError('ZEROOPS_DETECT_BAD_INPUT', `services "${service}" and another map to the same file name ${file}.csv`);
    names.add(file);
    const rowLabels = labels.get(service);
    const out: string[] = ['timestamp,anomaly_score'];
    for (let i = 0; i < s.score.length; i++) out.push(`${rowLabels?.[i] ?? new Date(s.startMs[i] as number).toISOString()},${s.score[i]}`);
    await writeFile(join(dir, `${file}.csv`), `${out.join('\n')}\n`);
  }
  await writeFile(join(dir, 'anomalies.jsonl'), r.anomalies.map((e) => `${JSON.stringify(e)}\n`).join(''));
  await writeFile(join(dir, 'incidents.json'), `${JSON.stringify(r.incidents, null, 2)}\n`);
}

/** Runs the backtest and writes its outputs; see the module comment. Bad input throws a `PermanentError` (`ZEROOPS_DETECT_BAD_INPUT`). */
export async function runServiceBacktest(opts: ServiceBacktestOptions): Promise<ServiceBacktestSummary> {
  const { batches, windowMs, total, labels } = await openInput(opts);
  let neural: NeuralScorer | undefined;
  if (opts.config.detectorNeural) {
    const b = await loadBackend(opts.config.detectorBackend);
    neural = new NeuralScorer(b.tf);
  }
  try {
    const of = total > 0 ? `/${total}` : '';
    const r = runBacktest(batches, {
      windowMs,
      neural,
      progress: (n, s) => opts.progress?.(`backtest: ${n}${of} windows, ${Math.round(n / s)} windows/s`),
      progressEvery: 20_000,
    });
    if (r.windows === 0) throw new PermanentError('ZEROOPS_DETECT_BAD_INPUT', `${opts.input}: no windows (no usable telemetry)`);
    await writeOutputs(opts.output, r, labels);
    const summary: ServiceBacktestSummary = {
      services: r.scores.size,
      windows: r.windows,
      anomalies: r.anomalies.length,
      incidents: r.incidents.length,
      seconds: r.seconds,
    };
    if (opts.saveState) summary.saved = await saveState(opts, r, neural);
    return summary;
  } finally {
    neural?.model.dispose();
  }
}

async function saveState(opts: ServiceBacktestOptions, r: BacktestResult, neural: NeuralScorer | undefined): Promise<WarmStartSummary> {
  if (opts.store) return saveWarmStart(opts.store, r.models.snapshot(), opts.config.topicPartitions, neural);
  const c = opts.config;
  const store = await createStore({
    databaseUrl: c.databaseUrl,
    dataDir: c.dataDir,
    poolSize: c.databasePool,
    connectTimeoutMs: c.connectTimeoutMs,
    logger: opts.logger,
  });
  try {
    return await saveWarmStart(store, r.models.snapshot(), c.topicPartitions, neural);
  } finally {
    await store.close();
  }
}
