/**
 * Bounds on what the detector keeps per service: which `service.name`
 * values it accepts, which resource attributes it carries (and how long),
 * how many services one instance tracks, and when an idle service's state is
 * forgotten. A service beyond the cap is not tracked: its records are
 * counted and dropped, so memory stays within the cap however many distinct
 * names the telemetry holds.
 */
import { DistinctCounter } from './distinct-counter.ts';

/** Longest `service.name` the detector accepts, in UTF-16 code units; longer names are refused. */
export const MAX_SERVICE_NAME_LENGTH = 256;
/** Longest resource attribute value kept, in UTF-16 code units; longer values are cut to this length. */
export const MAX_ATTRIBUTE_VALUE_LENGTH = 256;
/** Most attribute keys kept per service, whatever the allow-list holds. */
export const MAX_ATTRIBUTE_KEYS = 16;

// C0 controls, DEL and C1 controls.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_ALL = /[\u0000-\u001f\u007f-\u009f]/g;

/** `name` when it is an acceptable service name (1 to {@link MAX_SERVICE_NAME_LENGTH} characters, no control characters), else undefined. */
export function cleanServiceName(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_SERVICE_NAME_LENGTH || CONTROL.test(name)) return undefined;
  return name;
}

/**
 * An attribute value as kept: strings, finite numbers and booleans as
 * strings, control characters replaced by U+FFFD, cut to
 * {@link MAX_ATTRIBUTE_VALUE_LENGTH}; undefined for other values (arrays, maps, bytes).
 */
export function cleanAttributeValue(v: unknown): string | undefined {
  let s: string;
  if (typeof v === 'string') s = v;
  else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' || typeof v === 'bigint') s = String(v);
  else return undefined;
  if (s.length > MAX_ATTRIBUTE_VALUE_LENGTH) s = s.slice(0, MAX_ATTRIBUTE_VALUE_LENGTH);
  return CONTROL.test(s) ? s.replace(CONTROL_ALL, '\ufffd') : s;
}

/** The allow-listed attributes of a resource, cleaned (see {@link cleanAttributeValue}). */
export function pickAttributes(resource: Record<string, unknown>, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = cleanAttributeValue(resource[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** Settings of a {@link ServiceTracker}. */
export interface ServiceTrackerOptions {
  /** Most services tracked at once; records of further services are refused and counted. */
  maxServices: number;
  /** A service without records for this long (wall clock, ms) may be evicted. */
  idleEvictMs: number;
  /** Resource attribute keys kept per service (at most {@link MAX_ATTRIBUTE_KEYS} are used). */
  attributeKeys: readonly string[];
  /** Clock (Unix ms). */
  now?: () => number;
}

/** Why a record's service was not admitted. */
export type Refusal = 'bad_service_name' | 'service_cap';

/** What {@link ServiceTracker.admit} decided. */
export type Admission = { service: string; refused?: undefined } | { service?: undefined; refused: Refusal };

/** Counters of a {@link ServiceTracker} since it was created. */
export interface TrackerStats {
  /** Services tracked now. */
  tracked: number;
  /** The cap. */
  maxServices: number;
  /** Records refused because the cap was reached. */
  refusedRecords: number;
  /** Distinct services among them (an estimate, within a few per cent). */
  refusedServices: number;
  /** Records refused because their `service.name` is too long or holds control characters. */
  badNameRecords: number;
  /** Services evicted after being idle. */
  evicted: number;
}

interface Tracked {
  lastSeenMs: number;
  attributes: Record<string, string>;
}

const EMPTY: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** The set of services one detector instance tracks, with their attributes and idle times. */
export class ServiceTracker {
  private readonly services = new Map<string, Tracked>();
  private readonly refused = new DistinctCounter();
  private readonly keys: readonly string[];
  private readonly now: () => number;
  private refusedRecords = 0;
  private badNameRecords = 0;
  private evicted = 0;

  constructor(private readonly opts: ServiceTrackerOptions) {
    this.keys = opts.attributeKeys.slice(0, MAX_ATTRIBUTE_KEYS);
    this.now = opts.now ?? Date.now;
  }

  /**
   * Admits a record of service `name` with resource attributes `resource`:
   * a tracked service is refreshed (idle time, attributes of the latest
   * record); a new one is tracked while under the cap; otherwise refused.
   */
  admit(name: string, resource: Record<string, unknown>): Admission {
    const service = cleanServiceName(name);
    if (service === undefined) {
      this.badNameRecords++;
      return { refused: 'bad_service_name' };
    }
    let t = this.services.get(service);
    if (!t) {
      if (this.services.size >= this.opts.maxServices) {
        this.refusedRecords++;
        this.refused.add(service);
        return { refused: 'service_cap' };
      }
      t = { lastSeenMs: 0, attributes: EMPTY };
      this.services.set(service, t);
    }
    t.lastSeenMs = this.now();
    if (this.keys.length > 0) this.refreshAttributes(t, resource);
    return { service };
  }

  private refreshAttributes(t: Tracked, resource: Record<string, unknown>): void {
    const next = pickAttributes(resource, this.keys);
    const prev = t.attributes;
    let same = Object.keys(prev).length === Object.keys(next).length;
    if (same) for (const k in next) if (prev[k] !== next[k]) same = false;
    if (!same) t.attributes = Object.keys(next).length === 0 ? EMPTY : next;
  }

  /** Tracks a service restored from a checkpoint (even beyond the cap: its state exists already). */
  restore(name: string, attributes: Record<string, string> = {}): void {
    const kept = pickAttributes(attributes, this.keys);
    this.services.set(name, { lastSeenMs: this.now(), attributes: Object.keys(kept).length === 0 ? EMPTY : kept });
  }

  /** The kept attributes of `service` (empty when unknown); the caller must not modify them. */
  attributesOf(service: string): Record<string, string> {
    return this.services.get(service)?.attributes ?? EMPTY;
  }

  /** Whether `service` is tracked. */
  has(service: string): boolean {
    return this.services.has(service);
  }

  /**
   * Removes and returns the services idle for at least the idle time, except
   * those `keep` holds on to (e.g. an open window or episode).
   */
  evictIdle(keep: (service: string) => boolean): string[] {
    const before = this.now() - this.opts.idleEvictMs;
    const out: string[] = [];
    for (const [name, t] of this.services) {
      if (t.lastSeenMs > before || keep(name)) continue;
      this.services.delete(name);
      out.push(name);
    }
    this.evicted += out.length;
    return out;
  }

  /** Stops tracking `service` (its partition moved away); not counted as an eviction. */
  forget(service: string): void {
    this.services.delete(service);
  }

  /** Counters since creation. */
  stats(): TrackerStats {
    return {
      tracked: this.services.size,
      maxServices: this.opts.maxServices,
      refusedRecords: this.refusedRecords,
      refusedServices: this.refused.estimate(),
      badNameRecords: this.badNameRecords,
      evicted: this.evicted,
    };
  }
}
