import type { Bus, ConsumedRecord, Subscription, TopicPartition } from '../bus/bus.ts';
import type { AnomalyEvent, AnomalyKind, Severity } from '../bus/messages.ts';
import type { TopicId } from '../bus/topics.ts';
import type { Component } from '../core/component.ts';
import type { Config } from '../core/config.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Telemetry } from '../core/telemetry.ts';
import { inArray } from 'drizzle-orm';
import { detectorCheckpoints, type Store } from '../store/index.ts';
import { createAnomalySink } from './anomaly-sink.ts';
import { ingestLogs, ingestMetrics, ingestSpans } from './ingest.ts';
import { type ServiceModelState, ServiceModels } from './service-models.ts';
import { ServiceWindows } from './service-windows.ts';
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
}

/** Identifier of the model family, carried by every anomaly. */
export const MODEL_VERSION = 'baseline-ewma-1';

function kindOf(feature: string | undefined): AnomalyKind {
  if (!feature) return 'traffic';
  if (feature === 'error_ratio') return 'errors';
  if (feature.startsWith('latency_')) return 'latency';
  if (feature.startsWith('log_')) return 'logs';
  if (feature.startsWith('metric:')) return 'saturation';
  return 'traffic';
}

function severityOf(score: number): Severity {
  return score >= 0.9 ? 'critical' : score >= 0.7 ? 'warning' : 'info';
}

/**
 * The detector: consumes the telemetry topics as a consumer group, builds
 * per-service event-time windows, scores each closed window, tracks episodes
 * and emits anomaly events (rows, incidents, and the anomalies topic).
 */
export function createDetector(settings: DetectorSettings, config: Config): Component & { flush(): Promise<void> } {
  const log = settings.logger.child({ component: 'detector' });
  const now = settings.now ?? Date.now;
  const windowMs = config.windowSeconds * 1000;
  const windows = new ServiceWindows(windowMs, config.latenessSeconds * 1000, now);
  const models = new ServiceModels();
  const sink = createAnomalySink({ store: settings.store, bus: settings.bus, anomaliesTopic: settings.topics.anomalies });
  const signalOf = new Map<string, 'traces' | 'metrics' | 'logs'>([
    [settings.topics.traces, 'traces'],
    [settings.topics.metrics, 'metrics'],
    [settings.topics.logs, 'logs'],
  ]);
  let sub: Subscription | undefined;
  let timer: NodeJS.Timeout | undefined;
  let checkpointTimer: NodeJS.Timeout | undefined;
  let closing: Promise<void> = Promise.resolve();
  let stopped = false;

  function ingest(r: ConsumedRecord): void {
    const signal = signalOf.get(r.topic);
    try {
      const service =
        signal === 'traces' ? ingestSpans(r.value, windows) : signal === 'logs' ? ingestLogs(r.value, windows) : ingestMetrics(r.value, windows);
      models.notePartition(service, r.partition);
      settings.telemetry.count('zeroops.detector.records', { signal: signal ?? 'unknown', outcome: 'ok' });
    } catch (err) {
      settings.telemetry.count('zeroops.detector.records', { signal: signal ?? 'unknown', outcome: 'invalid' });
      log.warn({ topic: r.topic, partition: r.partition, offset: r.offset, err: describeError(err) }, 'skipped an undecodable telemetry record');
    }
  }

  async function scoreWindow(acc: WindowAccumulator): Promise<void> {
    const features = acc.features();
    const result = models.score(acc.service, features, acc.endMs, [...acc.callees.keys()]);
    await sink.rollup(acc.service, acc.endMs, features, result.score);
    settings.telemetry.count('zeroops.detector.windows', { outcome: result.step.transition });
    if (result.step.transition === 'none' || !result.step.episodeId) return;
    const top = result.evidence[0];
    const rootCauses = await sink.rootCauses(acc.service, result.callees, result.score, models.openedAt(acc.service));
    const event: AnomalyEvent = {
      id: `${result.step.episodeId}@${acc.endMs}`,
      service: acc.service,
      episodeId: result.step.episodeId,
      windowStartUnixMs: acc.startMs,
      windowEndUnixMs: acc.endMs,
      score: result.score,
      likelihood: result.likelihood,
      severity: severityOf(result.step.transition === 'closed' ? result.step.maxScore : result.score),
      kind: kindOf(top?.feature ?? result.episodeFeature),
      evidence: result.evidence.slice(0, 8),
      modelVersion: MODEL_VERSION,
      episodeState: result.step.transition,
      rootCauses,
      attributes: {},
      detectedUnixMs: now(),
      flapping: result.step.flapping,
    };
    await sink.emit(event);
    settings.telemetry.count('zeroops.detector.anomalies', { state: event.episodeState, kind: event.kind });
  }

  async function closeWindows(all = false): Promise<void> {
    const due = all ? windows.closeAll() : windows.closeDue();
    if (due.length === 0) return;
    await sink.touchServices([...new Set(due.map((w) => w.service))]);
    for (const acc of due) {
      try {
        await scoreWindow(acc);
      } catch (err) {
        settings.telemetry.count('zeroops.detector.errors', { stage: 'score' });
        log.error({ service: acc.service, err: describeError(err) }, 'failed to score a window');
      }
    }
  }

  function tick(): void {
    closing = closing.then(() => closeWindows()).catch((err) => log.error({ err: describeError(err) }, 'window tick failed'));
  }

  const owned = new Set<number>();

  async function restore(parts: TopicPartition[]): Promise<void> {
    const fresh = new Set(parts.map((p) => p.partition).filter((p) => !owned.has(p)));
    for (const p of fresh) owned.add(p);
    models.restore(await loadCheckpoints(settings.store, fresh));
  }

  async function release(parts: TopicPartition[]): Promise<void> {
    await closing;
    const gone = new Set(parts.map((p) => p.partition));
    await saveCheckpoints(settings.store, models.snapshot(gone), gone);
    models.drop(gone);
    for (const p of gone) owned.delete(p);
  }

  async function checkpoint(): Promise<void> {
    await saveCheckpoints(settings.store, models.snapshot(), new Set(owned));
  }

  return {
    name: 'detector',
    async start() {
      sub = await settings.bus.subscribe({
        groupId: `${config.topicPrefix}zeroops-detector`,
        topics: [settings.topics.traces, settings.topics.metrics, settings.topics.logs],
        eachBatch: async (records) => {
          for (const r of records) ingest(r);
        },
        onAssigned: restore,
        onRevoked: release,
      });
      timer = setInterval(tick, Math.max(50, Math.min(1000, windowMs / 4)));
      checkpointTimer = setInterval(() => {
        closing = closing.then(checkpoint).catch((err) => log.error({ err: describeError(err) }, 'periodic checkpoint failed'));
      }, CHECKPOINT_INTERVAL_MS);
      log.info({ windowSeconds: config.windowSeconds, latenessSeconds: config.latenessSeconds, model: MODEL_VERSION }, 'detector started');
    },
    async flush() {
      tick();
      await closing;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      if (checkpointTimer) clearInterval(checkpointTimer);
      await sub?.stop();
      await closing;
      await closeWindows(false);
      await checkpoint().catch((err) => log.error({ err: describeError(err) }, 'checkpoint at shutdown failed'));
    },
  };
}

const CHECKPOINT_INTERVAL_MS = 30_000;

function checkpointKey(partition: number): string {
  return `detector:${partition}`;
}

async function loadCheckpoints(store: Store, partitions: ReadonlySet<number>): Promise<ServiceModelState> {
  if (partitions.size === 0) return {};
  const keys = [...partitions].map(checkpointKey);
  const rows = await store.db.select().from(detectorCheckpoints).where(inArray(detectorCheckpoints.partitionKey, keys));
  const out: ServiceModelState = {};
  for (const row of rows) Object.assign(out, row.state as ServiceModelState);
  return out;
}

async function saveCheckpoints(store: Store, state: ServiceModelState, partitions: ReadonlySet<number>): Promise<void> {
  const byPartition = new Map<number, ServiceModelState>();
  for (const p of partitions) byPartition.set(p, {});
  for (const [name, st] of Object.entries(state)) {
    const bucket = byPartition.get(st.partition);
    if (bucket) bucket[name] = st;
  }
  const now = new Date();
  for (const [p, st] of byPartition) {
    await store.db
      .insert(detectorCheckpoints)
      .values({ partitionKey: checkpointKey(p), state: st, modelVersion: MODEL_VERSION, updatedAt: now })
      .onConflictDoUpdate({ target: detectorCheckpoints.partitionKey, set: { state: st, modelVersion: MODEL_VERSION, updatedAt: now } });
  }
}
