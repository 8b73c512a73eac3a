import { and, eq, gte, lt, sql } from 'drizzle-orm';
import { severityRank } from '../../models/fleet/index.ts';
import { rankRootCauses, type ServiceEvidence } from '../../models/root-cause/index.ts';
import type { Bus } from '../bus/bus.ts';
import { type AnomalyEvent, encodeAnomaly, type RootCause } from '../bus/messages.ts';
import { anomalies, type Db, executions, incidents, rollups, type Store, services } from '../store/index.ts';
import { recordDeployments } from './deployment-tracker.ts';

/**
 * Persists the detector's output and publishes it: anomaly rows and incident
 * rows first (so the executor can read them as soon as it sees the event),
 * then the event on the anomalies topic. Every write is idempotent, so a
 * redelivered window does no harm.
 */
export interface AnomalySink {
  /** Stores the features of a scored window (one row per service and window end). */
  rollup(service: string, windowEndMs: number, features: Record<string, number>, score: number): Promise<void>;
  /** Stores many scored windows in one statement (same rows as {@link AnomalySink.rollup}). */
  rollups(rows: RollupInput[]): Promise<void>;
  /** Stores and publishes an anomaly event, creating, updating or closing its incident. */
  emit(event: AnomalyEvent): Promise<void>;
  /** Root-cause candidates: which of `callees` have an open incident, ranked (earlier and stronger first). */
  /**
   * Ranked root-cause candidates of `target`'s anomaly over the call graph
   * (`callees`), from this round's evidence (`round`: every service scored
   * in the same round, whatever order its events are written in) and the
   * open incidents of every instance (from the store).
   */
  rootCauses(
    target: string,
    round: ReadonlyMap<string, ServiceEvidence>,
    callees: (service: string) => readonly string[],
    windowMs: number,
  ): Promise<RootCause[]>;
  /** Records that services were seen now, with their kept resource attributes. */
  touchServices(seen: SeenService[]): Promise<void>;
}

/** A service seen in a round, for {@link AnomalySink.touchServices}. */
export interface SeenService {
  name: string;
  attributes: Record<string, string>;
}

/** One scored window for {@link AnomalySink.rollups}. */
export interface RollupInput {
  service: string;
  windowEndMs: number;
  features: Record<string, number>;
  score: number;
  /** What the baseline expected of each feature: `[expected, lower, upper]`. */
  expected?: Record<string, [number, number, number]>;
  /** Client calls to each callee in the window. */
  callees?: Record<string, number>;
  /** Of those, the failed ones per callee. */
  calleeErrors?: Record<string, number>;
}

/**
 * `resolved_by` of an incident whose episode just closed: kept when an
 * execution already recorded who resolved it; `self` when no execution of
 * the episode is still under way (it closed with no action that worked);
 * otherwise left unset for that execution to record when it finishes.
 */
function resolvedByOnClose(episodeId: string) {
  return sql<
    'auto' | 'human' | 'self' | null
  >`coalesce(${incidents.resolvedBy}, case when exists (select 1 from ${executions} where ${executions.episodeId} = ${episodeId} and ${executions.status} in ('pending', 'running', 'awaiting_approval')) then null else 'self' end)`;
}

/** Most open incidents read to rank root causes (more would mean a fleet-wide outage; the newest are not needed to rank). */
const MAX_OPEN_INCIDENTS_READ = 5000;

/** Postgres' (and PGlite's) limit on bind parameters in one statement. */
export const MAX_BIND_PARAMETERS = 65_535;

/**
 * Rows per multi-row statement for rows of `parameters` bind parameters
 * each: at most 1,000 (statements stay a few MB at most), and always under
 * {@link MAX_BIND_PARAMETERS} with room for `extra` parameters of the
 * statement itself (e.g. an ON CONFLICT ... SET).
 */
export function rowsPerStatement(parameters: number, extra = 0): number {
  return Math.max(1, Math.min(1000, Math.floor((MAX_BIND_PARAMETERS - extra) / parameters)));
}

/** Calls `write` on consecutive slices of `rows` of at most `size` rows, one after the other. */
async function inChunks<T>(rows: T[], size: number, write: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await write(rows.slice(i, i + size));
}

/** Bind parameters per row: rollups (service, window_end, features, score, expected, callees, callee_errors, step_seconds); services (name, first_seen, last_seen, attributes). */
const ROLLUP_ROWS = rowsPerStatement(8);
const SERVICE_ROWS = rowsPerStatement(4, 1);

/** Stores many scored windows, {@link ROLLUP_ROWS} rows per statement. */
async function insertRollups(db: Db, rows: RollupInput[]): Promise<void> {
  await inChunks(rows, ROLLUP_ROWS, (chunk) =>
    db
      .insert(rollups)
      .values(
        chunk.map((r) => ({
          service: r.service,
          windowEnd: new Date(r.windowEndMs),
          features: r.features,
          score: r.score,
          expected: r.expected ?? {},
          callees: r.callees ?? {},
          calleeErrors: r.calleeErrors ?? {},
        })),
      )
      .onConflictDoNothing(),
  );
}

/** Stores the anomaly row of `e` (a redelivered event is ignored). */
async function insertAnomaly(db: Db, e: AnomalyEvent): Promise<void> {
  await db
    .insert(anomalies)
    .values({
      id: e.id,
      service: e.service,
      episodeId: e.episodeId,
      windowStart: new Date(e.windowStartUnixMs),
      windowEnd: new Date(e.windowEndUnixMs),
      score: e.score,
      likelihood: e.likelihood,
      severity: e.severity,
      kind: e.kind,
      evidence: e.evidence,
      rootCauses: e.rootCauses,
      modelVersion: e.modelVersion,
      episodeState: e.episodeState,
      flapping: e.flapping,
      attributes: e.attributes,
      detectedAt: new Date(e.detectedUnixMs),
    })
    .onConflictDoNothing();
}

/**
 * Creates the incident of `e`'s episode (an `open` event), or re-opens it
 * when it closed before this window (the next spike of a spike train
 * continues the episode of the last one, see models/fleet episode-step.ts):
 * open again, not resolved, as severe as its worst window. A redelivered
 * event changes nothing.
 */
async function openIncident(db: Db, e: AnomalyEvent, now: Date): Promise<void> {
  const at = new Date(e.windowEndUnixMs);
  await db
    .insert(incidents)
    .values({
      id: e.episodeId,
      service: e.service,
      kind: e.kind,
      severity: e.severity,
      state: 'open',
      openedAt: at,
      maxScore: e.score,
      lastScore: e.score,
      flapping: e.flapping,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: incidents.id,
      set: {
        state: 'open',
        closedAt: null,
        recoveryStartedAt: null,
        resolvedBy: null,
        lastScore: e.score,
        maxScore: sql`greatest(${incidents.maxScore}, ${e.score})`,
        severity: sql`case when ${severityRankSql(incidents.severity)} >= ${severityRank(e.severity)} then ${incidents.severity} else ${e.severity} end`,
        flapping: e.flapping,
        updatedAt: now,
      },
      setWhere: and(eq(incidents.state, 'closed'), lt(incidents.closedAt, at)),
    });
}

/** The rank of a severity column in SQL, as {@link severityRank} ranks it. */
function severityRankSql(column: typeof incidents.severity) {
  return sql`(case ${column} when 'critical' then 2 when 'warning' then 1 else 0 end)`;
}

/** Updates the open incident of `e`'s episode with its scores, closing it on a `closed` event. */
async function updateIncident(db: Db, e: AnomalyEvent, now: Date): Promise<void> {
  const closed = e.episodeState === 'closed';
  const [row] = await db.select({ maxScore: incidents.maxScore, severity: incidents.severity }).from(incidents).where(eq(incidents.id, e.episodeId));
  await db
    .update(incidents)
    .set({
      lastScore: e.score,
      maxScore: Math.max(row?.maxScore ?? 0, e.score),
      // An incident is as severe as the worst window of its episode so far.
      severity: row && severityRank(row.severity) >= severityRank(e.severity) ? row.severity : e.severity,
      flapping: e.flapping,
      updatedAt: now,
      ...(closed
        ? {
            state: 'closed' as const,
            closedAt: new Date(e.windowEndUnixMs),
            // When the recovery began: the executor credits an action only for a recovery that began after it.
            recoveryStartedAt: e.recoveryStartUnixMs > 0 ? new Date(e.recoveryStartUnixMs) : null,
            resolvedBy: resolvedByOnClose(e.episodeId),
          }
        : {}),
    })
    .where(and(eq(incidents.id, e.episodeId), eq(incidents.state, 'open')));
}

/** Windows back in which a stored window of another instance's service still says that it receives extra demand. */
const DEMAND_WINDOWS = 3;

/** Request rate from which a stored window counts as extra demand: this many times its baseline's expectation (and above its band). */
const DEMAND_UP_RATIO = 1.5;

/**
 * Services whose stored windows of the last {@link DEMAND_WINDOWS} windows
 * received clearly more requests than their baseline expects: what the other
 * detector instances know of a surge (the ranking tells a service loaded from
 * upstream by it). The filter runs in the store, so few rows come back.
 */
async function demandUpServices(db: Db, nowMs: number, windowMs: number): Promise<Set<string>> {
  const rate = sql`(${rollups.features}->>'request_rate')::float8`;
  const band = (i: number) => sql`(${rollups.expected}->'request_rate'->>${sql.raw(String(i))})::float8`;
  const rows = await db
    .selectDistinct({ service: rollups.service })
    .from(rollups)
    .where(
      and(
        gte(rollups.windowEnd, new Date(nowMs - DEMAND_WINDOWS * windowMs)),
        eq(rollups.stepSeconds, 0),
        sql`${rate} > ${band(2)}`,
        sql`${rate} >= ${DEMAND_UP_RATIO} * ${band(0)}`,
      ),
    )
    .limit(MAX_OPEN_INCIDENTS_READ);
  return new Set(rows.map((r) => r.service));
}

/** See {@link AnomalySink.rootCauses}. */
async function rankFromStore(
  db: Db,
  target: string,
  round: ReadonlyMap<string, ServiceEvidence>,
  callees: (service: string) => readonly string[],
  windowMs: number,
): Promise<RootCause[]> {
  // Open incidents are few (one per service at most); they carry what the other instances know.
  const open = await db
    .select({ service: incidents.service, openedAt: incidents.openedAt, maxScore: incidents.maxScore, kind: incidents.kind })
    .from(incidents)
    .where(eq(incidents.state, 'open'))
    .limit(MAX_OPEN_INCIDENTS_READ);
  const evidence = new Map<string, ServiceEvidence>();
  // An open latency or saturation incident of a service another instance scores counts as slowed (for a fleet-wide slowdown).
  // A saturation incident deviates in runtime metrics only (its kind follows its strongest symptom when it has one);
  // an errors incident is one where requests fail (so it can explain a caller's failing requests).
  for (const r of open)
    evidence.set(r.service, {
      score: r.maxScore,
      openedAtMs: r.openedAt.getTime(),
      slowOnly: r.kind === 'latency' || r.kind === 'saturation',
      resourceOnly: r.kind === 'saturation',
      errorsUp: r.kind === 'errors',
    });
  // Services another instance scores: whether they receive extra demand, from their stored windows.
  for (const service of await demandUpServices(db, Date.now(), windowMs))
    if (!round.has(service)) evidence.set(service, { score: 0, ...evidence.get(service), demandUp: true });
  for (const [service, e] of round) {
    const stored = evidence.get(service);
    evidence.set(service, { ...e, openedAtMs: e.openedAtMs ?? stored?.openedAtMs, score: Math.max(e.score, stored?.score ?? 0) });
  }
  return rankRootCauses({ target, callees, evidence, windowMs }, 5, Date.now()).map(({ service, score, reason }) => ({ service, score, reason }));
}

/** See {@link AnomalySink.touchServices}. */
async function upsertServices(db: Db, seen: SeenService[]): Promise<void> {
  const now = new Date();
  await recordDeployments(db, seen, now);
  await inChunks(seen, SERVICE_ROWS, (chunk) =>
    db
      .insert(services)
      .values(chunk.map((s) => ({ name: s.name, firstSeen: now, lastSeen: now, attributes: s.attributes })))
      .onConflictDoUpdate({ target: services.name, set: { lastSeen: now, attributes: sql`excluded.attributes` } }),
  );
}

/** Creates the sink over the store and the bus. */
export function createAnomalySink(deps: { store: Store; bus: Bus; anomaliesTopic: string }): AnomalySink {
  const { db } = deps.store;
  return {
    async rollup(service, windowEndMs, features, score) {
      await db
        .insert(rollups)
        .values({ service, windowEnd: new Date(windowEndMs), features, score })
        .onConflictDoNothing();
    },
    rollups: (rows) => insertRollups(db, rows),
    async emit(e) {
      await insertAnomaly(db, e);
      const now = new Date();
      if (e.episodeState === 'open') await openIncident(db, e, now);
      else await updateIncident(db, e, now);
      await deps.bus.publish(deps.anomaliesTopic, [{ key: e.service, value: encodeAnomaly(e), headers: { 'content-type': 'application/x-protobuf' } }]);
    },
    rootCauses: (target, round, callees, windowMs) => rankFromStore(db, target, round, callees, windowMs),
    touchServices: (seen) => upsertServices(db, seen),
  };
}
