/**
 * The parts of a detector state that the window round's emission reads, for
 * tests of what it emits: no call graph, telemetry and logs that drop
 * everything, and a sink that ranks root causes like the store's (minus
 * other replicas' incidents) and collects the events.
 */

import type { FeatureVector, ServiceScore } from '../../models/fleet/index.ts';
import { rankRootCauses } from '../../models/root-cause/index.ts';
import type { AnomalyEvent } from '../../services/bus/messages.ts';
import type { DetectorState } from '../../services/detector/detector-state.ts';
import { createPeerView } from '../../services/detector/peer-evidence.ts';

/** A detector state with `windowMs` windows whose clock stands ten windows after `t0`, and the events it emitted. */
export function fakeDetectorState(windowMs: number, t0: number): { s: DetectorState; events: AnomalyEvent[] } {
  const events: AnomalyEvent[] = [];
  const now = t0 + 10 * windowMs;
  const s = {
    windowMs,
    edgeHorizonMs: 30 * windowMs,
    now: () => now,
    modelVersion: 'v',
    baselinesVersion: '',
    tel: { count: () => undefined, record: () => undefined },
    log: { error: () => undefined },
    tracker: { attributesOf: () => ({}) },
    graph: { callees: () => [], clientErrorRatios: () => ({}), clientWaits: () => ({}) },
    // The only instance: it owns the one partition, shares no evidence and waits for no other instance.
    config: { topicPartitions: 1 },
    owned: new Set([0]),
    peers: createPeerView(),
    sink: {
      rootCauses: async (target: string, round: Map<string, never>, callees: (x: string) => readonly string[], w: number) =>
        rankRootCauses({ target, callees, evidence: round, windowMs: w }, 5, now).map(({ service, score, reason }) => ({ service, score, reason })),
      emit: async (e: AnomalyEvent) => {
        events.push(e);
      },
    },
  } as unknown as DetectorState;
  return { s, events };
}

/**
 * A scored window of `service` from `endMs - windowMs` to `endMs`, normal (score 0.05, no episode, `info`) unless
 * `over` says otherwise; `bands` gives baseline bands (the expected value, with 0.7 and 1.3 of it as lower and upper).
 */
export function scoredWindow(
  w: { service: string; endMs: number; windowMs: number; features: FeatureVector; callees?: string[]; bands?: Record<string, number> },
  over: Partial<ServiceScore> = {},
): ServiceScore {
  const names = Object.keys(w.bands ?? {});
  return {
    input: { service: w.service, startMs: w.endMs - w.windowMs, endMs: w.endMs, features: w.features, callees: [] },
    score: 0.05,
    likelihood: 0.05,
    ...(w.bands && {
      expected: {
        features: names,
        values: names.flatMap((f) => {
          const x = w.bands?.[f] as number;
          return [x, x * 0.7, x * 1.3];
        }),
        offset: 0,
        count: names.length,
      },
    }),
    evidence: [],
    transition: 'none',
    episodeId: null,
    openedAtMs: 0,
    flapping: false,
    peak: 0,
    callees: w.callees ?? [],
    deviation: 0,
    severity: 'info',
    warmingUp: false,
    emit: false,
    ...over,
  };
}
