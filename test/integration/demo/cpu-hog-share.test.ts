/**
 * A runaway loop (`cpu-hog`) takes a share of a demo replica's one thread,
 * and the replica's own work (its `WorkQueue`) gets only the rest: the load
 * it took with room to spare now queues and is refused, as clients of a
 * CPU-bound server whose thread spins would feel it. Before, the work was a
 * timer the hog did not slow: at 0.7 the replica served its load as fast as
 * ever, and the fault showed only in runtime metrics (inventory's went
 * undetected for 120 s in the first `make bench-demo` run).
 */
import { describe, expect, it } from 'vitest';
import { cpuShareLeft, EffectState } from '../../../infra/demo/service/process-effects.ts';
import { WorkQueue } from '../../../infra/demo/service/slot-pool.ts';

/** Offers `rps` requests a second for `seconds` to a replica of capacity `capacityRps`; the answered ones' mean time and the refused count. */
function offer(capacityRps: number, rps: number, seconds: number, cpuShare: number): { meanMs: number; refused: number } {
  const q = new WorkQueue(capacityRps, 2_000);
  let total = 0;
  let answered = 0;
  let refused = 0;
  for (let k = 0; k < rps * seconds; k++) {
    const ms = q.admit(1_000_000 + (k * 1000) / rps, cpuShare);
    if (ms === undefined) refused++;
    else {
      total += ms;
      answered++;
    }
  }
  return { meanMs: total / answered, refused };
}

describe('a cpu-hog starves the demo replica it runs in', () => {
  it('leaves the handlers the share of the thread it does not spin', () => {
    const state = new EffectState();
    expect(cpuShareLeft(state)).toBe(1);
    state.set([{ kind: 'cpu-hog', magnitude: 0.7, startedAt: 0 }]);
    expect(cpuShareLeft(state)).toBeCloseTo(0.3, 10);
    state.set([{ kind: 'cpu-hog', magnitude: 0.99, startedAt: 0 }]);
    expect(cpuShareLeft(state)).toBe(0.05);
  });

  it('a load the replica takes at its mean rate queues and is refused once the hog spins 70 % of its thread', () => {
    // A replica sized at three times its mean load (the demo's headroom), at its mean load of 2.4 requests a second.
    const healthy = offer(7.2, 2.4, 60, 1);
    expect(healthy.refused).toBe(0);
    expect(healthy.meanMs).toBeCloseTo(1000 / 7.2, 6);
    const hogged = offer(7.2, 2.4, 60, 0.3);
    // 2.16 requests a second is all it serves now: the backlog grows to its 2 s bound, then requests are refused.
    expect(hogged.refused).toBeGreaterThan(0);
    expect(hogged.meanMs).toBeGreaterThan(1_500);
  });
});
