import { and, desc, eq, gte, sql } from 'drizzle-orm';
import { type Db, detectorInstances, incidents, services } from '../store/index.ts';

/** State of a service now. */
export type ServiceState = 'healthy' | 'warming_up' | 'anomalous';

/** One service's health (`GET /api/v1/services`). */
export interface ServiceHealth {
  name: string;
  firstSeen: string;
  lastSeen: string;
  attributes: Record<string, unknown>;
  /** `anomalous` with an open incident; else `warming_up` while first seen less than the warm-up ago; else `healthy`. */
  state: ServiceState;
  openIncident: { id: string; severity: string; openedAt: string } | null;
  /** Combined anomaly score of its latest window, in [0, 1]; null before its first window. */
  lastScore: number | null;
  /** Of its latest window: requests/s, share of failed requests (0..1), 99th percentile latency in ms. */
  signals: { rate: number | null; errorRatio: number | null; latencyP99Ms: number | null };
}

/** What the detector instances track against their caps (sums over the instances that reported recently). */
export interface Tracking {
  instances: number;
  trackedServices: number;
  maxServices: number;
  refusedRecords: number;
  refusedServices: number;
  badNameRecords: number;
  evictedServices: number;
}

/** Most services listed. */
export const MAX_SERVICES_LISTED = 10_000;

interface LatestRow {
  name: string;
  score: number | null;
  features: Record<string, number> | null;
}

/** Each service's latest rollup, through the (service, window_end) key: one index probe per service. */
async function latestRollups(db: Db): Promise<Map<string, LatestRow>> {
  const res = (await db.execute(sql`
    SELECT s.name, r.score, r.features FROM services s
    LEFT JOIN LATERAL (SELECT score, features FROM rollups WHERE rollups.service = s.name ORDER BY window_end DESC LIMIT 1) r ON true
    ORDER BY s.name LIMIT ${MAX_SERVICES_LISTED}`)) as unknown as { rows: LatestRow[] };
  return new Map(res.rows.map((r) => [r.name, r]));
}

const numOrNull = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** Every service (at most {@link MAX_SERVICES_LISTED}, by name) with its state now, last score and key signals. */
export async function listServiceHealth(db: Db, warmupMs: number, now = new Date()): Promise<ServiceHealth[]> {
  const rows = await db.select().from(services).orderBy(services.name).limit(MAX_SERVICES_LISTED);
  const latest = await latestRollups(db);
  const open = await db
    .select({ id: incidents.id, service: incidents.service, severity: incidents.severity, openedAt: incidents.openedAt })
    .from(incidents)
    .where(eq(incidents.state, 'open'))
    .orderBy(desc(incidents.openedAt))
    .limit(MAX_SERVICES_LISTED);
  const openBy = new Map<string, (typeof open)[number]>();
  for (const o of open) if (!openBy.has(o.service)) openBy.set(o.service, o);
  return rows.map((r) => {
    const o = openBy.get(r.name);
    const l = latest.get(r.name);
    const state: ServiceState = o ? 'anomalous' : now.getTime() - r.firstSeen.getTime() < warmupMs ? 'warming_up' : 'healthy';
    return {
      name: r.name,
      firstSeen: r.firstSeen.toISOString(),
      lastSeen: r.lastSeen.toISOString(),
      attributes: r.attributes,
      state,
      openIncident: o ? { id: o.id, severity: o.severity, openedAt: o.openedAt.toISOString() } : null,
      lastScore: numOrNull(l?.score),
      signals: {
        rate: numOrNull(l?.features?.request_rate),
        errorRatio: numOrNull(l?.features?.error_ratio),
        latencyP99Ms: numOrNull(l?.features?.latency_p99_ms),
      },
    };
  });
}

/** Sums of the detector instances that reported within `freshMs` (an instance reports with every checkpoint). */
export async function detectorTracking(db: Db, freshMs: number, now = new Date()): Promise<Tracking> {
  const live = await db
    .select()
    .from(detectorInstances)
    .where(and(gte(detectorInstances.updatedAt, new Date(now.getTime() - freshMs))));
  const sum = (f: (r: (typeof live)[number]) => number) => live.reduce((n, r) => n + f(r), 0);
  return {
    instances: live.length,
    trackedServices: sum((r) => r.trackedServices),
    maxServices: sum((r) => r.maxServices),
    refusedRecords: sum((r) => r.refusedRecords),
    refusedServices: sum((r) => r.refusedServices),
    badNameRecords: sum((r) => r.badNameRecords),
    evictedServices: sum((r) => r.evictedServices),
  };
}
