/**
 * Small CSV helpers for univariate series files (`timestamp,value,...` with a
 * header), shared by the detect CLI and the NAB benchmark tooling.
 */
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

/**
 * Parses a NAB-style timestamp (`YYYY-MM-DD HH:MM:SS[.ffffff]`, or ISO 8601)
 * as UTC and returns epoch milliseconds, or `NaN` if it is not a date.
 */
export function parseTimestamp(text: string): number {
  const t = text.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(t);
  if (m === null) return Date.parse(t);
  const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  return Date.UTC(+(m[1] as string), +(m[2] as string) - 1, +(m[3] as string), +(m[4] as string), +(m[5] as string), +(m[6] as string), ms);
}

/** Splits CSV text into non-empty lines (handles `\r\n`). */
export function csvLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.length > 0);
}

/**
 * Reads one numeric column of a headered CSV text by its name, with the first
 * column as timestamp text. Throws if the column is missing. Non-numeric cells
 * become `NaN`.
 */
export function readColumn(text: string, column: string): { timestamps: string[]; values: number[] } {
  const lines = csvLines(text);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const col = header.indexOf(column);
  if (col < 0) throw new Error(`CSV has no column "${column}" (header: ${header.join(',')})`);
  const timestamps: string[] = [];
  const values: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = (lines[i] as string).split(',');
    timestamps.push(cells[0] ?? '');
    values.push(Number(cells[col]));
  }
  return { timestamps, values };
}

/**
 * Lists every `*.csv` file below `dir`, recursively, as paths relative to
 * `dir` with `/` separators, sorted.
 */
export async function listCsvFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.csv'))
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}
