import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Bus } from '../bus/bus.ts';
import { type AnomalyEvent, encodeAnomaly, type RootCause } from '../bus/messages.ts';
import { anomalies, executions, incidents, rollups, type Store, services } from '../store/index.ts';
import { severityRank } from './severity.ts';

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
  rootCauses(service: string, callees: string[], score: number, openedAtMs: number): Promise<RootCause[]>;
  /** Records that services were seen. */
  touchServices(names: string[]): Promise<void>;
}

/** One scored window for {@link AnomalySink.rollups}. */
export interface RollupInput {
  service: string;
  windowEndMs: number;
  features: Record<string, number>;
  score: number;
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

/** Rows per insert statement (keeps statements well below Postgres' parameter limit). */
const ROLLUP_CHUNK = 1000;

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

    async rollups(rows) {
      for (let i = 0; i < rows.length; i += ROLLUP_CHUNK) {
        const chunk = rows
          .slice(i, i + ROLLUP_CHUNK)
          .map((r) => ({ service: r.service, windowEnd: new Date(r.windowEndMs), features: r.features, score: r.score }));
        await db.insert(rollups).values(chunk).onConflictDoNothing();
      }
    },

    async emit(e) {
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
      const now = new Date();
      if (e.episodeState === 'open') {
        await db
          .insert(incidents)
          .values({
            id: e.episodeId,
            service: e.service,
            kind: e.kind,
            severity: e.severity,
            state: 'open',
            openedAt: new Date(e.windowEndUnixMs),
            maxScore: e.score,
            lastScore: e.score,
            flapping: e.flapping,
            updatedAt: now,
          })
          .onConflictDoNothing();
      } else {
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
            ...(closed ? { state: 'closed' as const, closedAt: new Date(e.windowEndUnixMs), resolvedBy: resolvedByOnClose(e.episodeId) } : {}),
          })
          .where(and(eq(incidents.id, e.episodeId), eq(incidents.state, 'open')));
      }
      await deps.bus.publish(deps.anomaliesTopic, [{ key: e.service, value: encodeAnomaly(e), headers: { 'content-type': 'application/x-protobuf' } }]);
    },

    async rootCauses(service, callees, score, openedAtMs) {
      if (callees.length === 0) return [{ service, score, reason: 'no anomalous dependency: the service itself' }];
      const open = await db
        .select({ service: incidents.service, openedAt: incidents.openedAt, maxScore: incidents.maxScore })
        .from(incidents)
        .where(and(inArray(incidents.service, callees), eq(incidents.state, 'open')));
      const ranked = open.map((r) => {
        const first = r.openedAt.getTime() <= openedAtMs;
        return {
          service: r.service,
          score: Math.min(1, r.maxScore * (first ? 1 : 0.6)),
          reason: first ? 'downstream dependency anomalous since before this service' : 'downstream dependency anomalous too',
        };
      });
      ranked.sort((a, b) => b.score - a.score);
      const selfScore = ranked.length > 0 ? score * 0.5 : score;
      ranked.push({ service, score: selfScore, reason: ranked.length > 0 ? 'the service itself' : 'no anomalous dependency: the service itself' });
      ranked.sort((a, b) => b.score - a.score);
      return ranked.slice(0, 5);
    },

    async touchServices(names) {
      if (names.length === 0) return;
      const now = new Date();
      await db
        .insert(services)
        .values(names.map((name) => ({ name, firstSeen: now, lastSeen: now })))
        .onConflictDoUpdate({ target: services.name, set: { lastSeen: now } });
    },
  };
}
