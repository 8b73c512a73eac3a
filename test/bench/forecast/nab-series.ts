/**
 * NAB series with daily seasonality, put on a regular grid: the step is the
 * median spacing of the timestamps, a value goes to the nearest grid point,
 * empty grid points are gaps (NaN). The known period is one day.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseTimestamp, readColumn } from '../../../services/cli/series-csv.ts';
import type { EvalSeries } from './forecast-eval.ts';

const DAY_MS = 86_400_000;

/** `times` (ms) and `values` on a regular grid of the median spacing. */
export function regularGrid(times: readonly number[], values: readonly number[]): { stepMs: number; values: number[] } {
  const gaps = times
    .slice(1)
    .map((t, i) => t - (times[i] as number))
    .filter((d) => d > 0)
    .sort((a, b) => a - b);
  const stepMs = gaps[Math.floor(gaps.length / 2)] ?? 60_000;
  const t0 = times[0] ?? 0;
  const size = Math.round(((times[times.length - 1] ?? t0) - t0) / stepMs) + 1;
  const grid = new Array<number>(size).fill(Number.NaN);
  times.forEach((t, i) => {
    grid[Math.round((t - t0) / stepMs)] = values[i] as number;
  });
  return { stepMs, values: grid };
}

/** Reads the CSV files of `folder` (below NAB's data/) whose names match `pattern`. */
export async function nabSeries(nabDir: string, folder: string, pattern: RegExp): Promise<EvalSeries[]> {
  const dir = join(nabDir, 'data', folder);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.csv') && pattern.test(f)).sort();
  const out: EvalSeries[] = [];
  for (const f of files) {
    const { timestamps, values } = readColumn(await readFile(join(dir, f), 'utf8'), 'value');
    const grid = regularGrid(timestamps.map(parseTimestamp), values);
    out.push({
      name: `${folder}/${f.replace(/\.csv$/, '')}`,
      values: grid.values,
      knownPeriod: Math.round(DAY_MS / grid.stepMs),
      stepSeconds: grid.stepMs / 1000,
    });
  }
  return out;
}
