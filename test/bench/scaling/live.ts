/**
 * `make bench-scaling ARGS=--live`: predictive against reactive scaling on
 * real processes. Two sides (live-mode.ts, one process each, at the same
 * time unless --sequential): zeroops embedded with cart's request-rate
 * history back-filled, a slice of the demo shop under the demo's load and a
 * recurring surge on cart, the reactive autoscaler, and on the predictive
 * side the demo's forecast playbook as well. The surge is placed so that it
 * starts `beforeMinutes` into the measured span, at the same wall-clock time
 * on both sides (and at that time of every earlier cycle of the history).
 * Prints per-minute p99 latency at the load generator and replicas, the
 * minutes above the objective and the replica-minutes, and writes JSON.
 */
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LiveGo, LiveModeOptions, LiveModeResult } from './live-mode.ts';
import { dayReplicaMinutes, inSurge, judgeLive, type LiveSpan, spanMinutes } from './live-score.ts';

/** Settings of a live run. */
export interface LiveOptions {
  rps: number;
  dayMinutes: number;
  surgeMagnitude: number;
  surgeMinutes: number;
  /** Minute of the compressed day the surge starts at (the demo's clock is set so that it comes `beforeMinutes` into the measured span). */
  surgeAtMinute: number;
  /** Minutes from the start to the measured span (processes start, the first live windows arrive). */
  startupMinutes: number;
  /** Measured minutes before the surge starts, and after it ends. */
  beforeMinutes: number;
  afterMinutes: number;
  /** Surges measured, one compressed day apart (the span runs from `beforeMinutes` before the first to `afterMinutes` after the last). */
  cycles: number;
  historyHours: number;
  capacityRps: number;
  objectiveMs: number;
  seed: number;
  sequential: boolean;
  /** With `sequential`: the predictive side first (the host's load may change between the sides: swapping the order shows how much that weighs). */
  predictiveFirst: boolean;
  /** zeroops in each side's process, beside the demo's balancers and load generator (the layout before live-zeroops.ts). */
  zeroopsInProcess: boolean;
  out: string;
}

const MODE = fileURLToPath(new URL('./live-mode.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** One side's process: `ready` once its demo runs, then `go`, then its result. */
function side(o: LiveModeOptions): { ready: Promise<void>; go(msg: LiveGo): void; result: Promise<LiveModeResult>; kill(): void } {
  const child = fork(MODE, [JSON.stringify(o)], { cwd: REPO, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type?: string }) => m.type === 'ready' && resolve());
    void exited.then((code) => reject(new Error(`the ${o.mode} side exited (${code}) before it was ready`)));
  });
  const result = exited.then((code) => {
    if (code !== 0) throw new Error(`the ${o.mode} side exited with ${code}`);
    return JSON.parse(readFileSync(o.out, 'utf8')) as LiveModeResult;
  });
  ready.catch(() => undefined);
  result.catch(() => undefined);
  return { ready, result, go: (msg) => child.send(msg), kill: () => child.kill('SIGTERM') };
}

/** Runs both sides and prints the comparison. */
export async function runLive(o: LiveOptions): Promise<void> {
  const t0 = Date.now();
  const span: LiveSpan = {
    beforeMinutes: o.beforeMinutes,
    surgeMinutes: o.surgeMinutes,
    afterMinutes: o.afterMinutes,
    dayMinutes: o.dayMinutes,
    cycles: o.cycles,
  };
  const dayMs = o.dayMinutes * 60_000;
  const opts = (mode: LiveModeOptions['mode']): LiveModeOptions => ({
    mode,
    rps: o.rps,
    dayMinutes: o.dayMinutes,
    historyHours: o.historyHours,
    capacityRps: o.capacityRps,
    objectiveMs: o.objectiveMs,
    seed: o.seed,
    zeroopsInProcess: o.zeroopsInProcess,
    out: join(tmpdir(), `bench-scaling-live-${mode}-${process.pid}.json`),
  });
  // Both sides start; once both run, the surge is placed a few minutes ahead (the same wall-clock time for both).
  const place = () => {
    const measureFromMs = Math.ceil((Date.now() + o.startupMinutes * 60_000) / 10_000) * 10_000;
    const surgeStartMs = measureFromMs + o.beforeMinutes * 60_000;
    const go: LiveGo = {
      type: 'go',
      surge: { service: 'cart', magnitude: o.surgeMagnitude, everyMinutes: o.dayMinutes, atMinute: o.surgeAtMinute, durationMinutes: o.surgeMinutes },
      // The demo's clock reads minute `surgeAtMinute` of a day when the wall clock reaches surgeStartMs.
      clockOffsetMs: (((o.surgeAtMinute * 60_000 - surgeStartMs) % dayMs) + dayMs) % dayMs,
      measureFromMs,
      measureToMs: measureFromMs + spanMinutes(span) * 60_000,
    };
    return go;
  };
  const sides = o.sequential ? [] : [side(opts('reactive')), side(opts('predictive'))];
  const results: LiveModeResult[] = [];
  let load0 = 0;
  // Sequential runs: the load average at the start and end of each side (the host may change between them).
  const sideLoads: string[] = [];
  let go: LiveGo | undefined;
  const announce = (g: LiveGo) => {
    load0 = sideLoads.length === 0 ? (loadavg()[0] as number) : load0;
    console.log(
      `live: cart (${o.capacityRps.toFixed(1)} req/s per replica; sessions-db sized for 6 cart replicas) in a demo slice at --rps ${o.rps}, ${o.dayMinutes}-min days; a ${o.surgeMagnitude}x surge for ${o.surgeMinutes} min ` +
        `at minute ${g.surge.atMinute.toFixed(2)} of every day (next at ${new Date(g.measureFromMs + o.beforeMinutes * 60_000).toISOString().slice(11, 19)} UTC); ` +
        `${o.historyHours} h of history back-filled; measured ${new Date(g.measureFromMs).toISOString().slice(11, 19)} to ${new Date(g.measureToMs).toISOString().slice(11, 19)} UTC; ` +
        `objective p99 <= ${o.objectiveMs} ms; zeroops ${o.zeroopsInProcess ? "in each side's process" : 'in a process of its own on each side'}; ${o.sequential ? `one side after the other (${o.predictiveFirst ? 'predictive' : 'reactive'} first)` : 'both sides at once'}; load average ${(loadavg()[0] as number).toFixed(1)}`,
    );
  };
  try {
    if (o.sequential) {
      for (const mode of o.predictiveFirst ? (['predictive', 'reactive'] as const) : (['reactive', 'predictive'] as const)) {
        const s = side(opts(mode));
        sides.push(s);
        await s.ready;
        go = place();
        announce(go);
        const start = loadavg()[0] as number;
        s.go(go);
        results.push(await s.result);
        sideLoads.push(`${mode} ${start.toFixed(1)} -> ${(loadavg()[0] as number).toFixed(1)}`);
      }
    } else {
      await Promise.all(sides.map((s) => s.ready));
      go = place();
      announce(go);
      for (const s of sides) s.go(go);
      results.push(...(await Promise.all(sides.map((s) => s.result))));
    }
  } catch (err) {
    for (const s of sides) s.kill();
    throw err;
  }
  const reactive = results.find((r) => r.mode === 'reactive') as LiveModeResult;
  const predictive = results.find((r) => r.mode === 'predictive') as LiveModeResult;
  const surge = (go as LiveGo).surge;
  const load1 = loadavg()[0] as number;
  console.table(
    reactive.minutes.map((m, i) => {
      const p = predictive.minutes[i];
      const mark = (x: { p99Ms: number | null; aboveObjective: boolean; failed: number }) =>
        `${x.p99Ms === null ? 'failed' : `${x.p99Ms} ms`}${x.failed ? ` (${x.failed} failed)` : ''}${x.aboveObjective ? ' *' : ''}`;
      return {
        minute: i + 1 - o.beforeMinutes <= 0 ? `${i - o.beforeMinutes}` : `+${i - o.beforeMinutes}`,
        surge: inSurge(span, i) ? 'on' : '',
        'reactive: p99': mark(m),
        'reactive: replicas': m.replicas.toFixed(1),
        'predictive: p99': p ? mark(p) : '',
        'predictive: replicas': p ? p.replicas.toFixed(1) : '',
        'event loop p99, max (r / p)': `${m.eventLoopP99Ms}, ${m.eventLoopMaxMs} / ${p?.eventLoopP99Ms ?? ''}, ${p?.eventLoopMaxMs ?? ''} ms`,
        'arrived / recorded (r; p)': `${m.arrived} / ${m.recorded}; ${p ? `${p.arrived} / ${p.recorded}` : ''}`,
      };
    }),
  );
  const cut = reactive.minutesAboveObjective === 0 ? null : 1 - predictive.minutesAboveObjective / reactive.minutesAboveObjective;
  const ratio = predictive.replicaMinutes / reactive.replicaMinutes;
  console.log(
    `minutes above objective (* above): reactive ${reactive.minutesAboveObjective}, predictive ${predictive.minutesAboveObjective}` +
      (cut === null ? ' (reactive had none: no cut to measure)' : ` (${(cut * 100).toFixed(0)} % fewer; target >= 80 %)`),
  );
  const dayR = dayReplicaMinutes(
    reactive.minutes.map((m) => m.replicas),
    o.dayMinutes * o.cycles,
  );
  const dayP = dayReplicaMinutes(
    predictive.minutes.map((m) => m.replicas),
    o.dayMinutes * o.cycles,
  );
  console.log(
    `replica-minutes over the measured span: reactive ${reactive.replicaMinutes.toFixed(1)}, predictive ${predictive.replicaMinutes.toFixed(1)} (${ratio.toFixed(2)}x); ` +
      (dayR !== null && dayP !== null
        ? `over the ${o.cycles > 1 ? `${o.cycles} ` : ''}${o.dayMinutes}-min day${o.cycles > 1 ? 's' : ''} (the rest at 1 replica on both sides): ${dayR.toFixed(1)} / ${dayP.toFixed(1)} (${(dayP / dayR).toFixed(2)}x; target <= 1.2x)`
        : 'over the day: unknown (a side was above 1 replica at an end of the span)'),
  );
  const verdict = judgeLive(
    { minutesAboveObjective: reactive.minutesAboveObjective, spanReplicaMinutes: reactive.replicaMinutes, dayReplicaMinutes: dayR },
    { minutesAboveObjective: predictive.minutesAboveObjective, spanReplicaMinutes: predictive.replicaMinutes, dayReplicaMinutes: dayP },
  );
  console.log(
    `targets: cut ${verdict.cut === null ? '-' : `${(verdict.cut * 100).toFixed(0)} %`} (>= 80 %: ${verdict.meetsCut ? 'met' : 'not met'}), ` +
      `replica-minutes ${verdict.cost.toFixed(2)}x over the ${verdict.costOver} (<= 1.2x: ${verdict.meetsCost ? 'met' : 'not met'})`,
  );
  const share = (r: LiveModeResult) => (r.requests ? `${((r.failed / r.requests) * 100).toFixed(1)} %` : '-');
  console.log(
    `requests via cart: reactive ${reactive.requests} (${reactive.failed} failed, ${share(reactive)}; ${JSON.stringify(reactive.statuses)}), ` +
      `predictive ${predictive.requests} (${predictive.failed} failed, ${share(predictive)}; ${JSON.stringify(predictive.statuses)})`,
  );
  // What the forecast learns (the detector's cart request rate) against the demand that arrived at cart, in the surge.
  const surgeMinutes = (r: LiveModeResult) => r.minutes.filter((_, i) => inSurge(span, i));
  const learnt = (r: LiveModeResult) => {
    const a = surgeMinutes(r).reduce((x, m) => x + m.arrived, 0);
    const c = surgeMinutes(r).reduce((x, m) => x + m.recorded, 0);
    return `${c} recorded of ${a} arrived${a ? ` (${((c / a) * 100).toFixed(0)} %)` : ''}`;
  };
  console.log(`cart requests in the surge minutes, detector vs load balancer: reactive ${learnt(reactive)}, predictive ${learnt(predictive)}`);
  // Which way in was slow in each minute above the objective (frontend chain or the surge's direct requests).
  const ms = (v: number | null) => (v === null ? 'failed/none' : `${v} ms`);
  for (const r of [reactive, predictive]) {
    const above = r.minutes
      .map((m, i) => ({ m, label: i - o.beforeMinutes < 0 ? `${i - o.beforeMinutes}` : `+${i - o.beforeMinutes}` }))
      .filter(({ m }) => m.aboveObjective)
      .map(({ m, label }) => `${label}: via frontend ${ms(m.p99ByEntryMs.frontend)}, direct ${ms(m.p99ByEntryMs.direct)}`);
    console.log(`${r.mode}: p99 by way in, minutes above the objective: ${above.join('; ') || 'none'}`);
  }
  for (const r of [reactive, predictive]) {
    console.log(
      `${r.mode}: scale calls ${r.scaleCalls.map((c) => `${c.at.slice(11, 19)} -> ${c.replicas} (r ${c.reactive}, p ${c.predictive})`).join(', ') || 'none'}; ` +
        `cart rate: back-filled mean ${r.rollupCheck.backfilledMean.toFixed(2)} req/s, live mean ${r.rollupCheck.liveMean?.toFixed(2) ?? '-'} req/s over ${r.rollupCheck.liveWindows} windows`,
    );
  }
  console.log(
    `predictive executions: ${
      predictive.executions
        .slice()
        .reverse()
        .map((e) => `${e.createdAt?.slice(11, 19)} ${e.status} ${e.action ?? ''} -> ${e.replicas ?? '-'} (peak upper ${e.peakUpper?.toFixed(1) ?? '-'})`)
        .join('; ') || 'none'
    }`,
  );
  console.log(
    `load average: ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end${sideLoads.length ? ` (per side: ${sideLoads.join(', ')})` : ''}; ${((Date.now() - t0) / 60_000).toFixed(1)} min`,
  );
  writeFileSync(
    o.out,
    JSON.stringify(
      {
        at: new Date(t0).toISOString(),
        options: o,
        surge,
        loadAverage: { start: load0, end: load1, perSide: sideLoads },
        dayReplicaMinutes: { reactive: dayR, predictive: dayP },
        verdict,
        reactive,
        predictive,
      },
      null,
      2,
    ),
  );
  console.log(`JSON: ${o.out}`);
}
