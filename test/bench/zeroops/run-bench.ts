/**
 * One bench-zeroops run: zeroops (embedded or production) with the demo shop
 * under load, a warm-up, then each planned fault injected through the control
 * plane and watched until zeroops is done with it, separated by fault-free
 * periods; everything is read back and scored at the end.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { DemoSystem } from '../../../infra/demo/demo-system.ts';
import type { FaultRecord } from '../../../infra/demo/fault-book.ts';
import type { OperationRequest } from '../../../infra/demo/operation-requests.ts';
import { applyRunPlaybooks, startBoth, untilScored } from './bench-start.ts';
import { restoreDesignedReplicas } from './designed-state.ts';
import type { PlannedFault } from './fault-plan.ts';
import { briefRow, inject, scoreNow, sleep, untilDiagnosed, untilIdle, watch } from './fault-watch.ts';
import { observe } from './observations.ts';
import { untilQuiet } from './quiet-gate.ts';
import { type FaultPhase, type FaultResult, type Period, type quietActions, type quietIncidents, scoreFault, scoreRun, type summarize } from './score.ts';
import type { BenchMode, ZeroopsUnderTest } from './zeroops-under-test.ts';

/** Settings of a run. */
export interface BenchOptions {
  mode: BenchMode;
  faults: PlannedFault[];
  windowSeconds: number;
  /**
   * Traffic before the playbooks are applied (models learn; start-up noise
   * passes), counted from when every service of the run had its first window
   * scored.
   */
  warmupSeconds: number;
  /** Fault-free traffic with the playbooks active, before each fault. */
  quietSeconds: number;
  /**
   * Fault-free traffic after the last fault (default `quietSeconds`); then
   * the bench waits for executions still running anywhere (at most
   * `settleSeconds`) before it reads everything back.
   */
  tailQuietSeconds?: number;
  /** How long an injected fault lasts unless fixed. */
  faultSeconds: number;
  /** After a fault ended, how long to wait for incidents to close and executions to finish. */
  settleSeconds: number;
  /** Frontend requests per second. */
  rps: number;
  /** Seconds of the demo playbooks' settle waits between two operations (default: as written, 30 s for 10-second windows). */
  playbookWaitSeconds?: number;
  /** Whether the playbooks' operations answer once carried out rather than when accepted (see runPlaybookBundle). */
  playbookAwaitOperations?: boolean;
  /** Seconds of the demo playbooks' per-service cooldown (default: as written, 120 s). */
  playbookCooldownSeconds?: number;
  /** Demo services to run (default: all). */
  services?: string[];
  /** Extra zeroops settings. */
  env?: Record<string, string>;
  progress?: (line: string) => void;
  /** Where to write everything read back at the end (anomalies, incidents, executions, faults, notifications) as JSON, for diagnosis. */
  dumpTo?: string;
  /**
   * Overlapping faults: when set, one fault-free period comes before the
   * first fault and one after the last, and each fault starts as its entry
   * here says (a fault without an entry starts right after the first
   * period) instead of after the previous fault ended and a quiet period.
   */
  starts?: Record<number, FaultStart>;
  /**
   * One fault at a time only: the fault-free period before each fault is
   * `quietSeconds` of unbroken quiet (no incident of the run's services
   * open, no execution running; see quiet-gate.ts), waited for at most
   * `maxSeconds` (then the fault starts anyway, and the progress line says
   * what was still busy). Unset: `quietSeconds` of traffic, whatever runs.
   */
  quietGate?: { maxSeconds: number };
}

/** When a fault of an overlapping run starts: after an earlier fault was detected or done with, plus some seconds. */
export interface FaultStart {
  /** The earlier fault (its `n`) this one waits for. */
  after: number;
  /**
   * `detected`: once that fault's service raised an anomaly of `warning` or
   * worse since its start (its incident is open and diagnosed, so this
   * fault's first events are not mixed with that one's first events);
   * `done`: once the bench stopped watching it (see {@link watch}).
   */
  when: 'detected' | 'done';
  seconds: number;
}

/** Where a run's time went, in seconds. */
export interface BenchPhases {
  /** zeroops and the demo shop started (side by side). */
  start: number;
  /** From then until every service had a scored window. */
  firstScored: number;
  /** The warm-up after that (until the playbooks were applied). */
  warmup: number;
  /** From the playbooks applied until the bench moved on from the last fault. */
  faults: number;
  /** The fault-free tail and the wait for running executions. */
  tail: number;
  total: number;
}

/** The whole result, as written to JSON. */
export interface BenchResult {
  mode: BenchMode;
  options: Omit<BenchOptions, 'progress' | 'faults'>;
  processes: Record<string, number>;
  startedAt: string;
  finishedAt: string;
  /** 1-minute load average at the start, at each fault, and at the end. */
  loadAverage: number[];
  /** Not known when scored live (score-live.ts). */
  phases?: BenchPhases;
  /** The progress lines, each starting with the seconds since the run started. */
  progress?: string[];
  faults: FaultResult[];
  quietPeriods: Array<{ start: string; end: string }>;
  quietMinutes: number;
  quietActions: ReturnType<typeof quietActions>;
  quietIncidents: ReturnType<typeof quietIncidents>;
  /** Operations the control plane carried out (accepted requests), and those that repeated a step's idempotency key. */
  operations: number;
  duplicateOperations: OperationRequest[];
  overall: ReturnType<typeof summarize>;
  perKind: Record<string, ReturnType<typeof summarize>>;
}

/** The fault-free periods and the faults' phases of a run. */
interface Schedule {
  quiet: Period[];
  phases: Array<FaultPhase & { n: number }>;
}

/** The fault-free period before a fault of a one-at-a-time run (see {@link BenchOptions.quietGate}). */
async function faultFree(zt: ZeroopsUnderTest, demo: DemoSystem, opts: BenchOptions, say: (line: string) => void): Promise<void> {
  if (!opts.quietGate) {
    await sleep(opts.quietSeconds * 1000);
    return;
  }
  const g = await untilQuiet(zt.api, demo.supervisor.names(), { quietSeconds: opts.quietSeconds, maxSeconds: opts.quietGate.maxSeconds });
  say(
    g.quiet
      ? `  quiet for ${opts.quietSeconds} s (${Math.round(g.waited)} s waited)`
      : `  not quiet for ${opts.quietSeconds} s within ${opts.quietGate.maxSeconds} s, starting anyway: ${g.busy.join('; ')}`,
  );
}

/** The faults one after another, each after a fault-free period. */
async function runSequential(zt: ZeroopsUnderTest, demo: DemoSystem, opts: BenchOptions, load: number[], say: (line: string) => void): Promise<Schedule> {
  const quiet: Period[] = [];
  const phases: Array<FaultPhase & { n: number }> = [];
  for (const f of opts.faults) {
    const q = { startMs: Date.now(), endMs: 0 };
    const had = await restoreDesignedReplicas(demo.controlUrl, f.service);
    if (had !== undefined) say(`${f.service} scaled back from ${had} replicas to its designed count before fault ${f.n}`);
    await faultFree(zt, demo, opts, say);
    q.endMs = Date.now();
    quiet.push(q);
    load.push(loadavg()[0] as number);
    say(`fault ${f.n}/${opts.faults.length}: ${f.kind} on ${f.service} (fix: ${f.fix}; load ${(load.at(-1) as number).toFixed(2)})`);
    const rec = await inject(demo.controlUrl, f, opts.faultSeconds);
    await watch(zt, demo, rec.id, f.service, opts, say);
    const phase = { n: f.n, faultId: rec.id, endMs: Date.now() };
    phases.push(phase);
    say(briefRow(await scoreNow(zt.api, demo.controlUrl, phase, opts.windowSeconds * 1000)));
  }
  return { quiet, phases };
}

/** A promise with its resolve function outside. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The faults overlapping in time, each started as `opts.starts` says; one fault-free period before them and one after. */
async function runOverlapping(zt: ZeroopsUnderTest, demo: DemoSystem, opts: BenchOptions, load: number[], say: (line: string) => void): Promise<Schedule> {
  const starts = opts.starts ?? {};
  const q = { startMs: Date.now(), endMs: 0 };
  await sleep(opts.quietSeconds * 1000);
  q.endMs = Date.now();
  const detected = new Map(opts.faults.map((f) => [f.n, deferred()]));
  const done = new Map(opts.faults.map((f) => [f.n, deferred()]));
  const phases: Array<FaultPhase & { n: number }> = [];
  const one = async (f: PlannedFault) => {
    const s = starts[f.n];
    if (s) {
      const gate = (s.when === 'detected' ? detected : done).get(s.after);
      if (!gate) throw new Error(`fault ${f.n} waits for fault ${s.after}, which is not in the run`);
      await gate.promise;
    }
    const had = await restoreDesignedReplicas(demo.controlUrl, f.service);
    if (had !== undefined) say(`${f.service} scaled back from ${had} replicas to its designed count before fault ${f.n}`);
    if (s) await sleep(s.seconds * 1000);
    load.push(loadavg()[0] as number);
    say(`fault ${f.n}/${opts.faults.length}: ${f.kind} on ${f.service} (fix: ${f.fix}; load ${(load.at(-1) as number).toFixed(2)})`);
    const rec = await inject(demo.controlUrl, f, opts.faultSeconds);
    const watched = watch(zt, demo, rec.id, f.service, opts, say, true);
    void untilDiagnosed(zt.api, f.service, rec.startedAt, watched).then((seen) => {
      if (seen) say(`  fault ${f.n}: ${f.service} raised a warning-or-worse anomaly`);
      detected.get(f.n)?.resolve();
    });
    await watched;
    // A fault never diagnosed must not hold up the faults that wait for it.
    detected.get(f.n)?.resolve();
    const phase = { n: f.n, faultId: rec.id, endMs: Date.now() };
    phases.push(phase);
    done.get(f.n)?.resolve();
    say(briefRow(await scoreNow(zt.api, demo.controlUrl, phase, opts.windowSeconds * 1000)));
  };
  await Promise.all(opts.faults.map(one));
  phases.sort((a, b) => a.n - b.n);
  return { quiet: [q], phases };
}

/** Runs the bench and scores it. */
export async function runBench(opts: BenchOptions): Promise<BenchResult> {
  const t0 = Date.now();
  const lines: string[] = [];
  const since = () => Math.round((Date.now() - t0) / 1000);
  const say = (line: string) => {
    lines.push(`[${since()} s] ${line}`);
    opts.progress?.(lines.at(-1) as string);
  };
  const load = [loadavg()[0] as number];
  const startedAt = new Date().toISOString();
  say(`starting zeroops (${opts.mode}, ${opts.windowSeconds} s windows) and the demo shop side by side`);
  const { zt, demo } = await startBoth(opts);
  const at: number[] = [since()];
  try {
    const names = demo.supervisor.names();
    say(`started; waiting for a scored window of each of ${names.length} services`);
    await untilScored(zt.api, names, 120);
    at.push(since());
    say(`warm-up: ${opts.warmupSeconds} s of traffic before the playbooks are applied`);
    await sleep(opts.warmupSeconds * 1000);
    await applyRunPlaybooks(zt.api, demo.controlUrl, {
      waitSeconds: opts.playbookWaitSeconds,
      cooldownSeconds: opts.playbookCooldownSeconds,
      awaitOperations: opts.playbookAwaitOperations,
    });
    at.push(since());
    const { quiet, phases } = opts.starts ? await runOverlapping(zt, demo, opts, load, say) : await runSequential(zt, demo, opts, load, say);
    at.push(since());
    const tail = { startMs: Date.now(), endMs: 0 };
    await sleep((opts.tailQuietSeconds ?? opts.quietSeconds) * 1000);
    await untilIdle(zt.api, opts.settleSeconds);
    tail.endMs = Date.now();
    quiet.push(tail);
    at.push(since());
    say('reading back');
    load.push(loadavg()[0] as number);
    const obs = await observe(zt.api, demo.controlUrl);
    if (opts.dumpTo) writeFileSync(opts.dumpTo, JSON.stringify(obs));
    const byId = new Map(obs.faults.map((f) => [f.id, f]));
    const faults = phases.map((p) => scoreFault(p.n, byId.get(p.faultId) as FaultRecord, p, obs, opts.windowSeconds * 1000));
    const { progress: _p, faults: _f, dumpTo: _d, ...rest } = opts;
    const [start, scored, warm, faulted, tailed] = at as [number, number, number, number, number];
    return {
      mode: opts.mode,
      options: rest,
      processes: zt.processes,
      startedAt,
      finishedAt: new Date().toISOString(),
      loadAverage: load.map((x) => Math.round(x * 100) / 100),
      phases: { start, firstScored: scored - start, warmup: warm - scored, faults: faulted - warm, tail: tailed - faulted, total: since() },
      progress: lines,
      ...scoreRun(faults, quiet, obs),
    };
  } finally {
    await demo.stop();
    await zt.stop();
  }
}
