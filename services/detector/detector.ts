import { randomUUID } from 'node:crypto';
import type { ServiceEvidence } from '../../models/root-cause/index.ts';
import type { Bus, ConsumedRecord, Subscription, TopicPartition } from '../bus/bus.ts';
import { decodeCallHints, encodeCallHints } from '../bus/messages.ts';
import type { TopicId } from '../bus/topics.ts';
import type { Component } from '../core/component.ts';
import type { Config } from '../core/config.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Telemetry } from '../core/telemetry.ts';
import type { Store } from '../store/index.ts';
import { anomalyEvent } from './anomaly-events.ts';
import { createAnomalySink } from './anomaly-sink.ts';
import { CallGraph } from './call-graph.ts';
import {
  type LoadedCheckpoint,
  loadNeural,
  loadPartitions,
  type NeuralSyncPoint,
  offsetKey,
  type PartitionCheckpoint,
  savePartitions,
  syncNeural,
} from './checkpoints.ts';
import { ClientCallErrors } from './client-call-errors.ts';
import { type IngestCounts, ingestLogs, ingestMetrics, ingestSpans } from './ingest.ts';
import { NeuralScorer } from './neural-scorer.ts';
import { ServiceTracker } from './service-limits.ts';
import { ServiceModels, type ServiceScore } from './service-models.ts';
import { createServiceTracking, type DetectorServiceStats } from './service-tracking.ts';
import { ServiceWindows } from './service-windows.ts';
import { loadBackend } from './tf-backend.ts';
import type { WindowAccumulator } from './window-features.ts';

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

/** Identifier of the model family, carried by every anomaly and checkpoint. */
export const MODEL_VERSION = 'seasonal-ae-4';

/** Episode settings relative to the window length: open at 0.7, close after two windows below 0.5. */
function episodeConfig(windowMs: number) {
  return { openLevel: 0.7, closeLevel: 0.5, minOpenMs: 0, minCloseMs: windowMs, flapWindowMs: 60 * windowMs, flapOpenings: 3 };
}

/**
 * The detector: consumes the telemetry topics as a consumer group, builds
 * per-service event-time windows, scores the closed windows of all its
 * services in batches, tracks episodes and emits anomaly events (rows,
 * incidents, and the anomalies topic). Model state and open windows are
 * checkpointed per partition, periodically, when partitions are revoked and
 * at shutdown, and restored when partitions are assigned.
 */
export function createDetector(
  settings: DetectorSettings,
  config: Config,
): Component & { flush(): Promise<void>; ownedPartitions(): number[]; serviceStats(): DetectorServiceStats } {
  const log = settings.logger.child({ component: 'detector' });
  const tel = settings.telemetry;
  const now = settings.now ?? Date.now;
  const windowMs = config.windowSeconds * 1000;
  const windows = new ServiceWindows(windowMs, config.latenessSeconds * 1000, now);
  /** This instance's id on the call-graph topic (its hints come back to it too, and are skipped). */
  const instanceId = randomUUID();
  /** Callees seen this long before a window still count as its callees for root-cause ranking. */
  const edgeHorizonMs = Math.max(30 * windowMs, 300_000);
  const graph = new CallGraph(
    (edge, remote) => {
      // Only into a caller this instance tracks: a window must never be opened for another instance's service.
      const acc = windows.knownWindowFor(edge.caller, edge.atMs);
      acc?.addCallee(edge.callee);
      tel.count('zeroops.detector.call_edges', { source: remote ? 'remote' : 'local' });
    },
    { clientCalls: new ClientCallErrors({ bucketMs: windowMs }) },
  );
  let models = new ServiceModels({ episode: episodeConfig(windowMs) });
  const tracker = new ServiceTracker({
    maxServices: config.detectorMaxServices,
    idleEvictMs: config.detectorIdleEvictSeconds * 1000,
    attributeKeys: config.detectorAttributes,
    now,
  });
  const admit = tracker.admit.bind(tracker);
  const tracking = createServiceTracking({
    tracker,
    windows,
    models: () => models,
    graph,
    store: settings.store,
    log,
    telemetry: tel,
    instanceId,
    evictEveryMs: Math.max(1000, Math.min(windowMs, 60_000)),
    now,
  });
  let neural: NeuralScorer | undefined;
  /** Where this replica's copy of the neural model stood at its last load or save. */
  let neuralAt: NeuralSyncPoint = { work: 0, steps: 0 };
  const sink = createAnomalySink({ store: settings.store, bus: settings.bus, anomaliesTopic: settings.topics.anomalies });
  const signalOf = new Map<string, 'traces' | 'metrics' | 'logs'>([
    [settings.topics.traces, 'traces'],
    [settings.topics.metrics, 'metrics'],
    [settings.topics.logs, 'logs'],
  ]);
  const owned = new Set<number>();
  /** Last ingested offset per topic-partition (checkpointed, so redelivered records are not counted twice). */
  const offsets = new Map<string, bigint>();
  let sub: Subscription | undefined;
  let hintSub: Subscription | undefined;
  let timer: NodeJS.Timeout | undefined;
  let checkpointTimer: NodeJS.Timeout | undefined;
  let closing: Promise<void> = Promise.resolve();
  let stopped = false;

  function ingestBatch(records: ConsumedRecord[]): void {
    const skipped: IngestCounts = new Map();
    const ok = { traces: 0, metrics: 0, logs: 0 };
    for (const r of records) {
      const signal = signalOf.get(r.topic) ?? 'metrics';
      const key = offsetKey(r.topic, r.partition);
      const offset = BigInt(r.offset);
      const seen = offsets.get(key);
      if (seen !== undefined && offset <= seen) {
        skipped.set('replayed', (skipped.get('replayed') ?? 0) + 1);
        continue;
      }
      offsets.set(key, offset);
      try {
        const service =
          signal === 'traces'
            ? ingestSpans(r.value, windows, skipped, graph, admit)
            : signal === 'logs'
              ? ingestLogs(r.value, windows, skipped, admit)
              : ingestMetrics(r.value, windows, skipped, admit);
        if (service === undefined) continue;
        models.notePartition(service, r.partition);
        ok[signal]++;
      } catch (err) {
        skipped.set('undecodable', (skipped.get('undecodable') ?? 0) + 1);
        if ((skipped.get('undecodable') ?? 0) === 1)
          log.warn(
            { topic: r.topic, partition: r.partition, offset: r.offset, err: describeError(err) },
            'skipped undecodable telemetry records (first of this batch)',
          );
      }
    }
    for (const [signal, n] of Object.entries(ok)) if (n > 0) tel.count('zeroops.detector.records', { signal, outcome: 'ok' }, n);
    for (const [reason, n] of skipped) tel.count('zeroops.detector.skipped', { reason }, n);
    tracking.noteRefusals(skipped);
  }

  /** Every service scored this round as root-cause evidence: its score (its episode's peak while one is open), episode start and error ratio. */
  function roundEvidence(results: ServiceScore[]): Map<string, ServiceEvidence> {
    const out = new Map<string, ServiceEvidence>();
    for (const r of results) {
      out.set(r.input.service, {
        score: r.episodeId ? Math.max(r.score, r.peak) : r.score,
        openedAtMs: r.episodeId ? r.openedAtMs : undefined,
        serverErrorRatio: r.input.features.error_ratio,
        clientErrorRatioTo: graph.clientErrorRatios(r.input.service, r.input.startMs, r.input.endMs),
        lostTraffic: r.evidence.length > 0 && r.evidence.every((e) => e.feature === 'request_rate' && e.observed < e.expected),
      });
    }
    return out;
  }

  async function emitAll(results: ServiceScore[]): Promise<void> {
    const round = roundEvidence(results);
    const roundCallees = new Map(results.map((r) => [r.input.service, r.callees]));
    const callees = (s: string) => roundCallees.get(s) ?? graph.callees(s, now() - edgeHorizonMs);
    for (const r of results) {
      tel.count('zeroops.detector.windows', { outcome: r.transition });
      if (!r.emit || !r.episodeId) continue;
      try {
        const rootCauses = await sink.rootCauses(r.input.service, round, callees, windowMs);
        const event = anomalyEvent(r, rootCauses, MODEL_VERSION, now(), tracker.attributesOf(r.input.service));
        await sink.emit(event);
        tel.count('zeroops.detector.anomalies', { state: event.episodeState, kind: event.kind });
        tel.record('zeroops.detector.delay_ms', event.detectedUnixMs - r.input.endMs);
      } catch (err) {
        tel.count('zeroops.detector.errors', { stage: 'emit' });
        log.error({ service: r.input.service, err: describeError(err) }, 'failed to emit an anomaly');
      }
    }
  }

  async function closeWindows(all = false): Promise<void> {
    const due: WindowAccumulator[] = all ? windows.closeAll() : windows.closeDue();
    if (due.length === 0) return;
    const inputs = due.map((acc) => ({
      service: acc.service,
      startMs: acc.startMs,
      endMs: acc.endMs,
      features: acc.features(),
      callees: [...new Set([...acc.callees.keys(), ...graph.callees(acc.service, acc.endMs - edgeHorizonMs)])],
    }));
    const results = models.scoreBatch(inputs);
    try {
      await sink.touchServices([...new Set(due.map((w) => w.service))].map((name) => ({ name, attributes: tracker.attributesOf(name) })));
      await sink.rollups(results.map((r) => ({ service: r.input.service, windowEndMs: r.input.endMs, features: r.input.features, score: r.score })));
    } catch (err) {
      tel.count('zeroops.detector.errors', { stage: 'rollup' });
      log.error({ windows: due.length, err: describeError(err) }, 'failed to store window rollups');
    }
    await emitAll(results);
  }

  /** Offers the server spans whose caller this instance has not seen to the other instances (none when it owns every partition). */
  async function shareHints(): Promise<void> {
    const hints = graph.takeHints();
    if (hints.length === 0 || owned.size >= config.topicPartitions) return;
    try {
      await settings.bus.publish(settings.topics.callgraph, [{ key: instanceId, value: encodeCallHints({ origin: instanceId, hints }) }]);
      tel.count('zeroops.detector.call_hints', { direction: 'sent' }, hints.length);
    } catch (err) {
      tel.count('zeroops.detector.errors', { stage: 'call_hints' });
      log.warn({ hints: hints.length, err: describeError(err) }, 'could not share call-graph hints (edges across instances may be missed)');
    }
  }

  function receiveHints(records: ConsumedRecord[]): void {
    // A new instance reads the topic from its start: hints published long ago are of no use any more.
    const oldest = now() - edgeHorizonMs;
    for (const r of records) {
      if (r.timestamp < oldest) continue;
      try {
        const m = decodeCallHints(r.value);
        if (m.origin === instanceId) continue;
        let n = 0;
        for (const h of m.hints) {
          if (!h.parentSpanId || !h.callee || !Number.isFinite(h.endUnixMs)) continue;
          graph.server(h.parentSpanId, h.callee, h.endUnixMs, true);
          n++;
        }
        tel.count('zeroops.detector.call_hints', { direction: 'received' }, n);
      } catch (err) {
        tel.count('zeroops.detector.skipped', { reason: 'bad_call_hints' });
        log.warn({ offset: r.offset, err: describeError(err) }, 'skipped an undecodable call-graph hints record');
      }
    }
  }

  function tick(): void {
    closing = closing
      .then(() => shareHints())
      .then(() => closeWindows())
      .then(() => {
        tracking.evictIdle();
      })
      .catch((err) => log.error({ err: describeError(err) }, 'window tick failed'));
  }

  function snapshot(partitions?: ReadonlySet<number>): PartitionCheckpoint {
    const attributes: Record<string, Record<string, string>> = {};
    const state: PartitionCheckpoint = { models: models.snapshot(partitions), windows: {}, offsets: {}, attributes };
    for (const [k, o] of offsets) state.offsets[k] = o.toString();
    for (const name of Object.keys(state.models)) {
      const w = windows.snapshot(name);
      if (w) state.windows[name] = w;
      const a = tracker.attributesOf(name);
      if (Object.keys(a).length > 0) attributes[name] = a;
    }
    return state;
  }

  async function onAssigned(parts: TopicPartition[]): Promise<void> {
    const fresh = new Set(parts.map((p) => p.partition).filter((p) => !owned.has(p)));
    for (const p of fresh) owned.add(p);
    const cp = await awaitHandover(fresh);
    models.restore(cp.state.models);
    for (const name of Object.keys(cp.state.models)) tracker.restore(name, cp.state.attributes?.[name]);
    for (const [name, w] of Object.entries(cp.state.windows)) windows.restore(name, w);
    for (const [k, o] of Object.entries(cp.state.offsets)) offsets.set(k, BigInt(o));
    // Claim the partitions: a later owner then waits for this instance's hand-over instead of taking an empty state.
    await savePartitions(settings.store, snapshot(fresh), fresh, MODEL_VERSION, false);
    tel.count('zeroops.detector.restored_services', {}, Object.keys(cp.state.models).length);
    if (!cp.released)
      log.warn({ partitions: [...fresh] }, 'restored partitions without a hand-over checkpoint (previous owner gone?): recent windows may be incomplete');
  }

  async function awaitHandover(partitions: ReadonlySet<number>): Promise<LoadedCheckpoint> {
    const deadline = Date.now() + (settings.handoverWaitMs ?? 5_000);
    for (;;) {
      const cp = await loadPartitions(settings.store, partitions, MODEL_VERSION);
      if (cp.released || Date.now() >= deadline || stopped) return cp;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function onRevoked(parts: TopicPartition[]): Promise<void> {
    await closing;
    const gone = new Set(parts.map((p) => p.partition).filter((p) => owned.has(p)));
    if (gone.size === 0) return;
    await savePartitions(settings.store, snapshot(gone), gone, MODEL_VERSION, true);
    for (const name of models.drop(gone)) {
      windows.drop(name);
      tracker.forget(name);
      graph.forget(name);
    }
    for (const p of gone) owned.delete(p);
    for (const k of [...offsets.keys()]) if (gone.has(Number(k.slice(k.lastIndexOf('|') + 1)))) offsets.delete(k);
  }

  async function checkpoint(released = false): Promise<void> {
    await savePartitions(settings.store, snapshot(), new Set(owned), MODEL_VERSION, released);
    // The counters are for people reading the API: failing to write them must not hold up the neural sync.
    await tracking.publish().catch((err) => log.warn({ err: describeError(err) }, 'could not publish the detector instance counters'));
    if (!neural) return;
    const sync = await syncNeural(settings.store, neural.model, MODEL_VERSION, neuralAt);
    neuralAt = sync.at;
    if (sync.share > 0) tel.count('zeroops.detector.neural_merges');
  }

  return {
    name: 'detector',
    async start() {
      if (config.detectorNeural) {
        const b = await loadBackend(config.detectorBackend);
        const saved = await loadNeural(settings.store, MODEL_VERSION);
        neuralAt = saved?.at ?? { work: 0, steps: 0 };
        neural = new NeuralScorer(b.tf, saved?.state);
        // Passing over tfjs-node is the usual case (it is optional), so this is a statement of choice, not a warning.
        log.info({ backend: b.backend, passedOver: b.skipped }, `neural model: using the ${b.backend} backend of TensorFlow.js`);
      }
      models = new ServiceModels({ episode: episodeConfig(windowMs), neural });
      sub = await settings.bus.subscribe({
        groupId: `${config.topicPrefix}zeroops-detector`,
        topics: [settings.topics.traces, settings.topics.metrics, settings.topics.logs],
        eachBatch: async (records) => ingestBatch(records),
        onAssigned,
        onRevoked,
      });
      // Every instance reads every hint published while it runs: a group of its own, deleted when it stops.
      hintSub = await settings.bus.subscribe({
        groupId: `${config.topicPrefix}zeroops-detector-callgraph-${instanceId}`,
        topics: [settings.topics.callgraph],
        transient: true,
        eachBatch: async (records) => receiveHints(records),
      });
      // At most 250 ms between a window becoming due and its scoring (the close-to-event delay budget is 1 s).
      timer = setInterval(tick, Math.max(50, Math.min(250, windowMs / 4)));
      checkpointTimer = setInterval(() => {
        closing = closing.then(() => checkpoint()).catch((err) => log.error({ err: describeError(err) }, 'periodic checkpoint failed'));
      }, config.detectorCheckpointSeconds * 1000);
      log.info(
        { windowSeconds: config.windowSeconds, latenessSeconds: config.latenessSeconds, model: MODEL_VERSION, neural: Boolean(neural) },
        'detector started',
      );
    },
    ready() {
      if (stopped) return 'stopped';
      if (!sub?.joined()) return 'not joined to its consumer group';
      return hintSub?.joined() ? 'ok' : 'not joined to its call-graph group';
    },
    ownedPartitions() {
      return [...owned].sort((a, b) => a - b);
    },
    serviceStats: tracking.stats,
    async flush() {
      tick();
      await closing;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      if (checkpointTimer) clearInterval(checkpointTimer);
      await hintSub?.stop();
      await sub?.stop();
      await closing;
      await closeWindows(false);
      // Windows still open are checkpointed (their records are committed) rather than closed early.
      await checkpoint(true).catch((err) => log.error({ err: describeError(err) }, 'checkpoint at shutdown failed'));
      await tracking.unpublish();
      neural?.model.dispose();
    },
  };
}
