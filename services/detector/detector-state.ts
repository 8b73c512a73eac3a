/**
 * The one state object of a detector instance, shared by its modules
 * (record ingest, the window round, call-graph hints, partition hand-over and
 * checkpoints): what it tracks per service, which partitions it owns, where
 * it stands in each of them, and the queue its store work runs on.
 */
import { randomUUID } from 'node:crypto';
import { type NeuralScorer, ServiceModels, type TfModule } from '../../models/fleet/index.ts';
import type { Bus } from '../bus/bus.ts';
import type { TopicId } from '../bus/topics.ts';
import type { DetectorConfig } from '../core/component-config.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Telemetry } from '../core/telemetry.ts';
import type { Store } from '../store/index.ts';
import { type AnomalySink, createAnomalySink } from './anomaly-sink.ts';
import { CallGraph } from './call-graph.ts';
import type { NeuralSyncPoint } from './checkpoints.ts';
import { ClientCallErrors } from './client-call-errors.ts';
import { ClientCallLatency } from './client-call-latency.ts';
import type { ShadowRun } from './model-registry-sync.ts';
import { createPeerView, type PeerView } from './peer-evidence.ts';
import { ServiceTracker } from './service-limits.ts';
import { createServiceTracking, type ServiceTracking } from './service-tracking.ts';
import { ServiceWindows } from './service-windows.ts';

/** Runtime dependencies of the detector. */
export interface DetectorSettings {
  bus: Bus;
  store: Store;
  logger: Logger;
  telemetry: Telemetry;
  topics: Record<TopicId, string>;
  /** Clock (Unix ms); tests may inject one. */
  now?: () => number;
  /**
   * How long a detector that was assigned partitions waits for their
   * previous owner's hand-over checkpoint before restoring what there is, ms.
   * Default 5000. (kafkajs tells the previous owner about the revocation only
   * once the new assignment is known, so the hand-over can trail it.)
   */
  handoverWaitMs?: number;
}

/**
 * Identifier of the model family, carried by every partition checkpoint (and
 * by anomalies when the neural model is off; with it on they carry the
 * registry id of the active neural version).
 */
export const MODEL_VERSION = 'seasonal-ae-4';

/** The state of one detector instance; see the module comment. Owned by its `createDetector`. */
export interface DetectorState {
  readonly settings: DetectorSettings;
  readonly config: DetectorConfig;
  readonly log: Logger;
  readonly tel: Telemetry;
  readonly now: () => number;
  /** Window length, ms. */
  readonly windowMs: number;
  /** Callees seen this long before a window still count as its callees for root-cause ranking, ms. */
  readonly edgeHorizonMs: number;
  /** This instance's id on the call-graph topic (its hints come back to it too, and are skipped). */
  readonly instanceId: string;
  readonly windows: ServiceWindows;
  readonly graph: CallGraph;
  readonly tracker: ServiceTracker;
  /** `tracker.admit`, bound once (it is called per record). */
  readonly admit: ServiceTracker['admit'];
  readonly tracking: ServiceTracking;
  readonly sink: AnomalySink;
  /** The signal of each telemetry topic. */
  readonly signalOf: ReadonlyMap<string, 'traces' | 'metrics' | 'logs'>;
  /** The fleet models (replaced at start, once the neural model is loaded). */
  models: ServiceModels;
  neural: NeuralScorer | undefined;
  /** Where this replica's copy of the neural model stood at its last load or save. */
  neuralAt: NeuralSyncPoint;
  /** The model version the anomalies record: the active neural version's registry id (MODEL_VERSION without the neural model). */
  modelVersion: string;
  /** The registry id of the baseline parameters this replica runs (`baselines-<hash8>`; empty before start). */
  baselinesVersion: string;
  /** The shadow version scored beside the active one, if any. */
  shadow: ShadowRun | undefined;
  /** The TensorFlow.js namespace the neural models run on (set at start). */
  tf: TfModule | undefined;
  /** Partitions of the telemetry topics this instance owns. */
  readonly owned: Set<number>;
  /** Last ingested offset per topic-partition (checkpointed, so redelivered records are not counted twice). */
  readonly offsets: Map<string, bigint>;
  /** The queue of window rounds and checkpoints: each runs after the previous one settled. */
  queue: Promise<void>;
  stopped: boolean;
  /** The root-cause evidence of the services the other instances score (see peer-evidence.ts). */
  readonly peers: PeerView;
}

/** Episode settings relative to the window length: open at 0.7, close after two windows below 0.5. */
export function episodeConfig(windowMs: number) {
  return { openLevel: 0.7, closeLevel: 0.5, minOpenMs: 0, minCloseMs: windowMs, flapWindowMs: 60 * windowMs, flapOpenings: 3 };
}

/** A fresh detector state: nothing tracked, nothing owned. */
export function createDetectorState(settings: DetectorSettings, config: DetectorConfig): DetectorState {
  const log = settings.logger.child({ component: 'detector' });
  const tel = settings.telemetry;
  const now = settings.now ?? Date.now;
  const windowMs = config.windowSeconds * 1000;
  const windows = new ServiceWindows(windowMs, config.latenessSeconds * 1000, now);
  const graph = new CallGraph(
    (edge, remote) => {
      // Only into a caller this instance tracks: a window must never be opened for another instance's service.
      windows.knownWindowFor(edge.caller, edge.atMs)?.addCallee(edge.callee, edge.failed === true);
      tel.count('zeroops.detector.call_edges', { source: remote ? 'remote' : 'local' });
    },
    {
      clientCalls: new ClientCallErrors({ bucketMs: windowMs }),
      // As many window summaries per caller and callee as windows can be open at once (the lateness).
      clientWaits: new ClientCallLatency({ bucketMs: windowMs, keepBuckets: Math.min(8, 2 + Math.ceil((config.latenessSeconds * 1000) / windowMs)) }),
    },
  );
  const tracker = new ServiceTracker({
    maxServices: config.detectorMaxServices,
    idleEvictMs: config.detectorIdleEvictSeconds * 1000,
    attributeKeys: config.detectorAttributes,
    now,
  });
  const instanceId = randomUUID();
  const tracking = createServiceTracking({
    tracker,
    windows,
    // The models are replaced at start: read them through the state.
    models: () => state.models,
    graph,
    store: settings.store,
    log,
    telemetry: tel,
    instanceId,
    evictEveryMs: Math.max(1000, Math.min(windowMs, 60_000)),
    now,
  });
  const state: DetectorState = {
    settings,
    config,
    log,
    tel,
    now,
    windowMs,
    edgeHorizonMs: Math.max(30 * windowMs, 300_000),
    instanceId,
    windows,
    graph,
    tracker,
    admit: tracker.admit.bind(tracker),
    tracking,
    sink: createAnomalySink({ store: settings.store, bus: settings.bus, anomaliesTopic: settings.topics.anomalies }),
    signalOf: new Map([
      [settings.topics.traces, 'traces'],
      [settings.topics.metrics, 'metrics'],
      [settings.topics.logs, 'logs'],
    ]),
    models: new ServiceModels({ episode: episodeConfig(windowMs), warmupWindows: config.detectorWarmupWindows }),
    neural: undefined,
    neuralAt: { work: 0, steps: 0 },
    modelVersion: MODEL_VERSION,
    baselinesVersion: '',
    shadow: undefined,
    tf: undefined,
    owned: new Set(),
    offsets: new Map(),
    queue: Promise.resolve(),
    stopped: false,
    peers: createPeerView(),
  };
  return state;
}

/** Runs `work` on the state's queue, after everything queued before it; a failure is logged as `what` failed. */
export function enqueue(s: DetectorState, what: string, work: () => Promise<void>): Promise<void> {
  s.queue = s.queue.then(work).catch((err) => s.log.error({ err: describeError(err) }, `${what} failed`));
  return s.queue;
}
