import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anomalies,
  auditLog,
  createStore,
  DEFAULT_MIGRATIONS_DIR,
  detectorCheckpoints,
  executionSteps,
  executions,
  feedback,
  incidents,
  isUniqueViolation,
  type NewAnomalyRow,
  type NewExecutionRow,
  playbooks,
  playbookVersions,
  rollups,
  SQLSTATE,
  type Store,
  services,
  sqlStateOf,
} from '../../../services/store/index.ts';
import { BACKENDS, type BackendInstance, drizzleMigrations, rejectionOf } from './backends.ts';

const journal = JSON.parse(readFileSync(join(DEFAULT_MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] };
const t0 = new Date('2025-03-01T12:00:00.000Z');
const at = (sec: number) => new Date(t0.getTime() + sec * 1000);

function anomaly(id: string, over: Partial<NewAnomalyRow> = {}): NewAnomalyRow {
  return {
    id,
    service: 'checkout',
    episodeId: 'ep-1',
    windowStart: at(0),
    windowEnd: at(10),
    score: 0.93,
    likelihood: 0.999,
    severity: 'critical',
    kind: 'latency',
    episodeState: 'open',
    detectedAt: at(11),
    evidence: [{ feature: 'latency_p99_ms', observed: 900, expected: 120, deviation: 7.5 }],
    rootCauses: [{ service: 'payments', score: 0.8, reason: 'downstream latency' }],
    ...over,
  };
}

function execution(id: string, over: Partial<NewExecutionRow> = {}): NewExecutionRow {
  return { id, episodeId: 'ep-1', anomalyId: 'an-1', service: 'checkout', playbookId: 'pb-1', playbookVersion: 1, mode: 'auto', scoreBefore: 0.93, ...over };
}

describe.each(BACKENDS)('store contract on $name', (backend) => {
  let instance: BackendInstance;
  let store: Store;

  beforeAll(async () => {
    instance = await backend.create();
    // First start-up migrates an empty database; the second must find nothing to do and keep the data.
    const first = await createStore(instance.settings);
    await first.db.insert(services).values({ name: 'marker', attributes: { 'deployment.environment': 'test' } });
    await first.close();
    store = await createStore(instance.settings);
  });

  afterAll(async () => {
    await store?.close();
    await instance?.cleanup();
  });

  it('reports its backend kind and answers ping', async () => {
    expect(store.kind).toBe(backend.kind);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('applies every migration exactly once across start-ups and keeps data', async () => {
    const applied = await store.db.select().from(drizzleMigrations);
    expect(applied).toHaveLength(journal.entries.length);
    const [marker] = await store.db.select().from(services).where(eq(services.name, 'marker'));
    expect(marker?.attributes).toEqual({ 'deployment.environment': 'test' });
  });

  it('upserts services and round-trips timestamps and jsonb', async () => {
    await store.db.insert(services).values({ name: 'checkout', firstSeen: at(0), lastSeen: at(0), attributes: { region: 'eu' } });
    await store.db
      .insert(services)
      .values({ name: 'checkout', lastSeen: at(60), attributes: { region: 'us' } })
      .onConflictDoUpdate({ target: services.name, set: { lastSeen: at(60) } });
    const [row] = await store.db.select().from(services).where(eq(services.name, 'checkout'));
    expect(row?.firstSeen.toISOString()).toBe(at(0).toISOString());
    expect(row?.lastSeen.toISOString()).toBe(at(60).toISOString());
    expect(row?.attributes).toEqual({ region: 'eu' });
  });

  it('stores anomalies idempotently by event id', async () => {
    const inserted = await store.db.insert(anomalies).values(anomaly('an-1')).onConflictDoNothing().returning();
    expect(inserted.map((r) => r.id)).toEqual(['an-1']);
    const again = await store.db
      .insert(anomalies)
      .values(anomaly('an-1', { score: 0.1 }))
      .onConflictDoNothing()
      .returning();
    expect(again).toEqual([]);
    const rows = await store.db.select().from(anomalies).where(eq(anomalies.episodeId, 'ep-1'));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.score).toBe(0.93);
    expect(rows[0]?.evidence[0]?.feature).toBe('latency_p99_ms');
    expect(rows[0]?.rootCauses[0]?.service).toBe('payments');
    expect(rows[0]?.windowEnd.getTime()).toBe(at(10).getTime());
    expect(rows[0]?.flapping).toBe(false);
  });

  it('opens and closes incidents and rejects unknown states', async () => {
    await store.db
      .insert(incidents)
      .values({ id: 'ep-1', service: 'checkout', kind: 'latency', severity: 'critical', openedAt: at(0), maxScore: 0.93, lastScore: 0.93 });
    await store.db
      .update(incidents)
      .set({ state: 'closed', closedAt: at(120), resolvedBy: 'auto', updatedAt: at(120) })
      .where(eq(incidents.id, 'ep-1'));
    const [row] = await store.db.select().from(incidents).where(eq(incidents.id, 'ep-1'));
    expect(row).toMatchObject({ state: 'closed', resolvedBy: 'auto', neededHuman: false });
    expect(row?.closedAt?.getTime()).toBe(at(120).getTime());
    const bad = await rejectionOf(
      store.db
        .update(incidents)
        .set({ state: 'bogus' as 'open' })
        .where(eq(incidents.id, 'ep-1')),
    );
    expect(sqlStateOf(bad)).toBe(SQLSTATE.checkViolation);
  });

  it('keeps one rollup per service and window end', async () => {
    await store.db.insert(rollups).values([
      { service: 'checkout', windowEnd: at(20), features: { rate: 12, error_ratio: 0.5 }, score: 0.9 },
      { service: 'checkout', windowEnd: at(10), features: { rate: 10, error_ratio: 0 }, score: 0.1 },
    ]);
    const dup = await rejectionOf(store.db.insert(rollups).values({ service: 'checkout', windowEnd: at(10), features: {}, score: 0 }));
    expect(isUniqueViolation(dup)).toBe(true);
    const rows = await store.db.select().from(rollups).orderBy(asc(rollups.windowEnd));
    expect(rows.map((r) => r.features.rate)).toEqual([10, 12]);
  });

  it('round-trips detector checkpoints with json state and binary blob', async () => {
    const blob = Uint8Array.from({ length: 256 }, (_, i) => i);
    await store.db
      .insert(detectorCheckpoints)
      .values({ partitionKey: 'telemetry.traces:3', state: { services: { checkout: [1.5, 2] } }, blob, modelVersion: 'v1' });
    await store.db
      .insert(detectorCheckpoints)
      .values({ partitionKey: 'telemetry.traces:3', state: { services: {} }, modelVersion: 'v2' })
      .onConflictDoUpdate({ target: detectorCheckpoints.partitionKey, set: { modelVersion: 'v2', updatedAt: at(5) } });
    const [row] = await store.db.select().from(detectorCheckpoints);
    expect(row?.state).toEqual({ services: { checkout: [1.5, 2] } });
    expect(row?.modelVersion).toBe('v2');
    expect(Array.from(row?.blob ?? [])).toEqual(Array.from(blob));
  });

  it('versions playbooks and keeps names unique', async () => {
    await store.db.insert(playbooks).values({ id: 'pb-1', name: 'restart-checkout', currentVersion: 2 });
    await store.db.insert(playbookVersions).values([
      { playbookId: 'pb-1', version: 1, spec: { steps: [{ type: 'wait' }] }, createdBy: 'alice' },
      { playbookId: 'pb-1', version: 2, spec: { steps: [{ type: 'http' }] }, createdBy: 'bob' },
    ]);
    const dup = await rejectionOf(store.db.insert(playbooks).values({ id: 'pb-2', name: 'restart-checkout' }));
    expect(isUniqueViolation(dup)).toBe(true);
    const versions = await store.db.select().from(playbookVersions).where(eq(playbookVersions.playbookId, 'pb-1')).orderBy(asc(playbookVersions.version));
    expect(versions.map((v) => [v.version, v.createdBy, v.spec])).toEqual([
      [1, 'alice', { steps: [{ type: 'wait' }] }],
      [2, 'bob', { steps: [{ type: 'http' }] }],
    ]);
  });

  it('allows exactly one execution per (episode, playbook, attempt)', async () => {
    const first = await store.db.insert(executions).values(execution('ex-1')).onConflictDoNothing().returning();
    expect(first.map((r) => [r.status, r.attempt])).toEqual([['pending', 0]]);
    const dup = await rejectionOf(store.db.insert(executions).values(execution('ex-2', { anomalyId: 'an-2' })));
    expect(isUniqueViolation(dup)).toBe(true);
    const quiet = await store.db.insert(executions).values(execution('ex-3')).onConflictDoNothing().returning();
    expect(quiet).toEqual([]);
    const other = await store.db
      .insert(executions)
      .values(execution('ex-4', { episodeId: 'ep-2', playbookVersion: 2 }))
      .returning();
    expect(other).toHaveLength(1);
    // A follow-up is another attempt of the same (episode, playbook): a row of its own, the first one stays.
    const followUp = await store.db
      .insert(executions)
      .values(execution('ex-1~2', { attempt: 2 }))
      .returning();
    expect(followUp.map((r) => r.attempt)).toEqual([2]);
    const dupAttempt = await rejectionOf(store.db.insert(executions).values(execution('ex-5', { attempt: 2 })));
    expect(isUniqueViolation(dupAttempt)).toBe(true);
    const quietAttempt = await store.db
      .insert(executions)
      .values(execution('ex-6', { attempt: 2 }))
      .onConflictDoNothing()
      .returning();
    expect(quietAttempt).toEqual([]);
    const rows = await store.db.select({ id: executions.id, attempt: executions.attempt }).from(executions).orderBy(asc(executions.id));
    expect(rows).toEqual([
      { id: 'ex-1', attempt: 0 },
      { id: 'ex-1~2', attempt: 2 },
      { id: 'ex-4', attempt: 0 },
    ]);
  });

  it('records each step idempotency key at most once', async () => {
    const step = { executionId: 'ex-1', name: 'restart', type: 'http', idempotencyKey: 'ep-1:pb-1@1:0', request: { url: 'http://x' } };
    await store.db.insert(executionSteps).values({ ...step, stepIndex: 0, status: 'running', attempt: 1 });
    const dup = await rejectionOf(store.db.insert(executionSteps).values({ ...step, stepIndex: 1 }));
    expect(isUniqueViolation(dup)).toBe(true);
    const quiet = await store.db
      .insert(executionSteps)
      .values({ ...step, stepIndex: 2 })
      .onConflictDoNothing({ target: executionSteps.idempotencyKey })
      .returning();
    expect(quiet).toEqual([]);
    await store.db
      .update(executionSteps)
      .set({ status: 'succeeded', response: { status: 200 }, finishedAt: at(3) })
      .where(eq(executionSteps.idempotencyKey, step.idempotencyKey));
    const rows = await store.db.select().from(executionSteps).where(eq(executionSteps.executionId, 'ex-1'));
    expect(rows.map((r) => [r.stepIndex, r.status, r.response])).toEqual([[0, 'succeeded', { status: 200 }]]);
  });

  it('keeps the audit log append-only', async () => {
    const rows = await store.db
      .insert(auditLog)
      .values([
        { actor: 'user:alice', action: 'playbook.create', subjectType: 'playbook', subjectId: 'pb-1', details: { version: 1 } },
        { actor: 'executor', action: 'step.run', subjectType: 'execution', subjectId: 'ex-1' },
      ])
      .returning();
    expect(rows).toHaveLength(2);
    expect(rows[1]?.id ?? 0).toBeGreaterThan(rows[0]?.id ?? Number.POSITIVE_INFINITY);
    expect(rows[0]?.at).toBeInstanceOf(Date);
    const upd = await rejectionOf(store.db.update(auditLog).set({ actor: 'mallory' }).where(eq(auditLog.subjectId, 'pb-1')));
    expect(sqlStateOf(upd)).toBe(SQLSTATE.insufficientPrivilege);
    const del = await rejectionOf(store.db.delete(auditLog));
    expect(sqlStateOf(del)).toBe(SQLSTATE.insufficientPrivilege);
    const after = await store.db.select().from(auditLog).orderBy(asc(auditLog.id));
    expect(after.map((r) => r.actor)).toEqual(['user:alice', 'executor']);
  });

  it('stores feedback labels on an anomaly or episode only', async () => {
    await store.db.insert(feedback).values({ id: 'fb-1', episodeId: 'ep-1', label: 'false_positive', actor: 'user:alice', note: 'deploy' });
    const [row] = await store.db.select().from(feedback);
    expect(row).toMatchObject({ label: 'false_positive', anomalyId: null, note: 'deploy' });
    const noSubject = await rejectionOf(store.db.insert(feedback).values({ id: 'fb-2', label: 'missed', actor: 'x' }));
    expect(sqlStateOf(noSubject)).toBe(SQLSTATE.checkViolation);
    const badLabel = await rejectionOf(store.db.insert(feedback).values({ id: 'fb-3', episodeId: 'ep-1', label: 'maybe' as 'missed', actor: 'x' }));
    expect(sqlStateOf(badLabel)).toBe(SQLSTATE.checkViolation);
  });

  it('closes idempotently, after which ping rejects', async () => {
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
    await expect(store.ping()).rejects.toThrow();
  });
});
