import type { TfModule } from '../../models/fleet/index.ts';
import type { Bus, ConsumedRecord, Subscription } from '../bus/bus.ts';
import { decodeFeedback, decodeOutcome, type FeedbackEvent, type OutcomeEvent } from '../bus/messages.ts';
import type { TopicId } from '../bus/topics.ts';
import type { Component } from '../core/component.ts';
import type { TrainerConfig } from '../core/component-config.ts';
import { withDeadline } from '../core/deadline.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Telemetry } from '../core/telemetry.ts';
import { loadBackend } from '../detector/index.ts';
import type { Store } from '../store/index.ts';
import { applyFeedbackEvent, calibrationSettingsOf } from './feedback-apply.ts';
import { modelCycle } from './model-cycle.ts';
import { applyOutcomeEvent } from './outcome-apply.ts';

/** Runtime dependencies of the trainer. */
export interface TrainerSettings {
  bus: Bus;
  store: Store;
  logger: Logger;
  telemetry: Telemetry;
  topics: Record<TopicId, string>;
}

/** Consumer group of the trainer on the `outcomes` topic (after the topic prefix). */
export const TRAINER_GROUP = 'zeroops-trainer';
/** Consumer group of the trainer on the `feedback` topic (after the topic prefix). */
export const TRAINER_FEEDBACK_GROUP = 'zeroops-trainer-feedback';

/**
 * Runs the model registry's loop every `trainerModelIntervalSeconds` (none
 * when 0): one round at a time, on the detector's tfjs backend.
 */
function modelLoop(settings: TrainerSettings, config: TrainerConfig, logger: Logger) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let tf: TfModule | undefined;
  const round = async () => {
    tf ??= (await loadBackend(config.detectorBackend)).tf;
    const r = await modelCycle(settings.store, tf, { windowMs: config.windowSeconds * 1000, minLiveWindows: config.trainerShadowMinWindows });
    settings.telemetry.count('zeroops.trainer.model_rounds', { action: r.action });
    const quiet = r.action === 'waiting' || r.action === 'skipped';
    logger[quiet ? 'debug' : 'info']({ action: r.action, version: r.versionId, reason: r.reason }, `model registry: ${r.action} ${r.versionId ?? ''}`.trim());
  };
  const tick = () => {
    if (running) return;
    running = round()
      .catch((err) => logger.error({ err: describeError(err) }, 'model registry round failed'))
      .finally(() => {
        running = undefined;
      });
  };
  return {
    start() {
      if (config.trainerModelIntervalSeconds > 0) timer = setInterval(tick, config.trainerModelIntervalSeconds * 1000);
    },
    /** Stops the timer; resolves once a round in progress finished. */
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}

/**
 * The trainer service: consumes `outcomes` as its own consumer group
 * (`<prefix>zeroops-trainer`) and folds each outcome into the remediation
 * policy's arms and the playbooks' autonomy (see outcome-apply.ts); and
 * consumes `feedback` as another (`<prefix>zeroops-trainer-feedback`),
 * folding each label into the detector's recalibration of its service
 * (feedback-apply.ts; `calibration_labels` rows make it idempotent).
 * Checkpointed twice over: the group's offsets are committed after each
 * batch is applied, and the store's `policy_outcomes` rows make a batch
 * replayed after a crash count once. Bad messages are counted and dropped;
 * a store failure fails the batch, which the bus delivers again. It also
 * retrains the shared neural model and judges shadow versions (modelLoop).
 */
export function createTrainer(settings: TrainerSettings, config: TrainerConfig): Component {
  const { bus, telemetry, topics } = settings;
  const db = settings.store.db;
  const logger = settings.logger.child({ component: 'trainer' });
  let sub: Subscription | undefined;
  let feedbackSub: Subscription | undefined;
  const calibration = calibrationSettingsOf(config);
  let stopping = false;
  // The batches being applied, of both groups (each subscription runs one at a time).
  const inFlight = new Set<Promise<void>>();
  const models = modelLoop(settings, config, logger);

  /**
   * Subscribes `group` (after the topic prefix) to `topic`: each record of a
   * batch is decoded (an undecodable one, a `what`, is counted and dropped)
   * and applied in order; a failed apply fails the batch, which the bus
   * delivers again.
   */
  function consume<T>(group: string, topic: string, what: string, decode: (bytes: Uint8Array) => T, apply: (message: T) => Promise<void>) {
    async function applyBatch(records: ConsumedRecord[]): Promise<void> {
      for (const r of records) {
        let message: T;
        try {
          message = decode(r.value);
        } catch (err) {
          telemetry.count('zeroops.trainer.invalid_messages');
          logger.warn({ err: describeError(err), partition: r.partition, offset: r.offset }, `dropping undecodable ${what}`);
          continue;
        }
        await apply(message);
      }
    }
    return bus.subscribe({
      groupId: `${config.topicPrefix}${group}`,
      topics: [topic],
      eachBatch: async (records) => {
        const batch = applyBatch(records);
        inFlight.add(batch);
        try {
          await batch;
        } finally {
          inFlight.delete(batch);
        }
      },
    });
  }

  return {
    name: 'trainer',
    async start() {
      stopping = false;
      await bus.ensureTopics([
        { name: topics.outcomes, partitions: config.topicPartitions },
        { name: topics.feedback, partitions: config.topicPartitions },
      ]);
      sub = await consume(TRAINER_GROUP, topics.outcomes, 'outcome', decodeOutcome, async (o: OutcomeEvent) => {
        telemetry.count('zeroops.trainer.outcomes', { result: await applyOutcomeEvent(db, o) });
      });
      feedbackSub = await consume(TRAINER_FEEDBACK_GROUP, topics.feedback, 'label', decodeFeedback, async (f: FeedbackEvent) => {
        telemetry.count('zeroops.trainer.labels', { result: await applyFeedbackEvent(db, f, calibration), label: f.label });
      });
      models.start();
      logger.info({ modelIntervalSeconds: config.trainerModelIntervalSeconds }, 'trainer started: learning from the outcomes and feedback topics');
    },
    ready() {
      if (stopping) return 'stopped';
      if (!sub?.joined()) return 'not joined to its consumer group';
      return feedbackSub?.joined() ? 'ok' : 'not joined to its feedback consumer group';
    },
    async stop(deadlineMs = config.shutdownTimeoutMs) {
      stopping = true;
      const s = sub;
      const fs = feedbackSub;
      sub = undefined;
      feedbackSub = undefined;
      const late = new Error(`trainer batch still applying after ${deadlineMs} ms`);
      await withDeadline(
        deadlineMs,
        async () => {
          await fs?.stop();
          await Promise.all([s?.stop(), models.stop()]);
        },
        { onTimeout: () => late },
      ).catch((err: unknown) => {
        if (err !== late) throw err;
        logger.warn({ err: describeError(err), applying: inFlight.size > 0 }, 'trainer stop: the batch did not finish in time');
      });
    },
  };
}
