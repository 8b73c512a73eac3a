/**
 * Before a fault is injected, its service is put back to the replicas the
 * shop was designed with (infra/demo/topology.ts), through the control
 * plane's own scale operation. A fault's ground truth assumes that state: a
 * traffic surge of 4 overloads one replica and scaling to 3 fixes it. A
 * playbook run on an earlier blip of the same service may have scaled it
 * out already; the surge then met 3 replicas, overloaded nothing, and was
 * scored "not detected" (short bench run of 6 December 2026, 04:01: sessions-db
 * scaled by demo-latency 90 s before its surge).
 */
import { SHOP } from '../../../infra/demo/topology.ts';

/** Scales `service` back to its designed replica count when an earlier operation changed it; returns the count it had (undefined: unchanged). */
export async function restoreDesignedReplicas(controlUrl: string, service: string): Promise<number | undefined> {
  const designed = SHOP.find((s) => s.name === service)?.replicas;
  if (designed === undefined) return undefined;
  const res = await fetch(`${controlUrl}/services/${encodeURIComponent(service)}`);
  if (!res.ok) throw new Error(`reading ${service}'s status failed (${res.status}): ${(await res.text()).slice(0, 300)}`);
  const { desiredReplicas } = (await res.json()) as { desiredReplicas: number };
  if (desiredReplicas === designed) return undefined;
  const scaled = await fetch(`${controlUrl}/services/${encodeURIComponent(service)}/scale?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ replicas: designed }),
  });
  if (!scaled.ok) throw new Error(`scaling ${service} back to ${designed} failed (${scaled.status}): ${(await scaled.text()).slice(0, 300)}`);
  return desiredReplicas;
}
