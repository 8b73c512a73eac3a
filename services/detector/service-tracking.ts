/**
 * The detector's side of {@link ServiceTracker}: evicting idle services from
 * every per-service structure (windows, models, call graph), warning (at
 * most once a minute) while the cap refuses services, and publishing the
 * instance's counters to the store for the API.
 */
import { eq, lt } from 'drizzle-orm';
import type { ServiceModels } from '../../models/fleet/index.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Telemetry } from '../core/telemetry.ts';
import { detectorInstances, type Store } from '../store/index.ts';
import type { CallGraph } from './call-graph.ts';
import type { IngestCounts } from './ingest.ts';
import type { ServiceTracker, TrackerStats } from './service-limits.ts';
import type { ServiceWindows } from './service-windows.ts';

/** How often the cap warning may repeat, ms. */
const CAP_LOG_EVERY_MS = 60_000;
/** Rows of instances not updated for this long are deleted (instances that died without removing theirs), ms. */
const STALE_ROW_MS = 86_400_000;

/** What {@link createServiceTracking} works on. */
export interface ServiceTrackingDeps {
  tracker: ServiceTracker;
  windows: ServiceWindows;
  /** The current models (the detector replaces them at start). */
  models: () => ServiceModels;
  graph: CallGraph;
  store: Store;
  log: Logger;
  telemetry: Telemetry;
  /** This instance's id (its row in `detector_instances`). */
  instanceId: string;
  /** Least time between two eviction passes, ms. */
  evictEveryMs: number;
  now: () => number;
}

/** Sizes of the per-service structures of one detector instance, with the tracker's counters. */
export interface DetectorServiceStats extends TrackerStats {
  /** Services with window state (open windows, watermarks, metric series). */
  windowServices: number;
  /** Services with model state. */
  modelServices: number;
  /** Callers with remembered callees in the call graph. */
  graphCallers: number;
}

/** Eviction, the cap warning and the published counters of one detector instance. */
export interface ServiceTracking {
  /** Evicts the services idle long enough (at most once per `evictEveryMs`); returns how many went. */
  evictIdle(): number;
  /** Warns (rate-limited) when a batch's records were refused by the cap. */
  noteRefusals(skipped: IngestCounts): void;
  /** Upserts this instance's row and deletes rows of long-dead instances. */
  publish(): Promise<void>;
  /** Deletes this instance's row (at shutdown). */
  unpublish(): Promise<void>;
  /** Current sizes and counters. */
  stats(): DetectorServiceStats;
}

/** Creates the {@link ServiceTracking} of a detector instance. */
export function createServiceTracking(deps: ServiceTrackingDeps): ServiceTracking {
  const { tracker, windows, graph, log, telemetry: tel } = deps;
  let lastEvictMs = Number.NEGATIVE_INFINITY;
  let lastCapLogMs = Number.NEGATIVE_INFINITY;
  const stats = (): DetectorServiceStats => ({
    ...tracker.stats(),
    windowServices: windows.size(),
    modelServices: deps.models().size(),
    graphCallers: graph.callers(),
  });
  return {
    evictIdle() {
      const t = deps.now();
      if (t - lastEvictMs < deps.evictEveryMs) return 0;
      lastEvictMs = t;
      const models = deps.models();
      const gone = tracker.evictIdle((s) => windows.hasOpen(s) || models.inEpisode(s));
      for (const s of gone) {
        windows.drop(s);
        models.forget(s);
        graph.forget(s);
      }
      if (gone.length > 0) tel.count('zeroops.detector.evicted_services', {}, gone.length);
      return gone.length;
    },
    noteRefusals(skipped) {
      if (!skipped.has('service_cap')) return;
      const t = deps.now();
      if (t - lastCapLogMs < CAP_LOG_EVERY_MS) return;
      lastCapLogMs = t;
      const s = tracker.stats();
      log.warn(
        { tracked: s.tracked, maxServices: s.maxServices, refusedRecords: s.refusedRecords, refusedServices: s.refusedServices },
        'detector service cap reached: records of new services are dropped (raise ZEROOPS_DETECTOR_MAX_SERVICES or add detector instances; idle services are evicted after ZEROOPS_DETECTOR_IDLE_EVICT_SECONDS)',
      );
    },
    async publish() {
      const s = tracker.stats();
      const row = {
        trackedServices: s.tracked,
        maxServices: s.maxServices,
        refusedRecords: s.refusedRecords,
        refusedServices: s.refusedServices,
        badNameRecords: s.badNameRecords,
        evictedServices: s.evicted,
        updatedAt: new Date(deps.now()),
      };
      const { db } = deps.store;
      await db
        .insert(detectorInstances)
        .values({ instanceId: deps.instanceId, ...row })
        .onConflictDoUpdate({ target: detectorInstances.instanceId, set: row });
      await db.delete(detectorInstances).where(lt(detectorInstances.updatedAt, new Date(deps.now() - STALE_ROW_MS)));
    },
    async unpublish() {
      await deps.store.db
        .delete(detectorInstances)
        .where(eq(detectorInstances.instanceId, deps.instanceId))
        .catch((err) => log.warn({ err: describeError(err) }, 'could not remove the detector instance row'));
    },
    stats,
  };
}
