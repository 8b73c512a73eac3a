import { describe, expect, it } from 'vitest';
import type { ServiceEvidence } from '../../models/root-cause/index.ts';
import { fakeDetectorState, scoredWindow } from '../../test/helpers/detector-state.ts';
import { createMemoryBus, decodeCallHints } from '../bus/index.ts';
import type { DetectorState } from './detector-state.ts';
import { awaitPeers, createPeerView, peerCallees, receiveEvidence, shareEvidence, withPeers } from './peer-evidence.ts';
import { emitAll } from './window-round.ts';

const W = 1000;

/** The parts of a detector state the module reads: an instance owning `owned` of 4 partitions, its clock, its bus. */
function stateOf(owned: number[], now: () => number = Date.now) {
  const bus = createMemoryBus();
  const s = {
    instanceId: 'me',
    windowMs: W,
    now,
    owned: new Set(owned),
    config: { topicPartitions: 4 },
    settings: { bus, topics: { callgraph: 'callgraph' } },
    tel: { count: () => undefined },
    log: { warn: () => undefined },
  } as unknown as DetectorState;
  return { s, bus };
}

/** Another instance's evidence of the window ending at `at`. */
const peerStep = (at: number) => ({
  origin: 'peer',
  hints: [],
  stepEndUnixMs: at,
  evidence: [{ service: 'x', windowEndUnixMs: at, callees: [], evidenceJson: '{"score":0}' }],
});

const ev = (score: number, more: Partial<ServiceEvidence> = {}): ServiceEvidence => ({ score, ...more });

describe('root-cause evidence shared between detector instances', () => {
  it('publishes the evidence and callees of the services scored in a round, and another instance reads them back', async () => {
    const { s, bus } = stateOf([0, 1]);
    await bus.ensureTopics([{ name: 'callgraph', partitions: 1 }]);
    const got: Uint8Array[] = [];
    const sub = await bus.subscribe({ groupId: 'g', topics: ['callgraph'], eachBatch: async (rs) => void got.push(...rs.map((r) => r.value)) });
    const evidence = new Map([
      ['db', ev(0.9, { serverErrorRatio: 0.6, latencyRiseMs: { latency_p95_ms: 120 } })],
      ['idle', ev(0.1)],
    ]);
    await shareEvidence(s, 10 * W, new Map([['db', ['disk']]]), evidence);
    const deadline = Date.now() + 5000;
    while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await sub.stop();
    const m = decodeCallHints(got[0] as Uint8Array);
    expect(m).toMatchObject({ origin: 'me', stepEndUnixMs: 10 * W });
    // Only the services scored in the round (`idle` was scored earlier).
    expect(m.evidence?.map((e) => e.service)).toEqual(['db']);
    const view = createPeerView();
    expect(receiveEvidence(view, m, 0)).toBe(0);
    expect(withPeers(view, new Map(), 10 * W, 3 * W).get('db')).toEqual(evidence.get('db'));
    expect(peerCallees(view, 'db')).toEqual(['disk']);
  });

  it('shares nothing when the instance owns every partition (no other instance)', async () => {
    const { s, bus } = stateOf([0, 1, 2, 3]);
    let published = 0;
    s.settings.bus.publish = async () => void published++;
    await shareEvidence(s, 10 * W, new Map([['db', []]]), new Map([['db', ev(0.9)]]));
    expect(published).toBe(0);
    await bus.close();
  });

  it("keeps each service's latest window, prefers this instance's own evidence, and drops what is older than the recent windows", () => {
    const view = createPeerView();
    const msg = (step: number, service: string, score: number) => ({
      origin: 'peer',
      hints: [],
      stepEndUnixMs: step,
      evidence: [{ service, windowEndUnixMs: step, callees: [], evidenceJson: JSON.stringify(ev(score)) }],
    });
    receiveEvidence(view, msg(12 * W, 'api', 0.8), 0);
    receiveEvidence(view, msg(11 * W, 'api', 0.1), 0);
    receiveEvidence(view, msg(5 * W, 'old', 0.9), 0);
    const fleet = withPeers(view, new Map([['mine', ev(0.5)]]), 12 * W, 3 * W);
    expect(fleet.get('api')?.score).toBe(0.8);
    expect(fleet.has('old')).toBe(false);
    expect(fleet.get('mine')?.score).toBe(0.5);
    expect(withPeers(view, new Map([['api', ev(0.2)]]), 12 * W, 3 * W).get('api')?.score).toBe(0.2);
  });

  it('skips malformed evidence and counts it', () => {
    const view = createPeerView();
    const bad = { origin: 'peer', hints: [], stepEndUnixMs: W, evidence: [{ service: 'x', windowEndUnixMs: W, callees: [], evidenceJson: '{"no":1}' }] };
    expect(receiveEvidence(view, bad, 0)).toBe(1);
    expect(view.services.size).toBe(0);
  });

  it('waits for a live peer to share the same window end, at most a quarter window; a silent peer is not waited for', async () => {
    const { s } = stateOf([0, 1]);
    const view = createPeerView();
    receiveEvidence(view, peerStep(9 * W), Date.now());
    // The peer is one window behind: the wait ends when its evidence of window 10 arrives.
    setTimeout(() => receiveEvidence(view, peerStep(10 * W), Date.now()), 60);
    let t = Date.now();
    await awaitPeers(s, view, 10 * W);
    expect(Date.now() - t).toBeGreaterThanOrEqual(50);
    expect(Date.now() - t).toBeLessThan(W / 4);
    // It never arrives: the wait ends after a quarter window.
    t = Date.now();
    await awaitPeers(s, view, 11 * W);
    expect(Date.now() - t).toBeGreaterThanOrEqual(W / 4 - 5);
    // A peer silent for more than three windows (stopped) is not waited for.
    view.peers.set('peer', { stepEndMs: 10 * W, seenMs: Date.now() - 4 * W });
    t = Date.now();
    await awaitPeers(s, view, 11 * W);
    expect(Date.now() - t).toBeLessThan(50);
  });
});

/** A window round's state: owns partition 0 of 2 (it shares and may wait), real clock, a live peer one window behind. */
async function roundState() {
  const { s, events } = fakeDetectorState(W, 0);
  const bus = createMemoryBus();
  await bus.ensureTopics([{ name: 'callgraph', partitions: 1 }]);
  const settings = { bus, topics: { callgraph: 'callgraph' } };
  Object.assign(s, {
    now: Date.now,
    instanceId: 'me',
    owned: new Set([0]),
    config: { topicPartitions: 2 },
    settings,
    log: { error: () => undefined, warn: () => undefined },
  });
  const end = Math.floor(Date.now() / W) * W;
  receiveEvidence(s.peers, peerStep(end - W), Date.now());
  return { s, bus, end, events };
}

describe('what a window round waits for', () => {
  it('a quiet round (no window has an event) does not wait for the peer that is behind', async () => {
    const { s, bus, end } = await roundState();
    const t = Date.now();
    await emitAll(s, [scoredWindow({ service: 'api', endMs: end, windowMs: W, features: { request_rate: 5 } })]);
    // The peer never sends window `end`: a wait would last a quarter window (250 ms).
    expect(Date.now() - t).toBeLessThan(W / 10);
    await bus.close();
  });

  it("a round with an event waits for the peer's evidence of its window end, and ranks as soon as it arrives", async () => {
    const { s, bus, end, events } = await roundState();
    const open = { emit: true, episodeId: 'e', transition: 'open' as const, score: 0.9 };
    let done = false;
    const round = emitAll(s, [scoredWindow({ service: 'api', endMs: end, windowMs: W, features: { request_rate: 5 } }, open)]).then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(done).toBe(false);
    receiveEvidence(s.peers, peerStep(end), Date.now());
    // Woken by the arrival itself, not by a later poll of the clock.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(true);
    await round;
    expect(events.map((e) => e.service)).toEqual(['api']);
    expect(s.peers.waiters.size).toBe(0);
    await bus.close();
  });
});
