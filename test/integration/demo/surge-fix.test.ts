/**
 * A traffic surge is fixed by scaling out only once every service it
 * overloads can absorb it: a surge on cart also reaches sessions-db, sized
 * like one cart replica, so scaling cart alone is no fix (measured on the
 * demo's sizing: with cart at 3 replicas a third of the surge's requests
 * still failed after 2 s in sessions-db's queue; with sessions-db at 3 too,
 * none failed, p50 153 ms).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultBook } from '../../../infra/demo/fault-book.ts';
import { replicasNeeded, surgeReplicas } from '../../../infra/demo/fault-kinds.ts';
import { CAPACITY_HEADROOM, capacityFor } from '../../../infra/demo/load-generator.ts';
import { Supervisor } from '../../../infra/demo/supervisor.ts';
import { SHOP, subset } from '../../../infra/demo/topology.ts';

const CAPACITY = capacityFor(SHOP, 12);

describe('surgeReplicas: what a surge of 4 needs scaled, on the demo shop at 12 requests/s', () => {
  it('a leaf needs only itself, as many replicas as replicasNeeded says', () => {
    for (const leaf of ['shipping', 'payment', 'sessions-db', 'products-db']) {
      expect(surgeReplicas(SHOP, CAPACITY, CAPACITY_HEADROOM, leaf, 4)).toEqual({ [leaf]: replicasNeeded(4) });
    }
  });

  it('cart needs sessions-db scaled as well: every cart request makes a sessions-db call, and sessions-db is sized like one cart replica', () => {
    expect(CAPACITY['sessions-db']).toBe(CAPACITY.cart);
    expect(surgeReplicas(SHOP, CAPACITY, CAPACITY_HEADROOM, 'cart', 4)).toEqual({ cart: 3, 'sessions-db': 3 });
  });

  it('a smaller surge on cart fits in the datastore at its own size', () => {
    // 1.5 times cart's load at the peak: 1.6 x 1.5 = 2.4 of sessions-db's 3 times its (equal) share.
    expect(surgeReplicas(SHOP, CAPACITY, CAPACITY_HEADROOM, 'cart', 1.5)).toEqual({ cart: replicasNeeded(1.5) });
  });

  it('a service outside the demo (a subset of the shop) is not asked for', () => {
    const two = subset(['cart']);
    expect(surgeReplicas(two, CAPACITY, CAPACITY_HEADROOM, 'cart', 4)).toEqual({ cart: 3 });
  });
});

describe('FaultBook: a surge on cart ends by its fix once cart and sessions-db are both scaled out (real processes)', () => {
  let sup: Supervisor;
  beforeAll(async () => {
    sup = await Supervisor.start({
      services: subset(['cart', 'sessions-db']),
      basePort: 0,
      otlpEndpoint: '',
      metricIntervalMs: 10_000,
      capacityRps: CAPACITY,
    });
  }, 120_000);
  afterAll(async () => {
    await sup?.stop();
  });

  it('scaling cart alone leaves it active; scaling sessions-db then ends it (fix:scale); a surge on sessions-db needs only sessions-db', async () => {
    const events: Array<Record<string, unknown>> = [];
    const book = new FaultBook(sup, (e) => events.push(e));
    const surge = await book.inject('cart', 'traffic-surge', 4, 600);
    await sup.scale('cart', 3);
    expect(book.fixedBy('cart', 'scale', 3)).toEqual([]);
    expect(book.active('cart').map((f) => f.id)).toEqual([surge.id]);
    await sup.scale('sessions-db', 3);
    expect(book.fixedBy('sessions-db', 'scale', 3).map((f) => f.id)).toEqual([surge.id]);
    expect(book.list().find((f) => f.id === surge.id)).toMatchObject({ state: 'ended', endedBy: 'fix:scale' });
    // Scaled back, a surge on the datastore itself: its own replicas are the whole fix.
    await sup.scale('sessions-db', 1);
    const own = await book.inject('sessions-db', 'traffic-surge', 4, 600);
    expect(book.fixedBy('sessions-db', 'scale', 2)).toEqual([]);
    await sup.scale('sessions-db', 3);
    expect(book.fixedBy('sessions-db', 'scale', 3).map((f) => f.id)).toEqual([own.id]);
    book.close();
    expect(events.filter((e) => e.event === 'fault.ended').map((e) => e.endedBy)).toEqual(['fix:scale', 'fix:scale']);
  }, 180_000);
});
