/**
 * Recalibration from human labels, on the detector's side: every replica
 * polls `detector_calibrations` (written by the trainer) every
 * `calibrationPollSeconds` and hands each new version to its fleet models,
 * without a restart. The windows of a false-positive episode become normal
 * data: the owner of the service reads their rollups and lets the service's
 * baselines learn them (they were held out while the episode was open).
 */
import { and, asc, eq, gte, lte } from 'drizzle-orm';
import type { ServiceCalibration } from '../../models/calibration/index.ts';
import { describeError } from '../core/errors.ts';
import { detectorCalibrations, rollups } from '../store/index.ts';
import { type DetectorState, enqueue } from './detector-state.ts';

/** Most windows of one false-positive range learned as normal. */
const MAX_WINDOWS_PER_RANGE = 360;
/** Rows updated this long before the last one seen are read again (clocks of writers differ a little), ms. */
const OVERLAP_MS = 5_000;

/** What a replica knows of the calibrations. */
interface CalibrationSync {
  /** Version applied per service. */
  versions: Map<string, number>;
  /** False-positive ranges already learned per service (`from-to`). */
  learned: Map<string, Set<string>>;
  /** Latest `updated_at` read, ms (0: read everything). */
  sinceMs: number;
}

const syncs = new WeakMap<DetectorState, CalibrationSync>();

function syncOf(s: DetectorState): CalibrationSync {
  let c = syncs.get(s);
  if (!c) {
    c = { versions: new Map(), learned: new Map(), sinceMs: 0 };
    syncs.set(s, c);
  }
  return c;
}

/**
 * The model version an anomaly of `service` is recorded with:
 * `<neural>+base.<hash8>+cal.<N>`, the active neural version's registry id
 * (see model-registry-sync.ts), the hash of the baseline parameters (registry
 * id `baselines-<hash8>`), and the service's calibration version when there
 * is one (registry: kind `calibration`, that service and version).
 */
export function modelVersionOf(s: DetectorState, service: string): string {
  const v = syncs.get(s)?.versions.get(service);
  const base = s.baselinesVersion ? `+base.${s.baselinesVersion.slice('baselines-'.length)}` : '';
  return v ? `${s.modelVersion}${base}+cal.${v}` : `${s.modelVersion}${base}`;
}

/** Lets the baselines of `service` learn the windows of its false-positive ranges not learned yet (only where this replica tracks it). */
async function learnRanges(s: DetectorState, c: CalibrationSync, service: string, cal: ServiceCalibration): Promise<void> {
  let done = c.learned.get(service);
  for (const [from, to] of cal.normalRanges ?? []) {
    const key = `${from}-${to}`;
    if (done?.has(key)) continue;
    const rows = await s.settings.store.db
      .select({ windowEnd: rollups.windowEnd, features: rollups.features })
      .from(rollups)
      .where(and(eq(rollups.service, service), eq(rollups.stepSeconds, 0), gte(rollups.windowEnd, new Date(from)), lte(rollups.windowEnd, new Date(to))))
      .orderBy(asc(rollups.windowEnd))
      .limit(MAX_WINDOWS_PER_RANGE);
    const n = s.models.learnNormal(
      service,
      rows.map((r) => ({ features: r.features, endMs: r.windowEnd.getTime() })),
    );
    // A service another replica owns is left to that replica (its checkpoint carries what it learned).
    if (n === 0 && rows.length > 0) continue;
    if (!done) {
      done = new Set();
      c.learned.set(service, done);
    }
    done.add(key);
    s.tel.count('zeroops.detector.normal_windows_learned', {}, n);
  }
}

/** Reads calibrations updated since the last poll and applies the new versions. */
export async function pollCalibrations(s: DetectorState): Promise<void> {
  const c = syncOf(s);
  const rows = await s.settings.store.db
    .select()
    .from(detectorCalibrations)
    .where(gte(detectorCalibrations.updatedAt, new Date(Math.max(0, c.sinceMs - OVERLAP_MS))));
  for (const row of rows) {
    c.sinceMs = Math.max(c.sinceMs, row.updatedAt.getTime());
    if (row.version <= (c.versions.get(row.service) ?? 0)) continue;
    const cal = row.state as unknown as ServiceCalibration;
    s.models.setCalibration(row.service, cal);
    c.versions.set(row.service, row.version);
    s.tel.count('zeroops.detector.calibrations_applied');
    await learnRanges(s, c, row.service, cal);
  }
}

/** Polls now (on the detector's queue, so no window round runs meanwhile) and then every `calibrationPollSeconds`; returns the timer. */
export async function startCalibrationSync(s: DetectorState): Promise<NodeJS.Timeout> {
  const poll = () =>
    enqueue(s, 'calibration poll', () =>
      pollCalibrations(s).catch((err) => {
        s.tel.count('zeroops.detector.errors', { stage: 'calibration' });
        s.log.warn({ err: describeError(err) }, 'failed to read the calibrations (the ones applied stay)');
      }),
    );
  await poll();
  return setInterval(() => void poll(), s.config.calibrationPollSeconds * 1000);
}
