/**
 * Watching one injected fault of a bench-zeroops run: injecting it through
 * the control plane, waiting until zeroops is done with it, and the
 * progress lines about it.
 */
import type { DemoSystem } from '../../../infra/demo/demo-system.ts';
import type { FaultRecord } from '../../../infra/demo/fault-book.ts';
import type { PlannedFault } from './fault-plan.ts';
import { observe, openIncidents, runningExecutions } from './observations.ts';
import { type FaultPhase, type FaultResult, scoreFault } from './score.ts';
import type { ZeroopsUnderTest } from './zeroops-under-test.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function inject(controlUrl: string, f: PlannedFault, seconds: number): Promise<FaultRecord> {
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
export async function watch(
  zt: ZeroopsUnderTest,
  demo: DemoSystem,
  id: string,
  service: string,
  opts: { faultSeconds: number; settleSeconds: number },
  say: (line: string) => void,
  ownOnly = false,
): Promise<void> {
  let endedAt: number | undefined;
  const hardStop = Date.now() + (opts.faultSeconds + opts.settleSeconds + 30) * 1000;
  for (;;) {
    await sleep(1_000);
    const f = await faultState(demo.controlUrl, id);
    if (f?.state === 'ended' && endedAt === undefined) {
      endedAt = Date.now();
      say(`  ${f.kind} on ${service} ended (${f.endedBy ?? '?'})`);
    }
    if (endedAt !== undefined) {
      const [open, running] = await Promise.all([openIncidents(zt.api), runningExecutions(zt.api)]);
      if (!open.some((i) => i.service === service) && !running.some((e) => !ownOnly || e.service === service)) return;
      if (Date.now() - endedAt > opts.settleSeconds * 1000) return;
    }
    if (Date.now() > hardStop) return;
  }
}

/** Scores one fault from what zeroops recorded so far (progress output; the final score reads everything again). */
export async function scoreNow(api: string, controlUrl: string, phase: FaultPhase & { n: number }, windowMs: number): Promise<FaultResult> {
  const obs = await observe(api, controlUrl);
  return scoreFault(phase.n, obs.faults.find((f) => f.id === phase.faultId) as FaultRecord, phase, obs, windowMs);
}

export function briefRow(f: FaultResult): string {
  const ran = f.playbooks.map((p) => `${p.playbook}(${p.outcome ?? '?'})`).join(' ') || 'no playbook';
  const elsewhere = f.actionsElsewhere.length ? `; elsewhere: ${f.actionsElsewhere.map((a) => `${a.service}:${a.playbook}`).join(' ')}` : '';
  return (
    `  -> ${f.detected ? `detected after ${f.detectSeconds} s, top cause ${f.topRootCause}, rank ${f.rootCauseRank ?? '-'}` : 'NOT detected'}; ` +
    `${ran}; ended by ${f.endedBy}; ${f.recoverSeconds !== null ? `resolved by auto after ${f.recoverSeconds} s` : `resolved by ${f.resolvedBy ?? '-'}`}; escalations ${f.escalations}${elsewhere}\n     events: ${f.events.slice(0, 12).join(', ') || 'none'}`
  );
}

/** Polls until `service` raised an anomaly of `warning` or worse since `sinceIso` (true), or `stop` resolves (false). */
export async function untilDiagnosed(api: string, service: string, sinceIso: string, stop: Promise<void>): Promise<boolean> {
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  const url = `${api}/api/v1/anomalies?service=${encodeURIComponent(service)}&since=${encodeURIComponent(sinceIso)}&limit=200`;
  while (!stopped) {
    try {
      const page = (await (await fetch(url, { signal: AbortSignal.timeout(30_000) })).json()) as { items: Array<{ severity: string }> };
      if (page.items.some((a) => a.severity !== 'info')) return true;
    } catch {
      // A read that stalls on a loaded machine is tried again.
    }
    await sleep(1_000);
  }
  return false;
}

/** Waits until no execution runs anywhere, at most `maxSeconds`. */
export async function untilIdle(api: string, maxSeconds: number): Promise<void> {
  const stop = Date.now() + maxSeconds * 1000;
  while (Date.now() < stop && (await runningExecutions(api)).length > 0) await sleep(1_000);
}
