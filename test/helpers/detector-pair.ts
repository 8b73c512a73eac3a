/**
 * Two detector instances of one group over a real bus and store, for the
 * tests of root causes across instances (test/integration/detector/
 * call-graph.test.ts and peer-evidence.test.ts): start both, wait until
 * they split the partitions, tell which owns a service, pick services that
 * land on one or the other; plus the span-building and waiting helpers
 * those tests share.
 */
import { and, eq } from 'drizzle-orm';
import { partitionForKey } from '../../services/bus/murmur2.ts';
import { encodeResource } from '../../services/otlp/index.ts';
import { incidents, type Store } from '../../services/store/index.ts';
import { type Env, startDetector } from '../integration/detector/fleet-fixture.ts';

/** Unix ms as the OTLP JSON nanosecond string. */
export const ns = (ms: number): string => String(BigInt(ms) * 1_000_000n);

/** `n` as `len` lowercase hex digits (its last `len` when longer): trace and span ids. */
export const hex = (n: number, len: number): string => n.toString(16).padStart(len, '0').slice(-len);

/** The bus record of `service`'s `spans` (one ResourceSpans, keyed by the service). */
export function tracesRecord(service: string, spans: unknown[]): { key: string; value: Uint8Array } {
  return {
    key: service,
    value: encodeResource('traces', { resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeSpans: [{ spans }] }),
  };
}

/** Waits until `check` holds, polling every 100 ms; throws naming `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether `service` has an open incident in `store`. */
export async function openIncident(store: Store, service: string): Promise<boolean> {
  const rows = await store.db
    .select({ id: incidents.id })
    .from(incidents)
    .where(and(eq(incidents.service, service), eq(incidents.state, 'open')));
  return rows.length > 0;
}

/** Two started detectors on `env` that split its `partitions` between them. */
export interface DetectorPair {
  detectors: [Awaited<ReturnType<typeof startDetector>>, Awaited<ReturnType<typeof startDetector>>];
  /** Index in `detectors` of the instance that owns `service`'s partition (-1: neither). */
  ownerOf(service: string): number;
  /** The first of `svc-0` ... `svc-39` that `pick` accepts (undefined when none does). */
  service(pick: (name: string) => boolean): string | undefined;
  /** Stops both detectors. */
  stop(): Promise<void>;
}

/** Starts two detectors on `env` and waits until each owns some of the `partitions` and together all of them. */
export async function startDetectorPair(env: Env, partitions: number): Promise<DetectorPair> {
  const detectors: DetectorPair['detectors'] = [await startDetector(env), await startDetector(env)];
  const owned = () => detectors.map((d) => d.detector.ownedPartitions().length);
  await until(() => owned().every((n) => n > 0) && owned().reduce((a, b) => a + b, 0) === partitions, 'the two detectors to share the partitions');
  const names = Array.from({ length: 40 }, (_, i) => `svc-${i}`);
  return {
    detectors,
    ownerOf: (service) => detectors.findIndex((d) => d.detector.ownedPartitions().includes(partitionForKey(service, partitions))),
    service: (pick) => names.find(pick),
    async stop() {
      for (const d of detectors) await d.detector.stop();
    },
  };
}
