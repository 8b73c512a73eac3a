/**
 * Tables of the ingest benchmark: one row per target, signal and encoding
 * with the median over the repetitions (and the spread of p99 at 80%), then
 * where the time went in the repetition whose p99 was the median one.
 */
import type { Signal } from '../../../services/otlp/index.ts';
import type { Probe } from './bench-server.ts';
import type { LoadResult } from './load.ts';

/** What one repetition measured for one target, signal and encoding. */
export interface Row {
  /** Repetition, from 1. */
  rep: number;
  target: string;
  signal: Signal;
  format: string;
  kb: number;
  /** Closed-loop phase: the sustained maximum. */
  max: LoadResult;
  /** Items accepted per CPU-second of the server process during the maximum phase. */
  perCore: number;
  /** Rate asked of the open-loop phase, req/s. */
  openRate: number;
  at80: LoadResult;
  /** The server's view of the 80% phase. */
  probe80: Probe;
  /** Wall seconds of the 80% phase. */
  seconds80: number;
  /** Cores busy during the 80% phase: server, loader, broker, everything else. */
  cores80: { server: number; loader: number; broker: number; other: number };
}

/** The target of the collector rows: p99 at 80% of the maximum rate, in ms. */
export const TARGET_P99_MS = 50;

export function median(values: number[]): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/** Rows of all repetitions grouped by target, signal and encoding, in first-seen order. */
function groups(rows: Row[]): Row[][] {
  const byKey = new Map<string, Row[]>();
  for (const r of rows) {
    const k = `${r.target}/${r.signal}/${r.format}`;
    const list = byKey.get(k);
    if (list) list.push(r);
    else byKey.set(k, [r]);
  }
  return [...byKey.values()];
}

/** The repetition whose p99 at 80% is the median one (the lower middle for an even count). */
function medianRun(runs: Row[]): Row {
  const sorted = runs.slice().sort((a, b) => a.at80.p99 - b.at80.p99);
  return sorted[Math.floor((sorted.length - 1) / 2)] as Row;
}

/** GC pause time of the collector's main thread per second of the 80% phase, and its longest pause, in ms. */
function gcCell(r: Row): string {
  return `${(r.probe80.gc.totalMs / r.seconds80).toFixed(0).padStart(5)} ${r.probe80.gc.maxMs.toFixed(1).padStart(6)}`;
}

const unit: Record<Signal, string> = { traces: 'spans', metrics: 'points', logs: 'logs' };
const num = (n: number, w = 11) => Math.round(n).toLocaleString('en-US').padStart(w);

/** Prints both tables and the verdict on the collector's latency target; returns whether every collector row met it. */
export function printReport(rows: Row[], items: number): boolean {
  const all = groups(rows);
  const reps = all[0]?.length ?? 0;
  console.log(`\nmedians over ${reps} repetition(s); p99 @80% as median [min-max]`);
  console.log('target     signal   format    body KB | items/s @max  items/CPU-s  p99 ms @max | req/s @80%  kept up  p50 ms  p99 ms @80%            errors');
  let met = true;
  for (const runs of all) {
    const r = runs[0] as Row;
    const p99s = runs.map((x) => x.at80.p99);
    const p99 = median(p99s);
    const keptUp = median(runs.map((x) => x.at80.okPerSecond / x.openRate));
    const errors = runs.reduce((n, x) => n + x.max.errors + x.at80.errors, 0);
    const verdict = r.target === 'collector' ? (p99 < TARGET_P99_MS ? ' ok' : ' MISSED') : '';
    if (r.target === 'collector' && !(p99 < TARGET_P99_MS)) met = false;
    const spread = `${p99.toFixed(1)} [${Math.min(...p99s).toFixed(1)}-${Math.max(...p99s).toFixed(1)}]${verdict}`;
    console.log(
      `${r.target.padEnd(10)} ${r.signal.padEnd(8)} ${r.format.padEnd(9)} ${String(r.kb).padStart(7)} | ${num(median(runs.map((x) => x.max.okPerSecond)) * items)} ${unit[r.signal].padEnd(6)} ${num(median(runs.map((x) => x.perCore)))}  ${median(
        runs.map((x) => x.max.p99),
      )
        .toFixed(1)
        .padStart(11)} | ${median(runs.map((x) => x.openRate))
        .toFixed(0)
        .padStart(10)}  ${(keptUp * 100).toFixed(0).padStart(6)}%  ${median(runs.map((x) => x.at80.p50))
        .toFixed(1)
        .padStart(6)}  ${spread.padEnd(28)} ${errors}`,
    );
  }
  console.log('\nwhere the time went @80%, in the repetition with the median p99 (ms p50/p99; cores busy)');
  console.log(
    'target     signal   format    | loop delay  gc ms/s max  read         json         split        publish wait | send lag p99 | cores server/loader/broker/other',
  );
  const s = (x: { p50: number; p99: number } | undefined) => (x ? `${x.p50.toFixed(1)}/${x.p99.toFixed(1)}` : '-').padEnd(12);
  for (const runs of all) {
    const r = medianRun(runs);
    const st = r.probe80.stages;
    const c = r.cores80;
    console.log(
      `${r.target.padEnd(10)} ${r.signal.padEnd(8)} ${r.format.padEnd(9)} | ${s(r.probe80.eventLoop).slice(0, 11)} ${gcCell(r)} ${s(st.read)} ${s(st.json)} ${s(st.split)} ${s(st.publish)} | ${(r.at80.sendLagP99 ?? Number.NaN).toFixed(1).padStart(12)} | ${c.server.toFixed(2)}/${c.loader.toFixed(2)}/${c.broker.toFixed(2)}/${c.other.toFixed(2)}`,
    );
  }
  return met;
}
