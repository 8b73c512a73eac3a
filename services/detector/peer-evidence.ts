/**
 * Root-cause evidence shared between detector instances. Each instance
 * scores the services of its own partitions, but the ranking looks at
 * several services at once: the walk downstream over the call graph, a
 * caller's waits on its callees, the demand entering upstream, a slowdown
 * shared by the fleet. With two instances, a caller on one and its callee on
 * the other, each saw only half of the fleet: the other half's open
 * incidents (from the store) and nothing of their latency, error ratio,
 * demand or callees, so a walk stopped at the first service of the other
 * instance (a fault two hops down, behind a service of the other instance,
 * ranked that service first).
 *
 * So each instance publishes, per window round, the evidence of the
 * services it scored and their callees on the call-graph topic (which every
 * instance reads), and ranks with the latest evidence of the other
 * instances' services beside its own, after waiting briefly for the other
 * instances' evidence of the same window end (their windows close at about
 * the same time; a fault's first window ranked with the window before it of
 * a service on the other instance named the wrong service).
 */
import type { ServiceEvidence } from '../../models/root-cause/index.ts';
import { type CallHintsMessage, encodeCallHints, type PeerEvidence } from '../bus/messages.ts';
import { describeError } from '../core/errors.ts';
import type { DetectorState } from './detector-state.ts';

/** What an instance knows of the services the other instances score. */
export interface PeerView {
  /** Per service: its latest evidence, the end of its window, its callees. */
  readonly services: Map<string, { ev: ServiceEvidence; endMs: number; callees: readonly string[] }>;
  /** Per other instance: the latest window end it shared evidence of, and when that arrived (wall clock, Unix ms). */
  readonly peers: Map<string, { stepEndMs: number; seenMs: number }>;
  /** Rounds waiting in {@link awaitPeers}, woken by {@link receiveEvidence} as soon as evidence arrives. */
  readonly waiters: Set<() => void>;
}

/** An empty view. */
export function createPeerView(): PeerView {
  return { services: new Map(), peers: new Map(), waiters: new Set() };
}

/** Most services' evidence per message (a message stays far below Kafka's 1 MiB). */
const SERVICES_PER_MESSAGE = 200;

/** Windows after which an instance that shared nothing is no longer waited for (it stopped, or lost its partitions). */
const PEER_SILENT_WINDOWS = 3;

/** How long a round waits for the other instances' evidence of its window end, ms: a quarter window, at most 1 s. */
export function peerWaitMs(windowMs: number): number {
  return Math.max(50, Math.min(1000, windowMs / 4));
}

/**
 * Publishes the evidence of the services scored in the window round ending
 * at `stepEndMs` (`scored`: service to its callees), taken from `evidence`.
 * Nothing when this instance owns every partition (no other instance).
 */
export async function shareEvidence(
  s: DetectorState,
  stepEndMs: number,
  scored: ReadonlyMap<string, readonly string[]>,
  evidence: ReadonlyMap<string, ServiceEvidence>,
): Promise<void> {
  if (s.owned.size >= s.config.topicPartitions) return;
  const all: PeerEvidence[] = [];
  for (const [service, callees] of scored) {
    const ev = evidence.get(service);
    if (ev) all.push({ service, windowEndUnixMs: stepEndMs, callees: [...callees], evidenceJson: JSON.stringify(ev) });
  }
  const records = [];
  for (let i = 0; i < all.length; i += SERVICES_PER_MESSAGE) {
    const m: CallHintsMessage = { origin: s.instanceId, hints: [], evidence: all.slice(i, i + SERVICES_PER_MESSAGE), stepEndUnixMs: stepEndMs };
    records.push({ key: s.instanceId, value: encodeCallHints(m) });
  }
  if (records.length === 0) return;
  try {
    await s.settings.bus.publish(s.settings.topics.callgraph, records);
    s.tel.count('zeroops.detector.peer_evidence', { direction: 'sent' }, all.length);
  } catch (err) {
    s.tel.count('zeroops.detector.errors', { stage: 'peer_evidence' });
    s.log.warn({ services: all.length, err: describeError(err) }, 'could not share root-cause evidence (the other instances rank without it)');
  }
}

/** Parses one shared evidence; undefined when it is not an evidence object. */
function parseEvidence(json: string): ServiceEvidence | undefined {
  try {
    const ev = JSON.parse(json) as unknown;
    if (typeof ev !== 'object' || ev === null || typeof (ev as { score?: unknown }).score !== 'number') return undefined;
    return ev as ServiceEvidence;
  } catch {
    // Counted by the caller as a skipped evidence.
    return undefined;
  }
}

/** Adds another instance's evidence (from a decoded call-graph record) to `view`; returns how many were skipped as malformed. */
export function receiveEvidence(view: PeerView, m: CallHintsMessage, nowMs: number): number {
  const step = m.stepEndUnixMs ?? 0;
  if (!m.evidence?.length || !(step > 0)) return 0;
  let skipped = 0;
  for (const p of m.evidence) {
    const ev = parseEvidence(p.evidenceJson);
    if (!ev || !p.service) {
      skipped++;
      continue;
    }
    const prev = view.services.get(p.service);
    if (prev && prev.endMs > p.windowEndUnixMs) continue;
    view.services.set(p.service, { ev, endMs: p.windowEndUnixMs, callees: p.callees });
  }
  const peer = view.peers.get(m.origin);
  view.peers.set(m.origin, { stepEndMs: Math.max(step, peer?.stepEndMs ?? 0), seenMs: nowMs });
  for (const wake of view.waiters) wake();
  return skipped;
}

/**
 * Waits until every other instance that shared evidence lately has shared
 * that of the window ending at `stepEndMs` (or later), at most
 * {@link peerWaitMs}. Returns at once when there is no other instance, and
 * as soon as the evidence it waits for arrives ({@link receiveEvidence}
 * wakes it; it polled every 20 ms before, ranking 10 ms late on average).
 * The window round calls it only for a step with an event to rank
 * (window-round.ts): a quiet round does not wait.
 */
export async function awaitPeers(s: DetectorState, view: PeerView, stepEndMs: number): Promise<void> {
  const deadline = s.now() + peerWaitMs(s.windowMs);
  const behind = () => {
    const live = s.now() - PEER_SILENT_WINDOWS * s.windowMs;
    for (const p of view.peers.values()) if (p.seenMs >= live && p.stepEndMs < stepEndMs) return true;
    return false;
  };
  while (behind() && s.now() < deadline) await arrivalOrTimeout(view, deadline - s.now());
}

/** Resolves when evidence next arrives in `view` or after `ms`, whichever comes first. */
function arrivalOrTimeout(view: PeerView, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      view.waiters.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    view.waiters.add(done);
  });
}

/**
 * `local` (this instance's evidence, which wins) with the other instances'
 * evidence of windows ending no more than `recentMs` before `latestEndMs`;
 * forgets what is far older.
 */
export function withPeers(view: PeerView, local: ReadonlyMap<string, ServiceEvidence>, latestEndMs: number, recentMs: number): Map<string, ServiceEvidence> {
  const out = new Map(local);
  for (const [service, x] of view.services) {
    if (x.endMs < latestEndMs - 30 * recentMs) view.services.delete(service);
    else if (x.endMs >= latestEndMs - recentMs && !out.has(service)) out.set(service, x.ev);
  }
  return out;
}

/** The callees of a service another instance scores, as that instance shared them (empty when unknown). */
export function peerCallees(view: PeerView, service: string): readonly string[] {
  return view.services.get(service)?.callees ?? [];
}
