/** Prints a bench-zeroops result as plain-text tables. */
import type { BenchResult } from './run-bench.ts';
import type { Summary } from './score.ts';

const pct = (a: number, b: number) => (b === 0 ? '-' : `${Math.round((a / b) * 100)}%`);
const s = (x: number | null) => (x === null ? '-' : `${x.toFixed(1)} s`);

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i] as number)).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

function summaryRow(name: string, x: Summary): string[] {
  return [
    name,
    String(x.faults),
    `${x.detected} (${pct(x.detected, x.faults)})`,
    s(x.detectP50),
    pct(x.top1, x.faults),
    pct(x.top3, x.faults),
    x.fixable ? `${x.autoResolved}/${x.fixable}` : '-',
    s(x.recoverP50),
    x.unfixable ? `${x.escalatedOnce}/${x.unfixable}` : '-',
    String(x.madeWorse),
    String(x.actionsElsewhere),
  ];
}

/** The per-fault table, the per-kind table and the fault-free figures. */
export function formatResult(r: BenchResult): string {
  const faults = table(
    ['#', 'service', 'kind', 'fix', 'detect', 'rank', 'top cause', 'playbooks (outcome)', 'recover', 'resolved', 'escal.', 'elsewhere'],
    r.faults.map((f) => [
      String(f.n),
      f.service,
      f.kind,
      f.fix,
      f.detected ? s(f.detectSeconds) : 'MISSED',
      f.rootCauseRank === null ? '-' : String(f.rootCauseRank),
      f.topRootCause ?? '-',
      f.playbooks.map((p) => `${p.playbook}(${p.outcome ?? '?'})`).join(' ') || '-',
      s(f.recoverSeconds),
      f.resolvedBy ?? '-',
      String(f.escalations),
      f.actionsElsewhere.map((a) => `${a.service}:${a.playbook}`).join(' ') || '-',
    ]),
  );
  const kinds = table(
    ['kind', 'n', 'detected', 'detect p50', 'top-1', 'top-3', 'auto-fixed', 'recover p50', 'escalated 1x', 'made_worse', 'elsewhere'],
    [...Object.entries(r.perKind).map(([k, x]) => summaryRow(k, x)), summaryRow('ALL', r.overall)],
  );
  const quiet = [
    `fault-free traffic: ${r.quietMinutes} min in ${r.quietPeriods.length} periods; actions taken: ${r.quietActions.length}` +
      (r.quietActions.length ? ` (${r.quietActions.map((a) => `${a.service}:${a.playbook}`).join(', ')})` : ''),
    `incidents opened while fault-free (no action needed): ${r.quietIncidents.length}` +
      (r.quietIncidents.length ? ` (${r.quietIncidents.map((i) => `${i.service}/${i.kind}/${i.severity}`).join(', ')})` : ''),
    `operations carried out by the control plane: ${r.operations}; duplicates (a step's idempotency key again): ${r.duplicateOperations.length}` +
      (r.duplicateOperations.length ? ` (${r.duplicateOperations.map((o) => `${o.service}:${o.op}`).join(', ')})` : ''),
    `mode ${r.mode} (${Object.entries(r.processes)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')}); ${r.options.windowSeconds} s windows; ` + `load average (1 min) ${r.loadAverage.join(' ')}; ${r.startedAt} .. ${r.finishedAt}`,
  ];
  return [faults, '', kinds, '', ...quiet].join('\n');
}
