import { describe, expect, it } from 'vitest';
import { decisionLockKeys, lockKeyOf } from './decision-facts.ts';
import { forEachKeyInOrder } from './keyed-concurrency.ts';

describe('forEachKeyInOrder', () => {
  it('keeps the order within a key, runs different keys at once, never more than the limit', async () => {
    const items = ['a1', 'b1', 'a2', 'c1', 'b2', 'a3', 'd1'];
    const log: string[] = [];
    let inFlight = 0;
    let peak = 0;
    const gates = new Map<string, () => void>();
    const run = forEachKeyInOrder(
      items,
      (s) => s[0]!,
      2,
      async (s) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        log.push(`start ${s}`);
        await new Promise<void>((r) => gates.set(s, r));
        inFlight--;
      },
    );
    // Release one waiting call at a time, in whatever order they started.
    for (let released = 0; released < items.length; released++) {
      await new Promise((r) => setImmediate(r));
      const [first] = [...gates.keys()];
      gates.get(first!)!();
      gates.delete(first!);
    }
    await run;
    expect(peak).toBe(2);
    for (const key of 'abcd') {
      const starts = log.filter((l) => l.startsWith(`start ${key}`));
      expect(starts).toEqual(items.filter((i) => i[0] === key).map((i) => `start ${i}`));
    }
    // a and b (the first two keys) started before either finished.
    expect(log.slice(0, 2)).toEqual(['start a1', 'start b1']);
  });

  it('stops a failing key, lets started work finish, then rejects with the first error', async () => {
    const done: string[] = [];
    const run = forEachKeyInOrder(
      ['x1', 'y1', 'x2'],
      (s) => s[0]!,
      4,
      async (s) => {
        if (s === 'x1') throw new Error('boom');
        await new Promise((r) => setImmediate(r));
        done.push(s);
      },
    );
    await expect(run).rejects.toThrow('boom');
    expect(done).toEqual(['y1']);
  });
});

describe('decision locks', () => {
  it('a service lock, a playbook lock, and the fleet lock only with a fleet budget, in ascending order', () => {
    const without = decisionLockKeys('checkout', 'pb_1', {});
    expect(without).toHaveLength(2);
    expect(new Set(without)).toEqual(new Set([lockKeyOf('service:checkout'), lockKeyOf('playbook:pb_1')]));
    const withFleet = decisionLockKeys('checkout', 'pb_1', { fleetMaxRunsPerHour: 10 });
    expect(withFleet).toContain(lockKeyOf('fleet'));
    for (const keys of [without, withFleet]) expect([...keys].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))).toEqual(keys);
    // Keys are signed 64-bit integers, what pg_advisory_xact_lock(bigint) takes.
    for (const k of withFleet) expect(BigInt(k) >= -(2n ** 63n) && BigInt(k) < 2n ** 63n).toBe(true);
  });
});
