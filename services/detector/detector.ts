/**
 * The detector component: consumes the telemetry topics as a consumer group,
 * builds per-service event-time windows, scores the closed windows of all its
 * services in batches, tracks episodes and emits anomaly events (rows,
 * incidents, and the anomalies topic). Model state and open windows are
 * checkpointed per partition, periodically, when partitions are revoked and
 * at shutdown, and restored when partitions are assigned.
 *
 * Its modules share one {@link DetectorState}: record-ingest.ts,
 * window-round.ts, call-hints.ts, handover.ts; this file is the lifecycle.
 */
import { ServiceModels } from '../../models/fleet/index.ts';
import type { Subscription } from '../bus/bus.ts';
import type { Component } from '../core/component.ts';
import type { DetectorConfig } from '../core/component-config.ts';
import { withDeadline } from '../core/deadline.ts';
import { describeError } from '../core/errors.ts';
import { startCalibrationSync } from './calibration-sync.ts';
import { receiveHints } from './call-hints.ts';
import { createDetectorState, type DetectorSettings, type DetectorState, enqueue, episodeConfig } from './detector-state.ts';
import { checkpoint, onAssigned, onRevoked } from './handover.ts';
import { flushShadow, loadActiveNeural, refreshModels, registerBaselines, scoreShadow } from './model-registry-sync.ts';
import { ingestRecords } from './record-ingest.ts';
import type { DetectorServiceStats } from './service-tracking.ts';
import { loadBackend } from './tf-backend.ts';
import { closeWindows, tick } from './window-round.ts';

/** The detector component, with what tests and the API read of it. */
export interface Detector extends Component {
  /** Runs a window round now and waits for everything queued. */
  flush(): Promise<void>;
  /** Partitions of the telemetry topics this instance owns, ascending. */
  ownedPartitions(): number[];
  /** Sizes of the per-service structures and the tracker's counters. */
  serviceStats(): DetectorServiceStats;
  /** The registry id of the neural model version it runs, and of the shadow version it scores beside it (if any). */
  modelVersions(): { active: string; shadow: string | undefined };
  /** Polls the model registry now (as the timer does) and waits for it. */
  refreshModels(): Promise<void>;
}

/** What runs while the detector is started: its subscriptions and timers. */
interface Running {
  sub?: Subscription;
  hintSub?: Subscription;
  timers: NodeJS.Timeout[];
}

/** Loads the active version of the shared neural model (when enabled) from the registry, on the configured tfjs backend. */
async function loadNeuralModel(s: DetectorState): Promise<void> {
  if (!s.config.detectorNeural) return;
  const b = await loadBackend(s.config.detectorBackend);
  s.neural = await loadActiveNeural(s, b.tf);
  // Passing over tfjs-node is the usual case (it is optional), so this is a statement of choice, not a warning.
  s.log.info({ backend: b.backend, passedOver: b.skipped }, `neural model: using the ${b.backend} backend of TensorFlow.js`);
}

async function subscribe(s: DetectorState, run: Running): Promise<void> {
  const { bus, topics } = s.settings;
  run.sub = await bus.subscribe({
    groupId: `${s.config.topicPrefix}zeroops-detector`,
    topics: [topics.traces, topics.metrics, topics.logs],
    eachBatch: async (records) => ingestRecords(s, records),
    onAssigned: (parts) => onAssigned(s, parts),
    onRevoked: (parts) => onRevoked(s, parts),
  });
  // Every instance reads every hint published while it runs: a group of its own, deleted when it stops.
  run.hintSub = await bus.subscribe({
    groupId: `${s.config.topicPrefix}zeroops-detector-callgraph-${s.instanceId}`,
    topics: [topics.callgraph],
    transient: true,
    eachBatch: async (records) => receiveHints(s, records),
  });
}

function startTimers(s: DetectorState, run: Running): void {
  // At most 250 ms between a window becoming due and its scoring (the close-to-event delay budget is 1 s).
  run.timers.push(setInterval(() => void tick(s), Math.max(50, Math.min(250, s.windowMs / 4))));
  run.timers.push(setInterval(() => void enqueue(s, 'periodic checkpoint', () => checkpoint(s)), s.config.detectorCheckpointSeconds * 1000));
  if (s.neural) run.timers.push(setInterval(() => void enqueue(s, 'model registry poll', () => refreshModels(s)), s.config.detectorModelPollSeconds * 1000));
}

/** Stops intake, scores the windows that are due and checkpoints the rest (its records are committed) as handed over. */
async function drain(s: DetectorState, run: Running): Promise<void> {
  await run.hintSub?.stop();
  await run.sub?.stop();
  await s.queue;
  await closeWindows(s, false);
  await flushShadow(s).catch((err) => s.log.warn({ err: describeError(err) }, 'could not add the shadow counts at shutdown'));
  // Windows still open are checkpointed rather than closed early.
  await checkpoint(s, true).catch((err) => s.log.error({ err: describeError(err) }, 'checkpoint at shutdown failed'));
  await s.tracking.unpublish();
}

/** Creates the detector; see the module comment. Nothing runs before `start()`. */
export function createDetector(settings: DetectorSettings, config: DetectorConfig): Detector {
  const s = createDetectorState(settings, config);
  const run: Running = { timers: [] };
  let started = false;
  return {
    name: 'detector',
    async start() {
      started = true;
      await loadNeuralModel(s);
      const baselines = { episode: episodeConfig(s.windowMs), warmupWindows: config.detectorWarmupWindows };
      await registerBaselines(s, baselines);
      s.models = new ServiceModels({ ...baselines, neural: s.neural, onNormalRows: (rows, n) => scoreShadow(s, rows, n) });
      if (s.neural) await refreshModels(s);
      await subscribe(s, run);
      startTimers(s, run);
      run.timers.push(await startCalibrationSync(s));
      s.log.info(
        {
          windowSeconds: config.windowSeconds,
          latenessSeconds: config.latenessSeconds,
          model: s.modelVersion,
          baselines: s.baselinesVersion,
          neural: Boolean(s.neural),
        },
        'detector started',
      );
    },
    ready() {
      if (s.stopped) return 'stopped';
      if (!run.sub?.joined()) return 'not joined to its consumer group';
      return run.hintSub?.joined() ? 'ok' : 'not joined to its call-graph group';
    },
    ownedPartitions: () => [...s.owned].sort((a, b) => a - b),
    serviceStats: s.tracking.stats,
    modelVersions: () => ({ active: s.modelVersion, shadow: s.shadow?.id }),
    refreshModels: () => enqueue(s, 'model registry poll', () => refreshModels(s)),
    async flush() {
      await tick(s);
      await s.queue;
    },
    /**
     * Stops within `deadlineMs` (default the shutdown timeout): drains and
     * checkpoints as handed over; past the deadline it gives up waiting, logs
     * it and resolves (the partitions' next owner then restores the last
     * periodic checkpoint). Idempotent; safe before `start()`.
     */
    async stop(deadlineMs = config.shutdownTimeoutMs) {
      if (s.stopped) return;
      s.stopped = true;
      for (const t of run.timers) clearInterval(t);
      if (!started) return;
      const work = drain(s, run);
      // The model may be in use by the draining work: dispose of it only once that settled, deadline or not.
      void work
        .catch(() => undefined)
        .finally(() => {
          s.neural?.model.dispose();
          s.shadow?.model.dispose();
        });
      const late = new Error(`detector did not drain within ${deadlineMs} ms`);
      await withDeadline(deadlineMs, () => work, { onTimeout: () => late }).catch((err: unknown) => {
        if (err !== late) throw err;
        s.tel.count('zeroops.detector.errors', { stage: 'stop' });
        s.log.error({ deadlineMs }, 'detector stop: gave up draining at its deadline (its last periodic checkpoint stands)');
      });
    },
  };
}
