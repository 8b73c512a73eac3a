/**
 * The Zero-Ops KPIs, computed from plain rows (pure: no I/O). Definitions
 * (also in the README, section "KPIs"), over a range [from, to):
 * - incidents: incidents opened in the range.
 * - neededHumanShare: share of them where a person had to act (approve, reject) or an execution escalated.
 * - autoRemediationRate: share of the closed ones resolved by an automatic execution (`resolvedBy = auto`).
 * - verifiedFixRate / harmRate: among executions created in the range whose action was judged (outcome
 *   resolved, not_resolved, made_worse or undone), the share `resolved` / `made_worse`.
 * - falsePositiveRate: among incidents of the range labelled true or false positive (latest label wins), the share false.
 * - ttdP50Ms / ttdP90Ms: time to detect: from the start of the first anomalous window to the time the
 *   detector reported it, per incident (nearest-rank percentiles).
 * - ttrP50Ms / ttrP90Ms: time to recover: opening to closing of the closed incidents; ttrAutoP50Ms and
 *   ttrHumanP50Ms over those resolved `auto` / `human`.
 * - mtbfMs: mean time between failures: time in the range without an open incident (of the service, or of any
 *   service overall) divided by the incidents.
 * - actionsByPlaybook: executions created in the range that acted (mode suggest or auto, status running,
 *   succeeded, failed or timed_out), by playbook name.
 * - deployments, deploymentsPerDay: deployments first seen in the range (a new service.version in telemetry, or a
 *   managed change applied through POST /api/v1/changes: counted once), and per day of range.
 * - changeFailureRate: share of those deployments that failed: followed by an incident of their service within
 *   ZEROOPS_CHANGE_FAILURE_SECONDS, or (managed changes) rolled back or failed after being applied.
 * Rates are in 0..1, or null when their denominator is 0; times in ms, null without data.
 */

/** The KPI figures of one range. */
export interface Kpis {
  incidents: number;
  neededHumanShare: number | null;
  autoRemediationRate: number | null;
  verifiedFixRate: number | null;
  harmRate: number | null;
  falsePositiveRate: number | null;
  ttdP50Ms: number | null;
  ttdP90Ms: number | null;
  ttrP50Ms: number | null;
  ttrP90Ms: number | null;
  ttrAutoP50Ms: number | null;
  ttrHumanP50Ms: number | null;
  mtbfMs: number | null;
  actionsByPlaybook: Record<string, number>;
  deployments: number;
  deploymentsPerDay: number;
  changeFailureRate: number | null;
}

/** An incident as the KPIs need it (times in Unix ms). */
export interface KpiIncident {
  id: string;
  service: string;
  openedMs: number;
  closedMs: number | null;
  neededHuman: boolean;
  resolvedBy: 'auto' | 'human' | 'self' | null;
  /** Time to detect, ms; null when the opening anomaly is gone. */
  ttdMs: number | null;
  /** Latest true/false-positive label; null when unlabelled. */
  label: 'true_positive' | 'false_positive' | null;
}

/** An execution as the KPIs need it. */
export interface KpiExecution {
  createdMs: number;
  playbookName: string;
  mode: string;
  status: string;
  outcome: string | null;
}

/** A deployment as the KPIs need it; `failed`: an incident of its service followed within the change-failure time. */
export interface KpiDeployment {
  firstSeenMs: number;
  failed: boolean;
}

/** The rows of a range (a superset is fine: each is filtered by its own time). */
export interface KpiData {
  incidents: KpiIncident[];
  executions: KpiExecution[];
  deployments: KpiDeployment[];
  /** The time an open incident is counted open until, in ms (now). */
  nowMs: number;
}

const DAY_MS = 86_400_000;
const JUDGED = new Set(['resolved', 'not_resolved', 'made_worse', 'undone']);
const ACTED = new Set(['running', 'succeeded', 'failed', 'timed_out']);

/** Nearest-rank percentile (`p` in 0..1) of `xs`; null for none. */
export function percentile(xs: number[], p: number): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
}

function share(n: number, d: number): number | null {
  return d === 0 ? null : n / d;
}

/** Length of the union of the intervals clipped to [from, to). */
function coveredMs(intervals: [number, number][], from: number, to: number): number {
  const clipped = intervals.map(([a, b]) => [Math.max(a, from), Math.min(b, to)] as [number, number]).filter(([a, b]) => b > a);
  clipped.sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = from;
  for (const [a, b] of clipped) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

function incidentKpis(all: KpiIncident[], from: number, to: number, nowMs: number) {
  const inc = all.filter((i) => i.openedMs >= from && i.openedMs < to);
  const closed = inc.filter((i) => i.closedMs !== null);
  const ttr = (xs: KpiIncident[]) => xs.map((i) => (i.closedMs as number) - i.openedMs);
  const labelled = inc.filter((i) => i.label !== null);
  const down = coveredMs(
    all.map((i) => [i.openedMs, i.closedMs ?? nowMs]),
    from,
    to,
  );
  const ttd = inc.flatMap((i) => (i.ttdMs === null ? [] : [i.ttdMs]));
  return {
    incidents: inc.length,
    neededHumanShare: share(inc.filter((i) => i.neededHuman).length, inc.length),
    autoRemediationRate: share(closed.filter((i) => i.resolvedBy === 'auto').length, closed.length),
    falsePositiveRate: share(labelled.filter((i) => i.label === 'false_positive').length, labelled.length),
    ttdP50Ms: percentile(ttd, 0.5),
    ttdP90Ms: percentile(ttd, 0.9),
    ttrP50Ms: percentile(ttr(closed), 0.5),
    ttrP90Ms: percentile(ttr(closed), 0.9),
    ttrAutoP50Ms: percentile(ttr(closed.filter((i) => i.resolvedBy === 'auto')), 0.5),
    ttrHumanP50Ms: percentile(ttr(closed.filter((i) => i.resolvedBy === 'human')), 0.5),
    mtbfMs: inc.length === 0 ? null : (to - from - down) / inc.length,
  };
}

function executionKpis(all: KpiExecution[], from: number, to: number) {
  const exe = all.filter((e) => e.createdMs >= from && e.createdMs < to);
  const judged = exe.filter((e) => e.outcome !== null && JUDGED.has(e.outcome));
  const actionsByPlaybook: Record<string, number> = {};
  for (const e of exe) if (e.mode !== 'observe' && ACTED.has(e.status)) actionsByPlaybook[e.playbookName] = (actionsByPlaybook[e.playbookName] ?? 0) + 1;
  return {
    verifiedFixRate: share(judged.filter((e) => e.outcome === 'resolved').length, judged.length),
    harmRate: share(judged.filter((e) => e.outcome === 'made_worse').length, judged.length),
    actionsByPlaybook,
  };
}

/** The KPIs of [fromMs, toMs) from `data`. */
export function computeKpis(data: KpiData, fromMs: number, toMs: number): Kpis {
  const dep = data.deployments.filter((d) => d.firstSeenMs >= fromMs && d.firstSeenMs < toMs);
  const i = incidentKpis(data.incidents, fromMs, toMs, data.nowMs);
  const e = executionKpis(data.executions, fromMs, toMs);
  return {
    incidents: i.incidents,
    neededHumanShare: i.neededHumanShare,
    autoRemediationRate: i.autoRemediationRate,
    verifiedFixRate: e.verifiedFixRate,
    harmRate: e.harmRate,
    falsePositiveRate: i.falsePositiveRate,
    ttdP50Ms: i.ttdP50Ms,
    ttdP90Ms: i.ttdP90Ms,
    ttrP50Ms: i.ttrP50Ms,
    ttrP90Ms: i.ttrP90Ms,
    ttrAutoP50Ms: i.ttrAutoP50Ms,
    ttrHumanP50Ms: i.ttrHumanP50Ms,
    mtbfMs: i.mtbfMs,
    actionsByPlaybook: e.actionsByPlaybook,
    deployments: dep.length,
    deploymentsPerDay: dep.length / ((toMs - fromMs) / DAY_MS),
    changeFailureRate: share(dep.filter((d) => d.failed).length, dep.length),
  };
}
