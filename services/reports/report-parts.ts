import { and, asc, eq, gte, inArray, lte } from 'drizzle-orm';
import { type AnomalyRow, anomalies, type Db, deployments, executionSteps, executions, incidents, playbooks, rollups } from '../store/index.ts';
import { bandFromEvidence, bandWithin, unitOf } from './feature-units.ts';

/** One anomaly event of the episode. */
export interface TimelineEntry {
  at: string;
  score: number;
  severity: string;
  state: string;
  anomalyId: string;
}

/** A deviating feature at the episode's peak, with the expected band (in the feature's unit). */
export interface DeviatingFeature {
  feature: string;
  unit: string;
  observed: number;
  expected: number;
  lower: number | null;
  upper: number | null;
  /** In robust standard deviations (see DEVIATION_UNIT). */
  deviation: number;
}

/** An execution the incident triggered, with its steps. */
export interface ReportExecution {
  id: string;
  playbookId: string;
  playbookName: string;
  playbookVersion: number;
  mode: string;
  status: string;
  outcome: string | null;
  createdAt: string;
  finishedAt: string | null;
  steps: { name: string; type: string; status: string; startedAt: string | null; finishedAt: string | null; error: string | null }[];
}

/** A deployment near the incident. */
export interface ReportDeployment {
  service: string;
  oldVersion: string | null;
  newVersion: string;
  firstSeen: string;
}

/** The call-graph neighbourhood of the incident's service. */
export interface Neighbourhood {
  nodes: { service: string; state: 'healthy' | 'warming_up' | 'anomalous'; root: boolean }[];
  /** Calls and failed calls from the incident's service to each callee over the report's period (counts). */
  edges: { from: string; to: string; calls: number; errors: number | null }[];
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The episode's anomaly rows, oldest first. */
export async function episodeAnomalies(db: Db, episodeId: string): Promise<AnomalyRow[]> {
  return db.select().from(anomalies).where(eq(anomalies.episodeId, episodeId)).orderBy(asc(anomalies.windowEnd), asc(anomalies.id)).limit(10_000);
}

/** The anomaly of highest score (the latest among equals); undefined for none. */
export function peakOf(rows: AnomalyRow[]): AnomalyRow | undefined {
  let best: AnomalyRow | undefined;
  for (const r of rows) if (!best || r.score >= best.score) best = r;
  return best;
}

/** The timeline entries of the episode. */
export function timelineOf(rows: AnomalyRow[]): TimelineEntry[] {
  return rows.map((r) => ({ at: r.windowEnd.toISOString(), score: r.score, severity: r.severity, state: r.episodeState, anomalyId: r.id }));
}

/** The peak's evidence with units and bands (the stored expectation of that window first, else derived from the evidence). */
export async function deviatingFeatures(db: Db, peak: AnomalyRow | undefined): Promise<DeviatingFeature[]> {
  if (!peak) return [];
  const [rollup] = await db
    .select({ expected: rollups.expected })
    .from(rollups)
    .where(and(eq(rollups.service, peak.service), eq(rollups.windowEnd, peak.windowEnd)));
  return peak.evidence.map((e) => {
    const stored = rollup?.expected[e.feature];
    const band = stored ? [stored[1], stored[2]] : bandFromEvidence(e.observed, e.expected, e.deviation);
    const [lower, upper] = bandWithin(e.feature, band?.[0] ?? null, band?.[1] ?? null);
    return { feature: e.feature, unit: unitOf(e.feature), observed: e.observed, expected: e.expected, lower, upper, deviation: e.deviation };
  });
}

/** Executions of the episode with their steps and playbook names, oldest first. */
export async function executionsOf(db: Db, episodeId: string): Promise<ReportExecution[]> {
  const rows = await db
    .select({ e: executions, name: playbooks.name })
    .from(executions)
    .leftJoin(playbooks, eq(playbooks.id, executions.playbookId))
    .where(eq(executions.episodeId, episodeId))
    .orderBy(asc(executions.createdAt));
  if (rows.length === 0) return [];
  const steps = await db
    .select()
    .from(executionSteps)
    .where(
      inArray(
        executionSteps.executionId,
        rows.map((r) => r.e.id),
      ),
    )
    .orderBy(asc(executionSteps.stepIndex));
  return rows.map(({ e, name }) => ({
    id: e.id,
    playbookId: e.playbookId,
    playbookName: name ?? e.playbookId,
    playbookVersion: e.playbookVersion,
    mode: e.mode,
    status: e.status,
    outcome: e.outcome,
    createdAt: e.createdAt.toISOString(),
    finishedAt: iso(e.finishedAt),
    steps: steps
      .filter((s) => s.executionId === e.id)
      .map((s) => ({ name: s.name, type: s.type, status: s.status, startedAt: iso(s.startedAt), finishedAt: iso(s.finishedAt), error: s.error })),
  }));
}

/** Callees of `service` with their calls and failed calls, summed over its rollups in [from, to]. */
export async function calleesOf(db: Db, service: string, from: Date, to: Date): Promise<Map<string, { calls: number; errors: number }>> {
  const rows = await db
    .select({ callees: rollups.callees, calleeErrors: rollups.calleeErrors })
    .from(rollups)
    .where(and(eq(rollups.service, service), gte(rollups.windowEnd, from), lte(rollups.windowEnd, to)))
    .limit(10_000);
  const out = new Map<string, { calls: number; errors: number }>();
  for (const r of rows) {
    for (const [k, n] of Object.entries(r.callees)) {
      const e = out.get(k) ?? { calls: 0, errors: 0 };
      out.set(k, { calls: e.calls + n, errors: e.errors + (r.calleeErrors[k] ?? 0) });
    }
  }
  return out;
}

/** Deployments of `services` first seen in [from, to], newest first. */
export async function deploymentsNear(db: Db, services: string[], from: Date, to: Date): Promise<ReportDeployment[]> {
  if (services.length === 0) return [];
  const rows = await db
    .select()
    .from(deployments)
    .where(and(inArray(deployments.service, services), gte(deployments.firstSeen, from), lte(deployments.firstSeen, to)))
    .orderBy(asc(deployments.firstSeen));
  return rows.reverse().map((d) => ({ service: d.service, oldVersion: d.oldVersion, newVersion: d.newVersion, firstSeen: d.firstSeen.toISOString() }));
}

/** Services with an open incident, among `services`. */
export async function anomalousAmong(db: Db, services: string[]): Promise<Set<string>> {
  if (services.length === 0) return new Set();
  const rows = await db
    .select({ service: incidents.service })
    .from(incidents)
    .where(and(eq(incidents.state, 'open'), inArray(incidents.service, services)));
  return new Set(rows.map((r) => r.service));
}
