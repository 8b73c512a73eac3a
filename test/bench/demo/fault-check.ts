/**
 * One fault of the `make demo` acceptance check: injected with the CLI a user
 * types (`zeroops demo fault <service> <kind>`), judged against what zeroops's
 * REST API and the demo control plane recorded within the allowed time of the
 * command, with bench-zeroops's scorer.
 */
import { spawn } from 'node:child_process';
import type { FaultRecord } from '../../../infra/demo/fault-book.ts';
import { ZEROOPS_BIN } from '../../helpers/zeroops-process.ts';
import type { Observations } from '../zeroops/observations.ts';
import { type FaultResult, scoreFault } from '../zeroops/score.ts';
import { demoEnv } from './demo-process.ts';

/** A CLI command's result. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `zeroops <args>` as a user would, beside the running demo (same data directory, so it finds the control plane). */
export function zeroopsCli(dataDir: string, args: string[], timeoutMs = 120_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ZEROOPS_BIN, ...args], { env: demoEnv(dataDir), stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `zeroops demo fault <service> <kind>`; returns the fault's id as the command printed it. */
export async function injectWithCli(dataDir: string, service: string, kind: string): Promise<string> {
  const r = await zeroopsCli(dataDir, ['demo', 'fault', service, kind]);
  const id = r.stdout.match(/injected (\S+):/)?.[1];
  if (r.code !== 0 || !id) throw new Error(`zeroops demo fault ${service} ${kind} failed (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  return id;
}

/** The acceptance verdict on one fault; every time is in seconds from the `zeroops demo fault` command. */
export interface AcceptanceRow {
  n: number;
  service: string;
  kind: string;
  fix: string;
  commandAt: string;
  /** Command -> the control plane's fault start (the CLI's own start-up). */
  injectSeconds: number;
  /** Command -> first anomaly event naming the service (bench-zeroops's rule). */
  detectSeconds: number | null;
  /** Command -> first event whose top root cause is the service. */
  topCauseSeconds: number | null;
  /** Rank of the service in the first warning-or-worse linked event (bench-zeroops's rank). */
  rank: number | null;
  topRootCause: string | null;
  playbooks: Array<{ playbook: string; outcome: string | null }>;
  /** Command -> the service's incident closed with resolvedBy auto. */
  recoverSeconds: number | null;
  /** How the control plane says the fault ended (`fix:<op>`: by its fix), and when. */
  endedBy: string | null;
  endedSeconds: number | null;
  pass: boolean;
  /** What was missing within the allowed time (empty when it passed). */
  failures: string[];
  /** bench-zeroops's scored row over the same span, for the JSON. */
  scored: FaultResult;
}

const at = (iso: string) => Date.parse(iso);
const sec = (ms: number) => Math.round(ms / 100) / 10;

/**
 * Judges fault `f` (injected by a command at `commandMs`) on `obs` over
 * `[f.startedAt, deadlineMs]`: an anomaly event whose top root cause is the
 * service, an execution on it, its incident closed with resolvedBy `auto`,
 * and the fault ended by its fix per the control plane, all by the deadline.
 */
export function judgeFault(n: number, f: FaultRecord, commandMs: number, deadlineMs: number, obs: Observations, windowMs: number): AcceptanceRow {
  const scored = scoreFault(n, f, { faultId: f.id, endMs: deadlineMs }, obs, windowMs);
  const startMs = at(f.startedAt);
  const fromStart = (s: number | null) => (s === null ? null : sec(startMs - commandMs + s * 1000));
  const inWindow = (iso: string) => at(iso) >= startMs && at(iso) <= deadlineMs;
  const topEvent = obs.anomalies
    .filter((a) => inWindow(a.detectedAt) && a.rootCauses[0]?.service === f.service)
    .sort((a, b) => at(a.detectedAt) - at(b.detectedAt))[0];
  const recoverSeconds = fromStart(scored.recoverSeconds);
  const endedInTime = f.endedAt !== undefined && at(f.endedAt) <= deadlineMs;
  const failures: string[] = [];
  if (!topEvent) failures.push(`no anomaly event ranked ${f.service} first`);
  if (scored.playbooks.length === 0) failures.push(`no execution on ${f.service}`);
  if (recoverSeconds === null || commandMs + recoverSeconds * 1000 > deadlineMs) failures.push(`no incident of ${f.service} closed with resolvedBy auto`);
  if (!endedInTime || f.endedBy !== `fix:${f.fix}`) failures.push(`fault not ended by its fix (${f.fix}) in time: ${endedInTime ? f.endedBy : 'still active'}`);
  return {
    n,
    service: f.service,
    kind: f.kind,
    fix: f.fix,
    commandAt: new Date(commandMs).toISOString(),
    injectSeconds: sec(startMs - commandMs),
    detectSeconds: fromStart(scored.detectSeconds),
    topCauseSeconds: topEvent ? sec(at(topEvent.detectedAt) - commandMs) : null,
    rank: scored.rootCauseRank,
    topRootCause: scored.topRootCause,
    playbooks: scored.playbooks,
    recoverSeconds,
    endedBy: f.endedBy ?? null,
    endedSeconds: f.endedAt ? sec(at(f.endedAt) - commandMs) : null,
    pass: failures.length === 0,
    failures,
    scored,
  };
}
