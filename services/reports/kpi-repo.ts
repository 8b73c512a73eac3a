import { and, eq, gte, inArray, isNull, lt, or, type SQL } from 'drizzle-orm';
import { PermanentError } from '../core/errors.ts';
import { anomalies, changes, type Db, deployments, executions, feedback, incidents, playbooks } from '../store/index.ts';
import { computeKpis, type KpiData, type KpiIncident, type Kpis } from './kpis.ts';

/** Most rows of one kind a KPI request reads. */
export const MAX_KPI_ROWS = 200_000;
/** Most buckets one KPI request may ask for. */
export const MAX_KPI_BUCKETS = 1000;

/** A KPI request. */
export interface KpiQuery {
  service: string | null;
  from: Date;
  to: Date;
  /** Bucket length, ms. */
  bucketMs: number;
  /** ZEROOPS_CHANGE_FAILURE_SECONDS in ms. */
  changeFailureMs: number;
  now?: Date;
}

/** KPIs of a range, overall and per bucket. */
export interface KpiAnswer {
  from: string;
  to: string;
  service: string | null;
  totals: Kpis;
  buckets: Array<{ start: string } & Kpis>;
}

/** Parses a bucket length such as `15m`, `1h`, `1d` (s, m, h, d) into ms; 400 otherwise. */
export function parseBucket(s: string): number {
  const m = /^(\d{1,6})(s|m|h|d)$/.exec(s);
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  if (!m || Number(m[1]) === 0) throw new PermanentError('ZEROOPS_REQUEST_INVALID', `querystring/bucket must be a length like 15m, 1h or 1d (got "${s}")`);
  return Number(m[1]) * unit[m[2] as keyof typeof unit];
}

async function loadIncidents(db: Db, q: KpiQuery): Promise<KpiIncident[]> {
  const svc = (col: typeof incidents.service | typeof anomalies.service): SQL[] => (q.service ? [eq(col, q.service)] : []);
  // Opened in the range, or open during it (they count as downtime for the MTBF).
  // Only the columns the KPIs use (the overview asks for them on every first page load).
  const rowsQuery = db
    .select({
      id: incidents.id,
      service: incidents.service,
      openedAt: incidents.openedAt,
      closedAt: incidents.closedAt,
      neededHuman: incidents.neededHuman,
      resolvedBy: incidents.resolvedBy,
    })
    .from(incidents)
    .where(and(lt(incidents.openedAt, q.to), or(isNull(incidents.closedAt), gte(incidents.closedAt, q.from)), ...svc(incidents.service)))
    .limit(MAX_KPI_ROWS);
  const openingQuery = db
    .select({ episodeId: anomalies.episodeId, windowStart: anomalies.windowStart, detectedAt: anomalies.detectedAt })
    .from(anomalies)
    .where(and(eq(anomalies.episodeState, 'open'), gte(anomalies.windowEnd, q.from), lt(anomalies.windowEnd, q.to), ...svc(anomalies.service)))
    .limit(MAX_KPI_ROWS);
  const labelsQuery = db
    .select({ episodeId: feedback.episodeId, label: feedback.label, createdAt: feedback.createdAt, id: feedback.id })
    .from(feedback)
    .innerJoin(incidents, eq(incidents.id, feedback.episodeId))
    .where(
      and(
        gte(incidents.openedAt, q.from),
        lt(incidents.openedAt, q.to),
        inArray(feedback.label, ['true_positive', 'false_positive']),
        ...svc(incidents.service),
      ),
    )
    .limit(MAX_KPI_ROWS);
  // The three reads go out together (a loaded database answers them side by side).
  const [rows, opening, labels] = await Promise.all([rowsQuery, openingQuery, labelsQuery]);
  const ttd = new Map(opening.map((a) => [a.episodeId, a.detectedAt.getTime() - a.windowStart.getTime()]));
  labels.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
  const latest = new Map<string, 'true_positive' | 'false_positive'>();
  for (const l of labels) latest.set(l.episodeId as string, l.label as 'true_positive' | 'false_positive');
  return rows.map((r) => ({
    id: r.id,
    service: r.service,
    openedMs: r.openedAt.getTime(),
    closedMs: r.closedAt ? r.closedAt.getTime() : null,
    neededHuman: r.neededHuman,
    resolvedBy: r.resolvedBy ?? null,
    ttdMs: ttd.get(r.id) ?? null,
    label: latest.get(r.id) ?? null,
  }));
}

/** How far before a managed change's apply, or after it, telemetry that first shows its version is the same deployment, in ms. */
const SAME_DEPLOYMENT_MS = { before: 5 * 60_000, after: 3_600_000 };

/**
 * Managed changes applied in the range (POST /api/v1/changes): each is a
 * deployment, failed when it was rolled back or failed after it applied.
 */
async function loadManagedChanges(db: Db, q: KpiQuery) {
  const rows = await db
    .select({ service: changes.service, appliedAt: changes.appliedAt, state: changes.state, spec: changes.spec })
    .from(changes)
    .where(and(gte(changes.appliedAt, q.from), lt(changes.appliedAt, q.to), ...(q.service ? [eq(changes.service, q.service)] : [])))
    .limit(MAX_KPI_ROWS);
  return rows.map((r) => ({
    service: r.service,
    version: typeof r.spec.version === 'string' ? r.spec.version : null,
    appliedMs: (r.appliedAt as Date).getTime(),
    failed: r.state === 'rolled_back' || r.state === 'failed',
  }));
}

async function loadDeployments(db: Db, q: KpiQuery) {
  const rowsQuery = db
    .select({ service: deployments.service, firstSeen: deployments.firstSeen, newVersion: deployments.newVersion })
    .from(deployments)
    .where(and(gte(deployments.firstSeen, q.from), lt(deployments.firstSeen, q.to), ...(q.service ? [eq(deployments.service, q.service)] : [])))
    .limit(MAX_KPI_ROWS);
  const afterQuery = db
    .select({ service: incidents.service, openedAt: incidents.openedAt })
    .from(incidents)
    .where(
      and(
        gte(incidents.openedAt, q.from),
        lt(incidents.openedAt, new Date(q.to.getTime() + q.changeFailureMs)),
        ...(q.service ? [eq(incidents.service, q.service)] : []),
      ),
    )
    .limit(MAX_KPI_ROWS);
  const [rows, after, managed] = await Promise.all([rowsQuery, afterQuery, loadManagedChanges(db, q)]);
  const opened = new Map<string, number[]>();
  for (const i of after) {
    const list = opened.get(i.service) ?? [];
    list.push(i.openedAt.getTime());
    opened.set(i.service, list);
  }
  // The version a managed change deployed shows up in telemetry too: count that deployment once (as the managed change).
  const sameAsManaged = (service: string, version: string, t: number) =>
    managed.some(
      (m) => m.service === service && m.version === version && t >= m.appliedMs - SAME_DEPLOYMENT_MS.before && t <= m.appliedMs + SAME_DEPLOYMENT_MS.after,
    );
  const seen = rows
    .filter((d) => !sameAsManaged(d.service, d.newVersion, d.firstSeen.getTime()))
    .map((d) => {
      const t = d.firstSeen.getTime();
      return { firstSeenMs: t, failed: (opened.get(d.service) ?? []).some((o) => o >= t && o <= t + q.changeFailureMs) };
    });
  return [...seen, ...managed.map((m) => ({ firstSeenMs: m.appliedMs, failed: m.failed }))];
}

async function loadKpiData(db: Db, q: KpiQuery): Promise<KpiData> {
  const exeQuery = db
    .select({
      createdAt: executions.createdAt,
      name: playbooks.name,
      playbookId: executions.playbookId,
      mode: executions.mode,
      status: executions.status,
      outcome: executions.outcome,
    })
    .from(executions)
    .leftJoin(playbooks, eq(playbooks.id, executions.playbookId))
    .where(and(gte(executions.createdAt, q.from), lt(executions.createdAt, q.to), ...(q.service ? [eq(executions.service, q.service)] : [])))
    .limit(MAX_KPI_ROWS);
  const [exe, inc, dep] = await Promise.all([exeQuery, loadIncidents(db, q), loadDeployments(db, q)]);
  return {
    incidents: inc,
    executions: exe.map((e) => ({
      createdMs: e.createdAt.getTime(),
      playbookName: e.name ?? e.playbookId,
      mode: e.mode,
      status: e.status,
      outcome: e.outcome,
    })),
    deployments: dep,
    nowMs: (q.now ?? new Date()).getTime(),
  };
}

/** The KPIs of `q`'s range, overall and per bucket (the last bucket may be shorter); 400 for too many buckets. */
export async function kpisOf(db: Db, q: KpiQuery): Promise<KpiAnswer> {
  const from = q.from.getTime();
  const to = q.to.getTime();
  const n = Math.ceil((to - from) / q.bucketMs);
  if (n > MAX_KPI_BUCKETS) {
    throw new PermanentError(
      'ZEROOPS_REQUEST_INVALID',
      `the range holds ${n} buckets, more than ${MAX_KPI_BUCKETS}: choose a longer bucket or a shorter range`,
    );
  }
  const data = await loadKpiData(db, q);
  const buckets = [];
  for (let s = from; s < to; s += q.bucketMs) buckets.push({ start: new Date(s).toISOString(), ...computeKpis(data, s, Math.min(to, s + q.bucketMs)) });
  return { from: q.from.toISOString(), to: q.to.toISOString(), service: q.service, totals: computeKpis(data, from, to), buckets };
}
