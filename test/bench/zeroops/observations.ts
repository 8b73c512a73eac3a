/**
 * What bench-zeroops reads back after a run: zeroops's anomalies, incidents
 * and executions through its REST API, and the ground truth (faults,
 * escalations received, operations carried out) from the demo control plane.
 */
import type { FaultRecord } from '../../../infra/demo/fault-book.ts';
import type { OperationRequest } from '../../../infra/demo/operation-requests.ts';

/** An anomaly event as the API returns it (the fields the bench reads). */
export interface ApiAnomaly {
  id: string;
  service: string;
  episodeId: string;
  severity: string;
  kind: string;
  score: number;
  rootCauses: Array<{ service: string; score: number; reason: string }>;
  episodeState: string;
  attributes: Record<string, string>;
  detectedAt: string;
}

/** An incident (episode) as the API returns it. */
export interface ApiIncident {
  id: string;
  service: string;
  kind: string;
  severity: string;
  state: string;
  openedAt: string;
  closedAt: string | null;
  resolvedBy: 'auto' | 'human' | 'self' | null;
  neededHuman: boolean;
}

/** An execution as the API returns it. */
export interface ApiExecution {
  id: string;
  episodeId: string;
  anomalyId: string;
  service: string;
  playbookId: string;
  status: string;
  outcome: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** A webhook notification the control plane received (an escalation). */
export interface Notification {
  receivedAt: string;
  body: unknown;
}

/** Everything read back, at one moment. */
export interface Observations {
  anomalies: ApiAnomaly[];
  incidents: ApiIncident[];
  executions: ApiExecution[];
  faults: FaultRecord[];
  notifications: Notification[];
  /** Operation requests the control plane answered, with their idempotency keys (effects at the target). */
  operations: OperationRequest[];
}

/** GET as JSON; on a loaded machine a read may stall, so a timed-out or refused read is tried again (3 tries, 60 s each). */
async function getJson<T>(url: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
      if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
      return (await res.json()) as T;
    } catch (err) {
      const transient = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'TypeError');
      if (!transient || attempt >= 3) throw err;
    }
  }
}

/** Reads `path` page by page (cursor pagination when the API offers it), newest first, up to `max` items. */
async function list<T>(api: string, path: string, pageSize: number, max = 20_000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await getJson<{ items: T[]; nextCursor?: string | null }>(
      `${api}${path}${sep}limit=${pageSize}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    out.push(...page.items);
    if (!page.nextCursor || out.length >= max || page.items.length === 0) return out;
    cursor = page.nextCursor;
  }
}

/** Reads zeroops's and the control plane's records. */
export async function observe(api: string, controlUrl: string): Promise<Observations> {
  const [anomalies, incidents, executions, faults, notes, playbooks, ops] = await Promise.all([
    list<ApiAnomaly>(api, '/api/v1/anomalies', 1000),
    list<ApiIncident>(api, '/api/v1/incidents', 1000),
    list<ApiExecution>(api, '/api/v1/executions', 500),
    getJson<{ faults: FaultRecord[] }>(`${controlUrl}/faults`),
    getJson<{ notifications: Notification[] }>(`${controlUrl}/notifications`),
    getJson<{ items: Array<{ id: string; name: string }> }>(`${api}/api/v1/playbooks`),
    getJson<{ operations: OperationRequest[] }>(`${controlUrl}/operations`),
  ]);
  // Playbooks by name in the tables (executions carry the id).
  const names = new Map(playbooks.items.map((p) => [p.id, p.name]));
  for (const e of executions) e.playbookId = names.get(e.playbookId) ?? e.playbookId;
  return { anomalies, incidents, executions, faults: faults.faults, notifications: notes.notifications, operations: ops.operations };
}

/** Open incidents right now. */
export async function openIncidents(api: string): Promise<ApiIncident[]> {
  return list<ApiIncident>(api, '/api/v1/incidents?state=open', 1000);
}

/** Execution states after which nothing more happens (services/store's EXECUTION_STATUSES). */
const DONE_STATUSES = new Set(['succeeded', 'failed', 'cancelled', 'skipped', 'timed_out']);

/**
 * Whether an execution may still act: not finished and not in a final state.
 * An execution a guardrail skipped is recorded `skipped` with no `finishedAt`:
 * counted as running, it held the bench's wait for its fault until the
 * settle time ran out (run 5 of the short run, 6 December 2026: 110 s after
 * everything on sessions-db was over).
 */
export function unfinished(e: Pick<ApiExecution, 'finishedAt' | 'status'>): boolean {
  return e.finishedAt === null && !DONE_STATUSES.has(e.status);
}

/** Executions not yet finished right now. */
export async function runningExecutions(api: string): Promise<ApiExecution[]> {
  const all = await list<ApiExecution>(api, '/api/v1/executions', 500, 500);
  return all.filter(unfinished);
}
