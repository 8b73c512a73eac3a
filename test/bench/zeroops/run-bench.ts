/**
 * One bench-zeroops run: zeroops (embedded or production) with the demo shop
 * under load, a warm-up, then each planned fault injected through the control
 * plane and watched until zeroops is done with it, separated by fault-free
 * periods; everything is read back and scored at the end.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { type DemoSystem, startDemo } from '../../../infra/demo/demo-system.ts';
import type { FaultRecord } from '../../../infra/demo/fault-book.ts';
import type { OperationRequest } from '../../../infra/demo/operation-requests.ts';
import { applyDemoPlaybooks } from '../../../infra/demo/playbook-bundle.ts';
import { restoreDesignedReplicas } from './designed-state.ts';
import type { PlannedFault } from './fault-plan.ts';
import { observe, openIncidents, runningExecutions } from './observations.ts';
import { type FaultPhase, type FaultResult, type Period, type quietActions, type quietIncidents, scoreFault, scoreRun, type summarize } from './score.ts';
import { type BenchMode, startZeroops, type ZeroopsUnderTest } from './zeroops-under-test.ts';

/** Settings of a run. */
export interface BenchOptions {
  mode: BenchMode;
  faults: PlannedFault[];
  windowSeconds: number;
  /** Traffic before the playbooks are applied (models learn; start-up noise passes). */
  warmupSeconds: number;
  /** Fault-free traffic with the playbooks active, before each fault. */
  quietSeconds: number;
  /** How long an injected fault lasts unless fixed. */
  faultSeconds: number;
  /** After a fault ended, how long to wait for incidents to close and executions to finish. */
  settleSeconds: number;
  /** Frontend requests per second. */
  rps: number;
  /** Seconds of the demo playbooks' settle waits between two operations (default: as written, 30 s for 10-second windows). */
  playbookWaitSeconds?: number;
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

/** The whole result, as written to JSON. */
export interface BenchResult {
  mode: BenchMode;
  options: Omit<BenchOptions, 'progress' | 'faults'>;
  processes: Record<string, number>;
  startedAt: string;
  finishedAt: string;
  /** 1-minute load average at the start, at each fault, and at the end. */
  loadAverage: number[];
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function inject(controlUrl: string, f: PlannedFault, seconds: number): Promise<FaultRecord> {
  const res = await fetch(`${controlUrl}/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ service: f.service, kind: f.kind, durationSeconds: seconds }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`injecting ${f.kind} into ${f.service} failed (${res.status}): ${text.slice(0, 500)}`);
  return JSON.parse(text) as FaultRecord;
}

async function faultState(controlUrl: string, id: string): Promise<FaultRecord | undefined> {
  const res = await fetch(`${controlUrl}/faults`);
  return ((await res.json()) as { faults: FaultRecord[] }).faults.find((f) => f.id === id);
}

/**
 * Waits until the fault has ended and zeroops is done with it (no open
 * incident of the fault's service, no execution still running anywhere, or
 * with `ownOnly` none on the fault's service), or `settle` after its end.
 * Incidents of other services (runtime-metric noise on a busy host opens and
 * closes them all the time) do not hold it up. Overlapping faults watch only
 * their own service's executions: another fault's execution running
 * elsewhere is that fault's business, and waiting for it serialized the
 * overlapping run again.
 */
async function watch(zt: ZeroopsUnderTest, demo: DemoSystem, id: string, service: string, opts: BenchOptions, ownOnly = false): Promise<void> {
  let endedAt: number | undefined;
  const hardStop = Date.now() + (opts.faultSeconds + opts.settleSeconds + 30) * 1000;
  for (;;) {
    await sleep(2_000);
    const f = await faultState(demo.controlUrl, id);
    if (f?.state === 'ended') endedAt ??= Date.now();
    if (endedAt !== undefined) {
      const [open, running] = await Promise.all([openIncidents(zt.api), runningExecutions(zt.api)]);
      if (!open.some((i) => i.service === service) && !running.some((e) => !ownOnly || e.service === service)) return;
      if (Date.now() - endedAt > opts.settleSeconds * 1000) return;
    }
    if (Date.now() > hardStop) return;
  }
}

/** Scores one fault from what zeroops recorded so far (progress output; the final score reads everything again). */
async function scoreNow(api: string, controlUrl: string, phase: FaultPhase & { n: number }, windowMs: number): Promise<FaultResult> {
  const obs = await observe(api, controlUrl);
  return scoreFault(phase.n, obs.faults.find((f) => f.id === phase.faultId) as FaultRecord, phase, obs, windowMs);
}

function briefRow(f: FaultResult): string {
  const ran = f.playbooks.map((p) => `${p.playbook}(${p.outcome ?? '?'})`).join(' ') || 'no playbook';
  const elsewhere = f.actionsElsewhere.length ? `; elsewhere: ${f.actionsElsewhere.map((a) => `${a.service}:${a.playbook}`).join(' ')}` : '';
  return (
    `  -> ${f.detected ? `detected after ${f.detectSeconds} s, top cause ${f.topRootCause}, rank ${f.rootCauseRank ?? '-'}` : 'NOT detected'}; ` +
    `${ran}; ended by ${f.endedBy}; ${f.recoverSeconds !== null ? `resolved by auto after ${f.recoverSeconds} s` : `resolved by ${f.resolvedBy ?? '-'}`}; escalations ${f.escalations}${elsewhere}\n     events: ${f.events.slice(0, 12).join(', ') || 'none'}`
  );
}

/** The fault-free periods and the faults' phases of a run. */
interface Schedule {
  quiet: Period[];
  phases: Array<FaultPhase & { n: number }>;
}

/** The faults one after another, each after a fault-free period. */
async function runSequential(zt: ZeroopsUnderTest, demo: DemoSystem, opts: BenchOptions, load: number[], say: (line: string) => void): Promise<Schedule> {
  const quiet: Period[] = [];
  const phases: Array<FaultPhase & { n: number }> = [];
  for (const f of opts.faults) {
    const q = { startMs: Date.now(), endMs: 0 };
    const had = await restoreDesignedReplicas(demo.controlUrl, f.service);
    if (had !== undefined) say(`${f.service} scaled back from ${had} replicas to its designed count before fault ${f.n}`);
    await sleep(opts.quietSeconds * 1000);
    q.endMs = Date.now();
    quiet.push(q);
    load.push(loadavg()[0] as number);
    say(`fault ${f.n}/${opts.faults.length}: ${f.kind} on ${f.service} (fix: ${f.fix}; load ${(load.at(-1) as number).toFixed(2)})`);
    const rec = await inject(demo.controlUrl, f, opts.faultSeconds);
    await watch(zt, demo, rec.id, f.service, opts);
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

/** Polls until `service` raised an anomaly of `warning` or worse since `sinceIso`, or `stop` resolves. */
async function untilDiagnosed(api: string, service: string, sinceIso: string, stop: Promise<void>): Promise<void> {
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  const url = `${api}/api/v1/anomalies?service=${encodeURIComponent(service)}&since=${encodeURIComponent(sinceIso)}&limit=200`;
  while (!stopped) {
    try {
      const page = (await (await fetch(url, { signal: AbortSignal.timeout(30_000) })).json()) as { items: Array<{ severity: string }> };
      if (page.items.some((a) => a.severity !== 'info')) return;
    } catch {
      // A read that stalls on a loaded machine is tried again.
    }
    await sleep(1_000);
  }
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
    const watched = watch(zt, demo, rec.id, f.service, opts, true);
    void untilDiagnosed(zt.api, f.service, rec.startedAt, watched).then(() => detected.get(f.n)?.resolve());
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
  const say = (line: string) => opts.progress?.(`[${Math.round((Date.now() - t0) / 1000)} s] ${line}`);
  const load = [loadavg()[0] as number];
  const startedAt = new Date().toISOString();
  say(`starting zeroops (${opts.mode}, ${opts.windowSeconds} s windows)`);
  const zt = await startZeroops(opts.mode, opts.windowSeconds, opts.env);
  let demo: DemoSystem | undefined;
  try {
    say('starting the demo shop');
    demo = await startDemo({
      dataDir: zt.dataDir,
      otlpEndpoint: zt.otlp,
      services: opts.services,
      controlPort: 0,
      serviceBasePort: 0,
      rps: opts.rps,
      metricIntervalMs: Math.min(10_000, opts.windowSeconds * 1000),
    });
    say(`warm-up: ${opts.warmupSeconds} s of traffic before the playbooks are applied`);
    await sleep(opts.warmupSeconds * 1000);
    await applyDemoPlaybooks(zt.api, demo.controlUrl, undefined, { waitSeconds: opts.playbookWaitSeconds, cooldownSeconds: opts.playbookCooldownSeconds });
    const { quiet, phases } = opts.starts ? await runOverlapping(zt, demo, opts, load, say) : await runSequential(zt, demo, opts, load, say);
    const tail = { startMs: Date.now(), endMs: 0 };
    await sleep(opts.quietSeconds * 1000);
    tail.endMs = Date.now();
    quiet.push(tail);
    load.push(loadavg()[0] as number);
    const obs = await observe(zt.api, demo.controlUrl);
    if (opts.dumpTo) writeFileSync(opts.dumpTo, JSON.stringify(obs));
    const byId = new Map(obs.faults.map((f) => [f.id, f]));
    const faults = phases.map((p) => scoreFault(p.n, byId.get(p.faultId) as FaultRecord, p, obs, opts.windowSeconds * 1000));
    const { progress: _p, faults: _f, dumpTo: _d, ...rest } = opts;
    return {
      mode: opts.mode,
      options: rest,
      processes: zt.processes,
      startedAt,
      finishedAt: new Date().toISOString(),
      loadAverage: load.map((x) => Math.round(x * 100) / 100),
      ...scoreRun(faults, quiet, obs),
    };
  } finally {
    await demo?.stop();
    await zt.stop();
  }
}
