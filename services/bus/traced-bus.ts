import { SpanKind } from '@opentelemetry/api';
import type { Telemetry } from '../core/telemetry.ts';
import type { Bus } from './bus.ts';

/**
 * Wraps a bus so that every stage that goes through it is traced and
 * measured: a producer span per publish (`publish <topic>`) and a consumer
 * span per processed batch (`process <topic>`), with record counts and
 * durations. Behaviour is otherwise unchanged.
 */
export function traceBus(bus: Bus, telemetry: Telemetry): Bus {
  return {
    kind: bus.kind,
    connect: () => bus.connect(),
    ensureTopics: (topics) => bus.ensureTopics(topics),
    partitionCount: (topic) => bus.partitionCount(topic),
    ping: () => bus.ping(),
    close: () => bus.close(),
    publish(topic, records) {
      const t0 = performance.now();
      return telemetry.span(
        `publish ${topic}`,
        { 'messaging.system': bus.kind, 'messaging.destination.name': topic, 'messaging.batch.message_count': records.length },
        async () => {
          try {
            await bus.publish(topic, records);
            telemetry.count('zeroops.bus.published', { topic, outcome: 'ok' }, records.length);
          } catch (err) {
            telemetry.count('zeroops.bus.published', { topic, outcome: 'error' }, records.length);
            throw err;
          } finally {
            telemetry.record('zeroops.bus.publish.duration_ms', performance.now() - t0, { topic });
          }
        },
        SpanKind.PRODUCER,
      );
    },
    subscribe(opts) {
      return bus.subscribe({
        ...opts,
        eachBatch(records, ctx) {
          const t0 = performance.now();
          return telemetry.span(
            `process ${ctx.topic}`,
            {
              'messaging.system': bus.kind,
              'messaging.destination.name': ctx.topic,
              'messaging.consumer.group.name': opts.groupId,
              'messaging.batch.message_count': records.length,
            },
            async () => {
              try {
                await opts.eachBatch(records, ctx);
                telemetry.count('zeroops.bus.consumed', { topic: ctx.topic, group: opts.groupId, outcome: 'ok' }, records.length);
              } catch (err) {
                telemetry.count('zeroops.bus.consumed', { topic: ctx.topic, group: opts.groupId, outcome: 'error' }, records.length);
                throw err;
              } finally {
                telemetry.record('zeroops.bus.batch.duration_ms', performance.now() - t0, { topic: ctx.topic, group: opts.groupId });
              }
            },
            SpanKind.CONSUMER,
          );
        },
      });
    },
  };
}
