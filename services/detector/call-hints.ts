/**
 * Call-graph hints between detector instances: a server span whose caller
 * this instance has not seen is offered on the call-graph topic, and the
 * hints of the other instances complete this instance's call graph. The
 * same topic carries each instance's root-cause evidence (peer-evidence.ts).
 */
import type { ConsumedRecord } from '../bus/bus.ts';
import { decodeCallHints, encodeCallHints } from '../bus/messages.ts';
import { describeError } from '../core/errors.ts';
import type { DetectorState } from './detector-state.ts';
import { receiveEvidence } from './peer-evidence.ts';

/** Offers the server spans whose caller this instance has not seen to the other instances (none when it owns every partition). */
export async function shareHints(s: DetectorState): Promise<void> {
  const hints = s.graph.takeHints();
  if (hints.length === 0 || s.owned.size >= s.config.topicPartitions) return;
  try {
    await s.settings.bus.publish(s.settings.topics.callgraph, [{ key: s.instanceId, value: encodeCallHints({ origin: s.instanceId, hints }) }]);
    s.tel.count('zeroops.detector.call_hints', { direction: 'sent' }, hints.length);
  } catch (err) {
    s.tel.count('zeroops.detector.errors', { stage: 'call_hints' });
    s.log.warn({ hints: hints.length, err: describeError(err) }, 'could not share call-graph hints (edges across instances may be missed)');
  }
}

/** Adds the other instances' recent hints to the call graph; undecodable records are counted and skipped. */
export function receiveHints(s: DetectorState, records: ConsumedRecord[]): void {
  // A new instance reads the topic from its start: hints published long ago are of no use any more.
  const oldest = s.now() - s.edgeHorizonMs;
  for (const r of records) {
    if (r.timestamp < oldest) continue;
    try {
      const m = decodeCallHints(r.value);
      if (m.origin === s.instanceId) continue;
      const bad = receiveEvidence(s.peers, m, s.now());
      if (bad > 0) s.tel.count('zeroops.detector.skipped', { reason: 'bad_peer_evidence' }, bad);
      if (m.evidence?.length) s.tel.count('zeroops.detector.peer_evidence', { direction: 'received' }, m.evidence.length - bad);
      let n = 0;
      for (const h of m.hints) {
        if (!h.parentSpanId || !h.callee || !Number.isFinite(h.endUnixMs)) continue;
        s.graph.server(h.parentSpanId, h.callee, h.endUnixMs, true);
        n++;
      }
      s.tel.count('zeroops.detector.call_hints', { direction: 'received' }, n);
    } catch (err) {
      s.tel.count('zeroops.detector.skipped', { reason: 'bad_call_hints' });
      s.log.warn({ offset: r.offset, err: describeError(err) }, 'skipped an undecodable call-graph hints record');
    }
  }
}
