/**
 * Scores a bench-zeroops run against the ground truth: per fault, whether and
 * when zeroops detected it, where the true service ranked among the root
 * causes, what ran and how it ended; per fault-free period, every action.
 */
import type { FaultRecord } from '../../../infra/demo/fault-book.ts';
import { repeatedOperations } from '../../../infra/demo/operation-requests.ts';
import type { ApiExecution, Observations } from './observations.ts';

/** A time span of the run, Unix ms. */
export interface Period {
  startMs: number;
  endMs: number;
}

/** One fault of the run and when the bench moved on from it. */
export interface FaultPhase {
  faultId: string;
  /** When the bench stopped watching this fault (the next quiet period starts). */
  endMs: number;
}

/** The scored result of one fault. */
export interface FaultResult {
  n: number;
  service: string;
  kind: string;
  fix: string;
  startedAt: string;
  /** How the fault ended per the control plane: `fix:<op>`, `expired`, `cleared`. */
  endedBy: string | null;
  detected: boolean;
  /** Fault start -> first anomaly naming the service (as itself or a root-cause candidate), seconds. */
  detectSeconds: number | null;
  /** 1-based rank of the true service among the root causes of the first linked anomaly of `warning` or worse (else the first linked one); null: not listed. */
  rootCauseRank: number | null;
  /** Top root cause of the anomaly the rank is read from. */
  topRootCause: string | null;
  /** Playbooks run on the true service, with their outcomes. */
  playbooks: Array<{ playbook: string; outcome: string | null }>;
  /** Executions started on other services during the fault (acting on a symptom). */
  actionsElsewhere: Array<{ service: string; playbook: string; outcome: string | null }>;
  /** Fault start -> its incident closed with resolvedBy auto, seconds (null: not auto-resolved). */
  recoverSeconds: number | null;
  resolvedBy: string | null;
  /** Escalations (webhook notifications) that name the service during the fault. */
  escalations: number;
  /** The service's own anomaly events during the fault, in order (state:kind/severity/role, repeats folded as xN): why a playbook matched or not. */
  events: string[];
}

const sec = (ms: number) => Math.round(ms / 100) / 10;
const at = (iso: string) => Date.parse(iso);
const inside = (ms: number, p: Period) => ms >= p.startMs && ms <= p.endMs;

/** The top root cause of an event, when it lists one. */
const topOf = (a: Observations['anomalies'][number]) => a.rootCauses[0]?.service;

/**
 * Whether an anomaly event is linked to the fault on `service` (the scoring
 * rules, in the README's bench-zeroops section):
 * - an event of an episode that opened at or after the fault start (less one
 *   window of lateness) is linked when it names the service, as its own
 *   service or among its root-cause candidates;
 * - an event of an episode that was already open at the fault start (it
 *   opened for something else: start-up, the host's load, an earlier fault)
 *   is linked only when the fault shows in it: it ranks the service first
 *   and is at least `warning`. An old incident that merely goes on during
 *   the fault detects nothing.
 */
function linked(a: Observations['anomalies'][number], service: string, openedAt: Map<string, number>, startMs: number, windowMs: number): boolean {
  const opened = openedAt.get(a.episodeId) ?? at(a.detectedAt);
  if (opened >= startMs - windowMs) return a.service === service || a.rootCauses.some((c) => c.service === service);
  return topOf(a) === service && a.severity !== 'info';
}

function execBrief(e: ApiExecution) {
  return { service: e.service, playbook: e.playbookId, outcome: e.outcome };
}

/**
 * Scores one fault over `[start, phase.endMs]`; `windowMs` is the detector's
 * window (the lateness allowed between the fault start and the window that
 * shows it).
 */
export function scoreFault(n: number, f: FaultRecord, phase: FaultPhase, obs: Observations, windowMs = 10_000): FaultResult {
  const p: Period = { startMs: at(f.startedAt), endMs: phase.endMs };
  const openedAt = new Map(obs.incidents.map((i) => [i.id, at(i.openedAt)]));
  const during = obs.anomalies.filter((a) => inside(at(a.detectedAt), p)).sort((a, b) => at(a.detectedAt) - at(b.detectedAt));
  const first = during.find((a) => linked(a, f.service, openedAt, p.startMs, windowMs));
  const execs = obs.executions.filter((e) => inside(at(e.createdAt), p)).sort((a, b) => at(a.createdAt) - at(b.createdAt));
  const own = execs.filter((e) => e.service === f.service);
  // The fault's incidents: the service's incidents opened during the fault, and one already open at its start when the fault is linked to it (an event or an execution on it during the fault).
  const linkedEpisodes = new Set([
    ...during.filter((a) => a.service === f.service && linked(a, f.service, openedAt, p.startMs, windowMs)).map((a) => a.episodeId),
    ...own.map((e) => e.episodeId),
  ]);
  const incident = obs.incidents
    .filter((i) => i.service === f.service && at(i.openedAt) <= p.endMs)
    .filter((i) => at(i.openedAt) >= p.startMs - windowMs || ((i.closedAt === null || at(i.closedAt) >= p.startMs) && linkedEpisodes.has(i.id)))
    .sort((a, b) => at(a.openedAt) - at(b.openedAt));
  const auto = incident.find((i) => i.resolvedBy === 'auto' && i.closedAt);
  // Root cause is judged on the first linked event that pages or acts (warning or worse); an `info` event (a first
  // slow window, runtime metrics) is detection, not yet a diagnosis.
  const judged = during.find((a) => a.severity !== 'info' && linked(a, f.service, openedAt, p.startMs, windowMs)) ?? first;
  const rank = judged ? judged.rootCauses.findIndex((c) => c.service === f.service) : -1;
  return {
    n,
    service: f.service,
    kind: f.kind,
    fix: f.fix,
    startedAt: f.startedAt,
    endedBy: f.endedBy ?? null,
    detected: first !== undefined,
    detectSeconds: first ? sec(at(first.detectedAt) - p.startMs) : null,
    rootCauseRank: rank >= 0 ? rank + 1 : null,
    topRootCause: judged ? (topOf(judged) ?? null) : null,
    playbooks: own.map((e) => ({ playbook: e.playbookId, outcome: e.outcome })),
    actionsElsewhere: execs.filter((e) => e.service !== f.service).map(execBrief),
    recoverSeconds: auto?.closedAt ? sec(at(auto.closedAt) - p.startMs) : null,
    resolvedBy: auto ? 'auto' : (incident[0]?.resolvedBy ?? null),
    escalations: obs.notifications.filter((x) => inside(at(x.receivedAt), p) && JSON.stringify(x.body).includes(f.service)).length,
    events: eventTrail(obs, f.service, p),
  };
}

/** The service's anomaly events inside `p`, oldest first, consecutive repeats folded. */
function eventTrail(obs: Observations, service: string, p: Period): string[] {
  const out: Array<{ label: string; n: number }> = [];
  const own = obs.anomalies.filter((a) => a.service === service && inside(at(a.detectedAt), p)).sort((a, b) => at(a.detectedAt) - at(b.detectedAt));
  for (const a of own) {
    const label = `${a.episodeState}:${a.kind}/${a.severity}/${a.attributes['zeroops.root_cause_role'] ?? '-'}`;
    const last = out.at(-1);
    if (last?.label === label) last.n++;
    else out.push({ label, n: 1 });
  }
  return out.map((x) => (x.n > 1 ? `${x.label} x${x.n}` : x.label));
}

/** Every action taken during the fault-free periods. */
export function quietActions(quiet: Period[], obs: Observations) {
  return obs.executions.filter((e) => quiet.some((q) => inside(at(e.createdAt), q))).map((e) => ({ ...execBrief(e), createdAt: e.createdAt }));
}

/** Incidents opened during the fault-free periods (false alarms; not actions). */
export function quietIncidents(quiet: Period[], obs: Observations) {
  return obs.incidents
    .filter((i) => quiet.some((q) => inside(at(i.openedAt), q)))
    .map((i) => ({ service: i.service, kind: i.kind, severity: i.severity, openedAt: i.openedAt }));
}

/** Median of the defined values (null when none). */
export function median(xs: Array<number | null>): number | null {
  const v = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? (v[m] as number) : ((v[m - 1] as number) + (v[m] as number)) / 2;
}

/** Summary figures over a set of faults (one kind, or all). */
export interface Summary {
  faults: number;
  detected: number;
  detectP50: number | null;
  top1: number;
  top3: number;
  fixable: number;
  autoResolved: number;
  recoverP50: number | null;
  unfixable: number;
  escalatedOnce: number;
  madeWorse: number;
  actionsElsewhere: number;
}

/** The run's scored part: the faults, the fault-free periods with what was done in them, and the summaries overall and per kind. */
export function scoreRun(faults: FaultResult[], quiet: Period[], obs: Observations) {
  const kinds = [...new Set(faults.map((f) => f.kind))].sort();
  return {
    faults,
    quietPeriods: quiet.map((q) => ({ start: new Date(q.startMs).toISOString(), end: new Date(q.endMs).toISOString() })),
    quietMinutes: Math.round(quiet.reduce((s, q) => s + q.endMs - q.startMs, 0) / 6_000) / 10,
    quietActions: quietActions(quiet, obs),
    quietIncidents: quietIncidents(quiet, obs),
    // Effects at the target, not zeroops' rows: a step carried out twice (e.g. by two executors) is one duplicate.
    operations: obs.operations.filter((o) => o.status < 300).length,
    duplicateOperations: repeatedOperations(obs.operations),
    overall: summarize(faults),
    perKind: Object.fromEntries(kinds.map((k) => [k, summarize(faults.filter((f) => f.kind === k))])),
  };
}

/** Sums up `rows`. */
export function summarize(rows: FaultResult[]): Summary {
  const fixable = rows.filter((r) => r.fix !== 'none');
  const unfixable = rows.filter((r) => r.fix === 'none');
  return {
    faults: rows.length,
    detected: rows.filter((r) => r.detected).length,
    detectP50: median(rows.map((r) => r.detectSeconds)),
    top1: rows.filter((r) => r.rootCauseRank === 1).length,
    top3: rows.filter((r) => r.rootCauseRank !== null && r.rootCauseRank <= 3).length,
    fixable: fixable.length,
    autoResolved: fixable.filter((r) => r.recoverSeconds !== null).length,
    recoverP50: median(fixable.map((r) => r.recoverSeconds)),
    unfixable: unfixable.length,
    escalatedOnce: unfixable.filter((r) => r.escalations === 1).length,
    madeWorse: rows.reduce((n, r) => n + [...r.playbooks, ...r.actionsElsewhere].filter((p) => p.outcome === 'made_worse').length, 0),
    actionsElsewhere: rows.reduce((n, r) => n + r.actionsElsewhere.length, 0),
  };
}
