/**
 * Applies one `feedback` message (a person's label) to the detector's
 * recalibration of its service (models/calibration does the maths),
 * idempotently: the feedback id's row in `calibration_labels` is inserted in
 * the same transaction as the new calibration version, so a redelivered
 * label changes nothing.
 */
import { eq } from 'drizzle-orm';
import {
  applyLabel,
  type CalibrationLabel,
  type CalibrationSettings,
  deviationKey,
  emptyCalibration,
  type ServiceCalibration,
} from '../../models/calibration/index.ts';
import type { FeedbackEvent } from '../bus/messages.ts';
import type { TrainerConfig } from '../core/component-config.ts';
import { type NewCalibrationVersion, registerCalibrationVersion } from '../detector/index.ts';
import { anomalies, calibrationLabels, type Db, detectorCalibrations } from '../store/index.ts';
import type { DbOrTx } from './policy-repo.ts';

/** What applying a label did. */
export type FeedbackResult = 'applied' | 'duplicate' | 'ignored';

/** The calibration settings of the trainer's configuration. */
export function calibrationSettingsOf(
  config: Pick<TrainerConfig, 'targetFalseAlarmRate' | 'calibrationHalfLifeHours' | 'calibrationMaxShift'>,
): CalibrationSettings {
  return {
    targetFalseAlarmRate: config.targetFalseAlarmRate,
    halfLifeMs: config.calibrationHalfLifeHours * 3_600_000,
    maxShift: config.calibrationMaxShift,
  };
}

/** What the alarms of episode `episodeId` rested on: every feature of their evidence, with the side it deviated to. */
export async function episodeFeatures(db: DbOrTx, episodeId: string): Promise<string[]> {
  const rows = await db.select({ evidence: anomalies.evidence }).from(anomalies).where(eq(anomalies.episodeId, episodeId));
  const out = new Set<string>();
  for (const r of rows) for (const e of r.evidence ?? []) if (typeof e?.feature === 'string') out.add(deviationKey(e.feature, Number(e.deviation) || 0));
  return [...out];
}

/** Label `f`'s calibration version `version` (state `cal`) as the model registry lists it: the label as reason, the shifts as quality. */
function calibrationVersionOf(f: FeedbackEvent, version: number, cal: ServiceCalibration, features: string[]): NewCalibrationVersion {
  const shifts: Record<string, number> = {};
  for (const [k, v] of Object.entries(cal.shifts)) shifts[k] = v.shift;
  const incident = f.episodeId
    ? ` on incident ${f.episodeId}`
    : ` (${new Date(Number(f.fromUnixMs)).toISOString()} to ${new Date(Number(f.toUnixMs)).toISOString()})`;
  return {
    service: f.service,
    version,
    reason: `${f.label} label ${f.id}${incident} by ${f.actor || 'unknown'}`,
    quality: {
      label: { feedbackId: f.id, label: f.label, incidentId: f.episodeId || null, actor: f.actor, features },
      shifts,
      counts: cal.counts,
    },
    params: cal,
  };
}

/**
 * Folds label `f` into its service's calibration (a new version of the
 * `detector_calibrations` row, with the current settings). A label of an
 * incident moves the features of that incident's evidence; a `missed` label
 * moves every feature of the service. A label without a service is ignored.
 */
export async function applyFeedbackEvent(db: Db, f: FeedbackEvent, settings: CalibrationSettings): Promise<FeedbackResult> {
  if (!f.service || !['true_positive', 'false_positive', 'missed'].includes(f.label)) return 'ignored';
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(detectorCalibrations).where(eq(detectorCalibrations.service, f.service)).for('update');
    const version = (row?.version ?? 0) + 1;
    const fresh = await tx
      .insert(calibrationLabels)
      .values({ feedbackId: f.id, service: f.service, label: f.label, version })
      .onConflictDoNothing()
      .returning({ id: calibrationLabels.feedbackId });
    if (fresh.length === 0) return 'duplicate';
    const features = f.label === 'missed' || !f.episodeId ? [] : await episodeFeatures(tx, f.episodeId);
    const label: CalibrationLabel = {
      kind: f.label,
      features,
      atMs: Number(f.createdUnixMs),
      fromMs: Number(f.fromUnixMs),
      toMs: Number(f.toUnixMs),
    };
    const before = row ? ({ ...(row.state as unknown as ServiceCalibration), settings } as ServiceCalibration) : emptyCalibration(settings);
    const state = applyLabel(before, label) as unknown as Record<string, unknown>;
    await tx
      .insert(detectorCalibrations)
      .values({ service: f.service, version, state, updatedAt: new Date() })
      .onConflictDoUpdate({ target: detectorCalibrations.service, set: { version, state, updatedAt: new Date() } });
    await registerCalibrationVersion(tx, calibrationVersionOf(f, version, state as unknown as ServiceCalibration, features));
    return 'applied';
  });
}
