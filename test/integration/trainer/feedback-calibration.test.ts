/**
 * The trainer's feedback consumer folds labels into the detector's
 * calibration of their service, once each (a redelivered label changes
 * nothing), on Postgres and PGlite; each new calibration version is also a
 * `calibration` version in the model registry (the label as its reason, the
 * shifts as its quality, the previous version as its parent and retired).
 */
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_FEATURES, DEFAULT_CALIBRATION, type ServiceCalibration } from '../../../models/calibration/index.ts';
import type { FeedbackEvent } from '../../../services/bus/index.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { anomalies, calibrationLabels, createStore, detectorCalibrations, modelVersions, type Store } from '../../../services/store/index.ts';
import { applyFeedbackEvent } from '../../../services/trainer/index.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';

const NOW = Date.UTC(2026, 11, 5, 9);
const SETTINGS = { ...DEFAULT_CALIBRATION, targetFalseAlarmRate: 0.2 };

function label(id: string, kind: FeedbackEvent['label'], episodeId: string): FeedbackEvent {
  return { id, label: kind, service: 'checkout', episodeId, fromUnixMs: NOW - 60_000, toUnixMs: NOW - 30_000, actor: 'op', note: '', createdUnixMs: NOW };
}

describe.each(['postgres', 'pglite'] as const)('feedback into calibrations on %s', (kind) => {
  let pg: TestDatabase | undefined;
  let store: Store;

  beforeAll(async () => {
    pg = kind === 'postgres' ? await createTestDatabase() : undefined;
    store = await createStore({ databaseUrl: pg?.url ?? '', dataDir: ':memory:', poolSize: 2, connectTimeoutMs: 5_000, logger: silentLogger() });
    await store.db.insert(anomalies).values(
      [0, 1].map((k) => ({
        id: `a-${k}`,
        service: 'checkout',
        episodeId: 'ep-1',
        windowStart: new Date(NOW - 60_000 + k * 10_000),
        windowEnd: new Date(NOW - 50_000 + k * 10_000),
        score: 0.9,
        likelihood: 0.9,
        severity: 'warning' as const,
        kind: 'latency' as const,
        evidence: [{ feature: k === 0 ? 'latency_p95_ms' : 'request_rate', observed: 1, expected: 0, deviation: k === 0 ? 9 : -6 }],
        episodeState: k === 0 ? ('open' as const) : ('ongoing' as const),
        detectedAt: new Date(NOW),
      })),
    );
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await pg?.drop();
  });

  const read = async () => {
    const [row] = await store.db.select().from(detectorCalibrations).where(eq(detectorCalibrations.service, 'checkout'));
    return { version: row?.version ?? 0, cal: row?.state as unknown as ServiceCalibration };
  };

  it('moves the sides of the features the incident rested on, once per label, and versions each change', async () => {
    expect(await applyFeedbackEvent(store.db, label('f-1', 'false_positive', 'ep-1'), SETTINGS)).toBe('applied');
    let { version, cal } = await read();
    expect(version).toBe(1);
    expect(cal.shifts['latency_p95_ms+']?.shift).toBeCloseTo(0.8, 12);
    expect(cal.shifts['request_rate-']?.shift).toBeCloseTo(0.8, 12);
    expect(cal.shifts['request_rate+']).toBeUndefined();
    expect(cal.normalRanges).toEqual([[NOW - 60_000, NOW - 30_000]]);

    // redelivered: nothing changes
    expect(await applyFeedbackEvent(store.db, label('f-1', 'false_positive', 'ep-1'), SETTINGS)).toBe('duplicate');
    expect((await read()).version).toBe(1);

    // a miss lowers every feature of the service; a true positive takes the rate off the incident's features
    expect(await applyFeedbackEvent(store.db, label('f-2', 'missed', ''), SETTINGS)).toBe('applied');
    expect(await applyFeedbackEvent(store.db, label('f-3', 'true_positive', 'ep-1'), SETTINGS)).toBe('applied');
    ({ version, cal } = await read());
    expect(version).toBe(3);
    expect(cal.shifts[ALL_FEATURES]?.shift).toBeCloseTo(-1, 12);
    expect(cal.shifts['latency_p95_ms+']?.shift).toBeCloseTo(0.6, 12);
    expect(cal.counts).toEqual({ true_positive: 1, false_positive: 1, missed: 1 });
    const registry = await store.db
      .select()
      .from(modelVersions)
      .where(and(eq(modelVersions.kind, 'calibration'), eq(modelVersions.service, 'checkout')))
      .orderBy(asc(modelVersions.version));
    expect(registry.map((r) => [r.version, r.state])).toEqual([
      [1, 'retired'],
      [2, 'retired'],
      [3, 'active'],
    ]);
    expect(registry.map((r) => r.parentId)).toEqual([null, registry[0]?.id, registry[1]?.id]);
    expect(registry[0]?.reason).toMatch(/^false_positive label f-1 on incident ep-1/);
    expect(registry[1]?.reason).toMatch(/^missed label f-2/);
    expect(registry[2]?.quality).toMatchObject({
      label: { feedbackId: 'f-3', label: 'true_positive', incidentId: 'ep-1' },
      counts: { true_positive: 1, false_positive: 1, missed: 1 },
    });
    const shifts = (registry[2]?.quality as { shifts: Record<string, number> } | undefined)?.shifts ?? {};
    expect(shifts['latency_p95_ms+']).toBeCloseTo(cal.shifts['latency_p95_ms+']?.shift as number, 12);
    expect(shifts[ALL_FEATURES]).toBeCloseTo(-1, 12);
    expect(registry[2]?.params).toEqual(cal);
    const applied = await store.db.select().from(calibrationLabels).where(eq(calibrationLabels.service, 'checkout'));
    expect(applied.map((r) => [r.feedbackId, r.version]).sort()).toEqual([
      ['f-1', 1],
      ['f-2', 2],
      ['f-3', 3],
    ]);
  });
});
