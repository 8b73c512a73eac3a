/**
 * Per-replica capacities of the demo slice in `make bench-scaling ARGS=--live`.
 *
 * In the demo every service is sized at 3x its share of the mean load
 * (`capacityFor`), so cart's datastore, sessions-db, serves what one cart
 * replica serves (every cart request makes one sessions-db call). Under a
 * surge on cart, scaling cart out then only moves the queue to sessions-db,
 * which nothing scales: no cart replica count could meet the objective, and
 * predictive and reactive scaling would measure the same. The bench sizes
 * the datastore for what the scaled service sends it at its most replicas
 * (like a database provisioned for the peak), so that the replica count the
 * scalers choose, not the datastore, decides the latency.
 */
import { capacityFor } from '../../../infra/demo/load-generator.ts';
import { SHOP } from '../../../infra/demo/topology.ts';

/**
 * Requests per second one replica of each shop service serves in the live
 * bench: the demo's sizing for `rps`, with `service` at `capacityRps` and its
 * datastore at `maxReplicas` times that.
 */
export function sliceCapacity(rps: number, service: string, capacityRps: number, maxReplicas: number): Record<string, number> {
  const spec = SHOP.find((s) => s.name === service);
  if (!spec) throw new Error(`unknown demo service ${service}`);
  const out: Record<string, number> = { ...capacityFor(SHOP, rps), [service]: capacityRps };
  if (spec.datastore) out[spec.datastore] = Math.max(out[spec.datastore] ?? 0, maxReplicas * capacityRps);
  return out;
}
