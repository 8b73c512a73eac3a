import { asc, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/core/config.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import {
  anomalies,
  auditLog,
  createRetentionJob,
  createStore,
  executionSteps,
  executions,
  incidents,
  type NewAnomalyRow,
  type NewIncidentRow,
  playbooks,
  playbookVersions,
  type RetentionPolicy,
  rollups,
  runRetention,
  SQLSTATE,
  type Store,
  sqlStateOf,
} from '../../../services/store/index.ts';
import { BACKENDS, type BackendInstance, rejectionOf } from './backends.ts';

const DAY = 86_400_000;
const policy: RetentionPolicy = { days: { rollups: 7, anomalies: 30, incidents: 90, executions: 60, audit: 365 }, batchRows: 7 };

/** Fills every kind with rows past and within the retention of {@link policy}, relative to `now`. */
async function fill(store: Store, now: number): Promise<void> {
  const ago = (days: number, i = 0) => new Date(now - days * DAY - i * 60_000);
  const { db } = store;
  await db
    .insert(rollups)
    .values([
      ...Array.from({ length: 20 }, (_, i) => ({ service: `s${i % 3}`, windowEnd: ago(8, i), features: { rate: i }, score: 0.1 })),
      ...Array.from({ length: 5 }, (_, i) => ({ service: 'keep', windowEnd: ago(6, i), features: {}, score: 0 })),
    ]);
  const anomaly = (id: string, end: Date): NewAnomalyRow => ({
    id,
    service: 'svc',
    episodeId: 'ep',
    windowStart: end,
    windowEnd: end,
    score: 1,
    likelihood: 1,
    severity: 'critical',
    kind: 'errors',
    episodeState: 'open',
    detectedAt: end,
  });
  await db
    .insert(anomalies)
    .values([
      ...Array.from({ length: 15 }, (_, i) => anomaly(`old-${i}`, ago(31, i))),
      ...Array.from({ length: 3 }, (_, i) => anomaly(`new-${i}`, ago(29, i))),
    ]);
  const incident = (id: string, opened: Date, closed: Date | null): NewIncidentRow => ({
    id,
    service: 'svc',
    kind: 'errors',
    severity: 'critical',
    state: closed ? ('closed' as const) : ('open' as const),
    openedAt: opened,
    closedAt: closed,
  });
  await db
    .insert(incidents)
    .values([
      ...Array.from({ length: 10 }, (_, i) => incident(`closed-old-${i}`, ago(120, i), ago(100, i))),
      incident('closed-recent', ago(120), ago(10)),
      incident('open-ancient', ago(400), null),
    ]);
  await db.insert(playbooks).values({ id: 'pb', name: 'pb' });
  await db.insert(playbookVersions).values({ playbookId: 'pb', version: 1, spec: {} });
  const execution = (id: string, created: Date, finished: Date | null) => ({
    id,
    episodeId: id,
    anomalyId: 'a',
    service: 'svc',
    playbookId: 'pb',
    playbookVersion: 1,
    mode: 'auto' as const,
    status: finished ? ('succeeded' as const) : ('running' as const),
    scoreBefore: 1,
    createdAt: created,
    finishedAt: finished,
  });
  await db
    .insert(executions)
    .values([
      ...Array.from({ length: 9 }, (_, i) => execution(`done-old-${i}`, ago(80, i), ago(70, i))),
      execution('done-recent', ago(80), ago(5)),
      execution('unfinished-old', ago(100), null),
    ]);
  await db
    .insert(executionSteps)
    .values(
      ['done-old-0', 'done-old-0', 'done-recent'].map((e, i) => ({ executionId: e, stepIndex: i, name: 's', type: 'wait', idempotencyKey: `${e}:${i}` })),
    );
  await db
    .insert(auditLog)
    .values([
      ...Array.from({ length: 12 }, (_, i) => ({ at: ago(400, i), actor: 'a', action: 'x', subjectType: 't', subjectId: `old-${i}` })),
      { at: ago(10), actor: 'a', action: 'x', subjectType: 't', subjectId: 'recent' },
      { at: new Date(now - 3_600_000), actor: 'a', action: 'x', subjectType: 't', subjectId: 'last-hour' },
    ]);
}

describe.each(BACKENDS)('retention ($name)', (backend) => {
  let instance: BackendInstance;
  let store: Store;
  beforeAll(async () => {
    instance = await backend.create();
    store = await createStore(instance.settings);
  });
  afterAll(async () => {
    await store?.close();
    await instance?.cleanup();
  });

  it('deletes, in batches, exactly what is past its retention and keeps the rest', async () => {
    const now = Date.now();
    await fill(store, now);
    const deleted = await runRetention(store.db, policy, new Date(now));
    expect(deleted).toEqual({ rollups: 20, anomalies: 15, incidents: 10, executions: 9, audit: 12 });
    const { db } = store;
    expect((await db.select().from(rollups)).map((r) => r.service)).toEqual(Array(5).fill('keep'));
    expect((await db.select().from(anomalies).orderBy(asc(anomalies.id))).map((r) => r.id)).toEqual(['new-0', 'new-1', 'new-2']);
    expect((await db.select().from(incidents).orderBy(asc(incidents.id))).map((r) => r.id)).toEqual(['closed-recent', 'open-ancient']);
    expect((await db.select().from(executions).orderBy(asc(executions.id))).map((r) => r.id)).toEqual(['done-recent', 'unfinished-old']);
    expect((await db.select().from(executionSteps)).map((s) => s.executionId)).toEqual(['done-recent']);
    expect((await db.select().from(auditLog).orderBy(asc(auditLog.subjectId))).map((r) => r.subjectId)).toEqual(['last-hour', 'recent']);
    // A second run finds nothing more; 0 days keeps a kind forever.
    expect(await runRetention(db, policy, new Date(now))).toEqual({ rollups: 0, anomalies: 0, incidents: 0, executions: 0, audit: 0 });
    const forever = { ...policy, days: { rollups: 0, anomalies: 0, incidents: 0, executions: 0, audit: 0 } };
    expect(await runRetention(db, forever, new Date(now + 10_000 * DAY))).toEqual({ rollups: 0, anomalies: 0, incidents: 0, executions: 0, audit: 0 });
  });

  it('keeps the audit log append-only outside the retention function', async () => {
    const { db } = store;
    await db.insert(auditLog).values({ at: new Date(Date.now() - 500 * DAY), actor: 'a', action: 'x', subjectType: 't', subjectId: 'ancient' });
    const denied = async (q: ReturnType<typeof sql>) => sqlStateOf(await rejectionOf(db.execute(q)));
    expect(await denied(sql`DELETE FROM audit_log WHERE subject_id = 'ancient'`)).toBe(SQLSTATE.insufficientPrivilege);
    expect(await denied(sql`UPDATE audit_log SET actor = 'b'`)).toBe(SQLSTATE.insufficientPrivilege);
    expect(await denied(sql`TRUNCATE audit_log`)).toBe(SQLSTATE.insufficientPrivilege);
    // Even with the function's setting forged, rows of the last day stay.
    const forged = rejectionOf(
      db.transaction(async (tx) => {
        await tx.execute(sql`SELECT set_config('zeroops.audit_prune_before', 'infinity', true)`);
        await tx.execute(sql`DELETE FROM audit_log WHERE subject_id = 'last-hour'`);
      }),
    );
    expect(sqlStateOf(await forged)).toBe(SQLSTATE.insufficientPrivilege);
    // The function clamps a cutoff in the future to a day ago, and resets its setting.
    const res = (await db.execute(sql`SELECT zeroops_prune_audit_log(now() + interval '1 year', 100) AS n`)) as unknown as { rows: { n: number }[] };
    expect(Number(res.rows[0]?.n)).toBe(2);
    expect((await db.select().from(auditLog).orderBy(asc(auditLog.subjectId))).map((r) => r.subjectId)).toEqual(['last-hour']);
    expect(await denied(sql`DELETE FROM audit_log`)).toBe(SQLSTATE.insufficientPrivilege);
  });

  it('runs as a periodic component (the api process starts it)', async () => {
    const { db } = store;
    await db.insert(anomalies).values({
      id: 'job-old',
      service: 'svc',
      episodeId: 'ep',
      windowStart: new Date(0),
      windowEnd: new Date(Date.now() - 100 * DAY),
      score: 1,
      likelihood: 1,
      severity: 'critical',
      kind: 'errors',
      episodeState: 'open',
      detectedAt: new Date(),
    });
    const config = loadConfig({ ZEROOPS_RETENTION_INTERVAL_SECONDS: '1', ZEROOPS_RETENTION_ANOMALIES_DAYS: '30' });
    const job = createRetentionJob({ store, logger: silentLogger(), telemetry: createTelemetry() }, config);
    await job.start();
    try {
      const deadline = Date.now() + 30_000;
      while ((await db.select().from(anomalies).where(sql`id = 'job-old'`)).length > 0) {
        if (Date.now() > deadline) throw new Error('the retention job did not delete the old anomaly within 30 s');
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await job.stop();
    }
  });
});
