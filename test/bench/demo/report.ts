/** Prints the `make demo` acceptance check's result as a plain-text table. */
import type { AcceptanceRow } from './fault-check.ts';

const s = (x: number | null) => (x === null ? '-' : `${x.toFixed(1)} s`);

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i] as number)).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

/** The per-fault table (times from the `zeroops demo fault` command), the failures, the demo's start-up and the load. */
export function formatRows(
  rows: AcceptanceRow[],
  timing: { runningSeconds: number | null; playbooksAppliedSeconds: number | null },
  loads: number[],
  notes: string[],
): string {
  const t = table(
    ['#', 'service', 'kind', 'fix', 'detect', 'top cause at', 'rank', 'top cause', 'playbooks (outcome at the check)', 'recover', 'ended by', 'result'],
    rows.map((r) => [
      String(r.n),
      r.service,
      r.kind,
      r.fix,
      s(r.detectSeconds),
      s(r.topCauseSeconds),
      r.rank === null ? '-' : String(r.rank),
      r.topRootCause ?? '-',
      r.playbooks.map((p) => `${p.playbook}(${p.outcome ?? '?'})`).join(' ') || '-',
      s(r.recoverSeconds),
      r.endedBy ? `${r.endedBy} ${s(r.endedSeconds)}` : 'active',
      r.pass ? 'PASS' : 'FAIL',
    ]),
  );
  const failed = rows.filter((r) => !r.pass).map((r) => `fault ${r.n} (${r.kind} on ${r.service}): ${r.failures.join('; ')}`);
  return [
    'seconds from each `zeroops demo fault` command; detect: first event naming the service; top cause at: first event ranking it first',
    t,
    '',
    `passed ${rows.filter((r) => r.pass).length} of ${rows.length}`,
    ...failed,
    `demo start-up: addresses printed ${s(timing.runningSeconds)} after make demo's command, playbooks applied ${s(timing.playbooksAppliedSeconds)} after it`,
    ...notes,
    `load average (1 min) at the start, at each fault, at the end: ${loads.join(' ')}`,
  ].join('\n');
}
