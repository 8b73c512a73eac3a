/**
 * What the short run asserts, as plain messages: each names the fault and
 * what broke (not detected, the wrong top root cause, not ended by its fix,
 * not resolved by an automatic execution), plus any `made_worse` outcome.
 * An empty list is a pass.
 */
import type { BenchPhases } from './run-bench.ts';
import type { FaultResult } from './score.ts';

/** The part of a bench result the verdict reads. */
export interface ShortOutcome {
  faults: FaultResult[];
  overall: { madeWorse: number };
}

/** Why one fault fails the short run's assertions (empty: it passes). */
function faultFailures(f: FaultResult): string[] {
  const name = `fault ${f.n} (${f.kind} on ${f.service})`;
  if (!f.detected) return [`${name}: not detected (no anomaly event linked to it)`];
  const out: string[] = [];
  if (f.topRootCause !== f.service) {
    out.push(`${name}: top root cause ${f.topRootCause ?? 'none'}, not ${f.service} (rank ${f.rootCauseRank ?? 'not listed'})`);
  }
  if (f.endedBy !== `fix:${f.fix}`) {
    const ran = f.playbooks.map((p) => `${p.playbook}(${p.outcome ?? 'unfinished'})`).join(', ') || 'no playbook ran on it';
    out.push(`${name}: ended by ${f.endedBy ?? 'nothing (still active)'}, not by its fix ${f.fix}; ${ran}`);
  }
  if (f.resolvedBy !== 'auto') out.push(`${name}: its incident was resolved by ${f.resolvedBy ?? 'nobody (still open or none)'}, not auto`);
  return out;
}

/** Every assertion of the short run that failed, one message each. */
export function shortRunFailures(r: ShortOutcome): string[] {
  const out = r.faults.flatMap(faultFailures);
  if (r.overall.madeWorse > 0) out.push(`${r.overall.madeWorse} execution(s) ended made_worse`);
  return out;
}

/** One line of where the time went, e.g. for `make test`'s output. */
export function timingLine(p: BenchPhases, load: number[]): string {
  const loads = load.map((x) => x.toFixed(1)).join(' -> ');
  return (
    `${p.total} s in all: start ${p.start} s, first scored windows ${p.firstScored} s, warm-up ${p.warmup} s, ` +
    `faults ${p.faults} s, tail ${p.tail} s (load average, 1 min: ${loads})`
  );
}
