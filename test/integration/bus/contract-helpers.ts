/**
 * Shared pieces of the bus contract tests: the factories under test,
 * record builders and a polling wait that fails with a description.
 */
import type { Bus, BusRecord, ConsumedRecord, SubscribeOptions } from '../../../services/bus/bus.ts';
import { partitionForKey } from '../../../services/bus/murmur2.ts';

/** A way to build a connected bus for one test. */
export interface BusFactory {
  name: string;
  /** Builds and connects a bus whose implicitly created topics have {@link PARTITIONS} partitions. */
  make(): Promise<Bus>;
}

/** Partitions of every topic the contract tests use. */
export const PARTITIONS = 4;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A record whose value is the UTF-8 bytes of `value`. */
export function rec(key: string, value: string, headers?: Record<string, string>): BusRecord {
  return headers ? { key, value: enc.encode(value), headers } : { key, value: enc.encode(value) };
}

/** The UTF-8 text of a record value. */
export function text(r: ConsumedRecord): string {
  return dec.decode(r.value);
}

/** `n` distinct keys such that every one of `partitions` partitions gets at least one. */
export function keysCoveringPartitions(n: number, partitions = PARTITIONS): string[] {
  const keys: string[] = [];
  const covered = new Set<number>();
  for (let i = 0; keys.length < n || covered.size < partitions; i++) {
    const k = `svc-${i}`;
    const p = partitionForKey(k, partitions);
    if (keys.length < n || !covered.has(p)) {
      keys.push(k);
      covered.add(p);
    }
  }
  return keys;
}

/** Polls `check` until it returns true; throws naming `what` after `timeoutMs` (default 40 s). */
export async function eventually(check: () => boolean, what: string, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Identity of a record across deliveries. */
export function idOf(r: ConsumedRecord): string {
  return `${r.partition}/${r.offset}`;
}

/** Subscribe options with the short session timeout the contract tests use. */
export function quick(opts: Pick<SubscribeOptions, 'groupId' | 'topics' | 'eachBatch'> & Partial<SubscribeOptions>): SubscribeOptions {
  return { sessionTimeoutMs: 6_000, ...opts };
}
