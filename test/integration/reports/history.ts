/**
 * A known history for the report and KPI tests (times from T0 = 2026-01-01
 * 00:00 UTC). The KPI test's expected figures are computed by hand from it
 * (see kpis.test.ts).
 */
import {
  anomalies,
  type Db,
  deployments,
  executionSteps,
  executions,
  feedback,
  incidents,
  playbooks,
  playbookVersions,
  rollups,
} from '../../../services/store/index.ts';

/** 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const H = 60 * MIN;
const at = (ms: number) => new Date(T0 + ms);

/** Incidents: [id, service, opened (ms after T0), duration (ms, null: open), resolvedBy, neededHuman, TTD (ms)]. */
export const INCIDENTS = [
  ['i1', 'checkout', 1 * H, 10 * MIN, 'auto', false, 12_000],
  ['i2', 'checkout', 3 * H, 30 * MIN, 'human', true, 15_000],
  ['i3', 'cart', 13 * H, 20 * MIN, 'self', false, 20_000],
  ['i4', 'cart', 20 * H, null, null, true, 40_000],
  ['i0', 'checkout', -2 * H, 5 * MIN, 'self', false, 10_000],
] as const;

async function insertIncidents(db: Db): Promise<void> {
  for (const [id, service, opened, dur, resolvedBy, neededHuman, ttd] of INCIDENTS) {
    await db.insert(incidents).values({
      id,
      service,
      kind: 'errors',
      severity: 'critical',
      state: dur === null ? 'open' : 'closed',
      openedAt: at(opened),
      closedAt: dur === null ? null : at(opened + dur),
      maxScore: 0.95,
      lastScore: 0.4,
      neededHuman,
      resolvedBy,
    });
    // The opening window ends at `opened`; it was reported `ttd` after it started (window 10 s).
    await db.insert(anomalies).values({
      id: `${id}:open`,
      service,
      episodeId: id,
      windowStart: at(opened - 10_000),
      windowEnd: at(opened),
      score: 0.8,
      likelihood: 0.99,
      severity: 'warning',
      kind: 'errors',
      evidence: [{ feature: 'error_ratio', observed: 0.2, expected: 0.01, deviation: 6 }],
      rootCauses: [],
      modelVersion: 'test-model-1',
      episodeState: 'open',
      detectedAt: at(opened - 10_000 + ttd),
    });
  }
  // i1's peak, later in the episode: stronger, with root causes.
  await db.insert(anomalies).values({
    id: 'i1:peak',
    service: 'checkout',
    episodeId: 'i1',
    windowStart: at(1 * H + 50_000),
    windowEnd: at(1 * H + 60_000),
    score: 0.97,
    likelihood: 0.999,
    severity: 'critical',
    kind: 'errors',
    evidence: [
      { feature: 'error_ratio', observed: 0.5, expected: 0.01, deviation: 12 },
      { feature: 'latency_p99_ms', observed: 900, expected: 120, deviation: 5 },
    ],
    rootCauses: [
      { service: 'payments', score: 0.8, reason: 'payments became anomalous 40 s before checkout' },
      { service: 'checkout', score: 0.3, reason: 'the service itself' },
    ],
    modelVersion: 'test-model-2',
    episodeState: 'ongoing',
    detectedAt: at(1 * H + 61_000),
  });
}

async function insertRollups(db: Db): Promise<void> {
  const rows = [];
  // checkout every minute from 00:30 to 01:30; error_ratio 0.01 except 0.5 at 01:00..01:05.
  for (let m = 30; m <= 90; m++) {
    // 01:01 is the peak's window, written below.
    if (m === 61) continue;
    const bad = m >= 60 && m <= 65;
    rows.push({
      service: 'checkout',
      windowEnd: at(m * MIN),
      features: { request_rate: 100, error_ratio: bad ? 0.5 : 0.01, latency_p99_ms: bad ? 900 : 120 },
      expected: { error_ratio: [0.01, 0.0, 0.05] as [number, number, number] },
      callees: { payments: 40, db: 10 },
      // While it is bad, half of its calls to payments fail.
      calleeErrors: bad ? { payments: 20 } : {},
      score: bad ? 0.9 : 0.1,
    });
  }
  rows.push({
    service: 'checkout',
    windowEnd: at(1 * H + 60_000),
    features: { request_rate: 100, error_ratio: 0.5, latency_p99_ms: 900 },
    expected: { error_ratio: [0.01, 0.0, 0.04] as [number, number, number] },
    callees: { payments: 40 },
    calleeErrors: { payments: 30 },
    score: 0.97,
  });
  await db.insert(rollups).values(rows).onConflictDoNothing();
}

/** Executions: [id, incident, service, playbook, mode, status, outcome, created (ms after T0)]. */
export const EXECUTIONS = [
  ['e1', 'i1', 'checkout', 'restart', 'auto', 'succeeded', 'resolved', 1 * H + 2 * MIN],
  ['e2', 'i2', 'checkout', 'rollback', 'suggest', 'succeeded', 'resolved', 3 * H + 5 * MIN],
  ['e3', 'i3', 'cart', 'restart', 'auto', 'succeeded', 'made_worse', 13 * H + 2 * MIN],
  ['e4', 'i4', 'cart', 'scale', 'observe', 'succeeded', 'skipped', 20 * H + 1 * MIN],
  ['e5', 'i4', 'cart', 'rollback', 'suggest', 'awaiting_approval', 'awaiting_approval', 20 * H + 2 * MIN],
] as const;

async function insertExecutions(db: Db): Promise<void> {
  for (const name of ['restart', 'rollback', 'scale']) {
    await db.insert(playbooks).values({ id: `pb-${name}`, name });
    await db.insert(playbookVersions).values({ playbookId: `pb-${name}`, version: 1, spec: {} });
  }
  for (const [id, episode, service, pb, mode, status, outcome, created] of EXECUTIONS) {
    await db.insert(executions).values({
      id,
      episodeId: episode,
      anomalyId: `${episode}:open`,
      service,
      playbookId: `pb-${pb}`,
      playbookVersion: 1,
      mode,
      status,
      outcome,
      scoreBefore: 0.9,
      createdAt: at(created),
      updatedAt: at(created),
      finishedAt: status === 'succeeded' ? at(created + MIN) : null,
    });
  }
  await db.insert(executionSteps).values([
    {
      executionId: 'e1',
      stepIndex: 0,
      name: 'restart pods',
      type: 'http',
      idempotencyKey: 'e1:0',
      status: 'succeeded',
      startedAt: at(1 * H + 2 * MIN),
      finishedAt: at(1 * H + 2 * MIN + 5_000),
    },
    {
      executionId: 'e1',
      stepIndex: 1,
      name: 'verify',
      type: 'wait_verify',
      idempotencyKey: 'e1:1',
      status: 'succeeded',
      startedAt: at(1 * H + 2 * MIN + 5_000),
      finishedAt: at(1 * H + 3 * MIN),
    },
  ]);
}

/** Deployments: [id, service, old, new, first seen (ms after T0)]. */
export const DEPLOYMENTS = [
  ['d1', 'checkout', 'v1', 'v2', 30 * MIN],
  ['d2', 'cart', 'v1', 'v2', 5 * H],
  ['d3', 'checkout', 'v2', 'v3', 10 * H],
  ['d4', 'cart', 'v2', 'v3', 12 * H + 30 * MIN],
  ['d5', 'payments', 'p7', 'p8', 45 * MIN],
] as const;

async function insertDeploymentsAndLabels(db: Db): Promise<void> {
  for (const [id, service, oldVersion, newVersion, first] of DEPLOYMENTS) {
    await db.insert(deployments).values({ id, service, oldVersion, newVersion, firstSeen: at(first), lastSeen: at(first + H) });
  }
  const label = (id: string, episodeId: string | null, l: 'true_positive' | 'false_positive' | 'missed', createdMs: number, extra = {}) => ({
    id,
    episodeId,
    label: l,
    actor: 'token:test',
    note: `note ${id}`,
    service: 'checkout',
    createdAt: at(createdMs),
    ...extra,
  });
  await db.insert(feedback).values([
    label('f1', 'i1', 'false_positive', 2 * H),
    // Relabelled: the latest label of an incident counts.
    label('f2', 'i1', 'true_positive', 2 * H + MIN),
    label('f3', 'i2', 'false_positive', 4 * H),
    label('f4', null, 'missed', 6 * H, { fromAt: at(5 * H), toAt: at(5 * H + 10 * MIN) }),
  ]);
}

/** Writes the whole history. */
export async function writeHistory(db: Db): Promise<void> {
  await insertIncidents(db);
  await insertRollups(db);
  await insertExecutions(db);
  await insertDeploymentsAndLabels(db);
}
