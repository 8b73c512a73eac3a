/**
 * The demo shop: which services exist, what each route calls, how much work a
 * request costs and how much one replica can take at once. Pure data, shared
 * by the supervisor (which starts them), the service processes (which serve
 * them) and the load generator (which drives them).
 */

/** One downstream call a route makes, in order. */
export interface DownstreamCall {
  /** Callee service name. */
  service: string;
  /** Callee path, e.g. `/products`. */
  path: string;
  /** HTTP method (default GET). */
  method?: 'GET' | 'POST';
}

/** A route of a demo service. */
export interface RouteSpec {
  method: 'GET' | 'POST';
  path: string;
  /** Calls made while serving the route, one after another. */
  calls: DownstreamCall[];
  /** Calls made only when this feature flag is on. */
  flagged?: { flag: string; calls: DownstreamCall[] };
  /** When set, the route answers from an in-process cache of this many keys; misses make the calls. */
  cacheKeys?: number;
}

/** A demo service: one Node process per replica behind its load balancer. */
export interface ServiceSpec {
  name: string;
  /** Mean handler work in milliseconds (a timer, not CPU, so that capacity, not the host, is the limit). */
  workMs: number;
  /** Requests one replica serves at once; the rest queue (up to `queueLimit`, then 503). */
  concurrency: number;
  /** Queued requests one replica holds before answering 503. */
  queueLimit: number;
  /** The datastore-like service this one depends on (what `dependency-down` cuts), if any. */
  datastore?: string;
  routes: RouteSpec[];
  /** Replicas at start. */
  replicas: number;
}

const get = (service: string, path: string): DownstreamCall => ({ service, path });
const post = (service: string, path: string): DownstreamCall => ({ service, path, method: 'POST' });

/**
 * The shop's call graph (five levels at its deepest:
 * frontend -> gateway -> checkout -> inventory -> products-db).
 * products-db is shared by catalog and inventory; sessions-db by cart.
 */
export const SHOP: readonly ServiceSpec[] = [
  {
    name: 'frontend',
    workMs: 4,
    concurrency: 64,
    queueLimit: 256,
    replicas: 1,
    routes: [
      { method: 'GET', path: '/', calls: [get('gateway', '/catalog')], flagged: { flag: 'recommendations', calls: [get('catalog', '/recommendations')] } },
      { method: 'GET', path: '/cart', calls: [get('gateway', '/cart')] },
      { method: 'POST', path: '/checkout', calls: [post('gateway', '/checkout')] },
    ],
  },
  {
    name: 'gateway',
    workMs: 2,
    concurrency: 64,
    queueLimit: 256,
    replicas: 1,
    routes: [
      { method: 'GET', path: '/catalog', calls: [get('catalog', '/products')] },
      { method: 'GET', path: '/cart', calls: [get('cart', '/items')] },
      { method: 'POST', path: '/checkout', calls: [post('checkout', '/orders')] },
    ],
  },
  {
    name: 'catalog',
    workMs: 8,
    concurrency: 16,
    queueLimit: 64,
    datastore: 'products-db',
    replicas: 1,
    routes: [
      { method: 'GET', path: '/products', calls: [get('products-db', '/query')], cacheKeys: 50 },
      { method: 'GET', path: '/recommendations', calls: [get('products-db', '/query')] },
    ],
  },
  {
    name: 'cart',
    workMs: 6,
    concurrency: 16,
    queueLimit: 64,
    datastore: 'sessions-db',
    replicas: 1,
    routes: [
      { method: 'GET', path: '/items', calls: [get('sessions-db', '/get')] },
      { method: 'POST', path: '/items', calls: [post('sessions-db', '/put')] },
    ],
  },
  {
    name: 'checkout',
    workMs: 12,
    concurrency: 8,
    queueLimit: 32,
    datastore: 'sessions-db',
    replicas: 1,
    routes: [
      {
        method: 'POST',
        path: '/orders',
        calls: [get('cart', '/items'), post('inventory', '/reserve'), post('payment', '/charge'), get('shipping', '/quote')],
        flagged: { flag: 'express-shipping', calls: [get('shipping', '/express')] },
      },
    ],
  },
  {
    name: 'payment',
    workMs: 25,
    concurrency: 8,
    queueLimit: 32,
    replicas: 1,
    routes: [{ method: 'POST', path: '/charge', calls: [] }],
  },
  {
    name: 'inventory',
    workMs: 8,
    concurrency: 8,
    queueLimit: 32,
    datastore: 'products-db',
    replicas: 1,
    routes: [{ method: 'POST', path: '/reserve', calls: [post('products-db', '/update')] }],
  },
  {
    name: 'shipping',
    workMs: 10,
    concurrency: 8,
    queueLimit: 32,
    replicas: 1,
    routes: [
      { method: 'GET', path: '/quote', calls: [] },
      { method: 'GET', path: '/express', calls: [] },
    ],
  },
  {
    name: 'products-db',
    workMs: 3,
    concurrency: 32,
    queueLimit: 128,
    replicas: 1,
    routes: [
      { method: 'GET', path: '/query', calls: [] },
      { method: 'POST', path: '/update', calls: [] },
    ],
  },
  {
    name: 'sessions-db',
    workMs: 2,
    concurrency: 32,
    queueLimit: 128,
    replicas: 1,
    routes: [
      { method: 'GET', path: '/get', calls: [] },
      { method: 'POST', path: '/put', calls: [] },
    ],
  },
];

/** The feature flags the shop knows, and their initial values. */
export const DEFAULT_FLAGS: Readonly<Record<string, boolean>> = { recommendations: true, 'express-shipping': false };

/** The service version every service starts with; a bad deploy moves to {@link BAD_VERSION}. */
export const BASE_VERSION = '1.4.2';
/** The version a `bad-deploy` fault rolls out (its bug makes requests fail). */
export const BAD_VERSION = '1.5.0';
/** A new version without the bug: deploying it through the control plane is a good rollout. */
export const GOOD_VERSION = '1.6.0';
/** Share of requests a version fails when deployed through the control plane's deploy route: the bad version's bug (the bad-deploy fault's default share); any other version is good. */
export const VERSION_BUG_RATES: Readonly<Record<string, number>> = { [BAD_VERSION]: 0.6 };

/** Services of `SHOP` restricted to `names` (all when empty), with calls to absent services dropped. */
export function subset(names: readonly string[]): ServiceSpec[] {
  if (names.length === 0) return SHOP.map((s) => ({ ...s }));
  const keep = new Set(names);
  const unknown = names.filter((n) => !SHOP.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown demo service(s): ${unknown.join(', ')}`);
  const prune = (calls: DownstreamCall[]) => calls.filter((c) => keep.has(c.service));
  return SHOP.filter((s) => keep.has(s.name)).map((s) => ({
    ...s,
    datastore: s.datastore && keep.has(s.datastore) ? s.datastore : undefined,
    routes: s.routes.map((r) => ({ ...r, calls: prune(r.calls), flagged: r.flagged && { ...r.flagged, calls: prune(r.flagged.calls) } })),
  }));
}
