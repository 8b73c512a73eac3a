/** Turns a kafkajs batch into what a subscription's handler receives: its records and its {@link BatchContext}. */
import type { Logger } from 'pino';
import { describeError } from '../core/errors.ts';
import type { BatchContext, ConsumedRecord } from './bus.ts';
import type { EachBatchPayload } from './kafkajs.ts';

/**
 * The context of one kafkajs batch: its topic and partition, a heartbeat
 * that logs (at debug) rather than throws, and `signal`, aborted on stop.
 */
export function batchContext(payload: EachBatchPayload, signal: AbortSignal, log: Logger): BatchContext {
  const { batch } = payload;
  return {
    topic: batch.topic,
    partition: batch.partition,
    heartbeat: async () => {
      try {
        await payload.heartbeat();
      } catch (err) {
        // A rebalance is handled by kafkajs after this batch; the handler should go on.
        log.debug({ err: describeError(err) }, 'kafka bus: heartbeat during a batch failed');
      }
    },
    signal,
  };
}

/** One kafkajs message as a {@link ConsumedRecord}: the last value of a repeated header wins; the value shares the message's buffer. */
export function toConsumed(topic: string, partition: number, m: EachBatchPayload['batch']['messages'][number]): ConsumedRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (v === undefined) continue;
    const one = Array.isArray(v) ? v[v.length - 1] : v;
    headers[k] = typeof one === 'string' ? one : Buffer.from(one!).toString('utf8');
  }
  const value = m.value ?? Buffer.alloc(0);
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ? m.key.toString('utf8') : '',
    value: new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
    headers,
    timestamp: Number(m.timestamp),
  };
}
