/**
 * Record ingest of the detector: each consumed telemetry record goes into its
 * service's open windows (and call graph), once: offsets at or below the last
 * one ingested from a partition are redeliveries and are skipped.
 */
import type { ConsumedRecord } from '../bus/bus.ts';
import { describeError } from '../core/errors.ts';
import { offsetKey } from './checkpoints.ts';
import type { DetectorState } from './detector-state.ts';
import { type IngestCounts, ingestLogs, ingestMetrics, ingestSpans } from './ingest.ts';

/** Ingests one consumed batch; counts what went in and what was skipped, and why. */
export function ingestRecords(s: DetectorState, records: ConsumedRecord[]): void {
  const skipped: IngestCounts = new Map();
  const ok = { traces: 0, metrics: 0, logs: 0 };
  for (const r of records) {
    if (isReplay(s, r)) {
      skipped.set('replayed', (skipped.get('replayed') ?? 0) + 1);
      continue;
    }
    const signal = s.signalOf.get(r.topic) ?? 'metrics';
    try {
      const service = ingestRecord(s, signal, r.value, skipped);
      if (service === undefined) continue;
      s.models.notePartition(service, r.partition);
      ok[signal]++;
    } catch (err) {
      skipped.set('undecodable', (skipped.get('undecodable') ?? 0) + 1);
      if ((skipped.get('undecodable') ?? 0) === 1)
        s.log.warn(
          { topic: r.topic, partition: r.partition, offset: r.offset, err: describeError(err) },
          'skipped undecodable telemetry records (first of this batch)',
        );
    }
  }
  for (const [signal, n] of Object.entries(ok)) if (n > 0) s.tel.count('zeroops.detector.records', { signal, outcome: 'ok' }, n);
  for (const [reason, n] of skipped) s.tel.count('zeroops.detector.skipped', { reason }, n);
  s.tracking.noteRefusals(skipped);
}

/** Whether `r` was ingested before (its offset is not past the partition's last one); otherwise notes its offset. */
function isReplay(s: DetectorState, r: ConsumedRecord): boolean {
  const key = offsetKey(r.topic, r.partition);
  const offset = BigInt(r.offset);
  const seen = s.offsets.get(key);
  if (seen !== undefined && offset <= seen) return true;
  s.offsets.set(key, offset);
  return false;
}

function ingestRecord(s: DetectorState, signal: 'traces' | 'metrics' | 'logs', value: Uint8Array, skipped: IngestCounts): string | undefined {
  if (signal === 'traces') return ingestSpans(value, s.windows, skipped, s.graph, s.admit);
  if (signal === 'logs') return ingestLogs(value, s.windows, skipped, s.admit);
  return ingestMetrics(value, s.windows, skipped, s.admit);
}
