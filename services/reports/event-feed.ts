import { desc, eq, gt } from 'drizzle-orm';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { type Db, executions, incidents, playbooks } from '../store/index.ts';
import { type IncidentView, incidentView } from './incident-view.ts';

/** An execution's change, as the events stream sends it. */
export interface ExecutionChange {
  id: string;
  status: string;
  outcome: string | null;
  playbookName: string;
  service: string;
}

/** One event of the stream: an incident that opened, changed or closed, or an execution that changed. */
export type FeedEvent = { type: 'incident'; data: IncidentView } | { type: 'execution'; data: ExecutionChange };

/** Settings of {@link createEventFeed}. */
export interface EventFeedSettings {
  db: Db;
  logger: Logger;
  /** How often the store is read while someone listens, in ms (default 1000). */
  pollMs?: number;
  /**
   * How far back each read looks behind the newest change already seen, in ms
   * (default 5000): rows are stamped before their transaction commits, and
   * by processes whose clocks differ a little; a change is still sent once.
   */
  overlapMs?: number;
}

/** Changes read per table and poll; more wait for the next poll. */
const MAX_ROWS_PER_POLL = 500;

/**
 * A feed of incident and execution changes read from the store, so it sees
 * what every process writes. One poller per API process, reading only while
 * someone listens; each change is delivered once to every listener.
 */
export interface EventFeed {
  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: (e: FeedEvent) => void): () => void;
  /** Stops polling (idempotent). */
  close(): void;
}

/** Creates the feed; nothing is read until the first listener subscribes. */
export function createEventFeed(s: EventFeedSettings): EventFeed {
  const pollMs = s.pollMs ?? 1000;
  const overlapMs = s.overlapMs ?? 5000;
  const listeners = new Set<(e: FeedEvent) => void>();
  const sent = new Map<string, number>();
  let since = new Date();
  let floor = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let started = false;

  const emit = (e: FeedEvent) => {
    for (const l of listeners) l(e);
  };
  /** True once per (kind, id, updatedAt): the first time this version of the row is seen. */
  const fresh = (key: string, at: Date) => {
    if (sent.get(key) === at.getTime()) return false;
    sent.set(key, at.getTime());
    if (at > since) since = at;
    return true;
  };

  async function poll(): Promise<void> {
    // Never before the stream started: what changed earlier the client loads through the REST routes.
    const from = new Date(Math.max(floor, since.getTime() - overlapMs));
    const inc = await s.db.select().from(incidents).where(gt(incidents.updatedAt, from)).orderBy(desc(incidents.updatedAt)).limit(MAX_ROWS_PER_POLL);
    const exe = await s.db
      .select({ e: executions, name: playbooks.name })
      .from(executions)
      .leftJoin(playbooks, eq(playbooks.id, executions.playbookId))
      .where(gt(executions.updatedAt, from))
      .orderBy(desc(executions.updatedAt))
      .limit(MAX_ROWS_PER_POLL);
    for (const r of inc.reverse()) if (fresh(`i:${r.id}`, r.updatedAt)) emit({ type: 'incident', data: incidentView(r) });
    for (const { e, name } of exe.reverse()) {
      if (fresh(`e:${e.id}`, e.updatedAt))
        emit({ type: 'execution', data: { id: e.id, status: e.status, outcome: e.outcome, playbookName: name ?? e.playbookId, service: e.service } });
    }
    // Forget what is older than any future read can return.
    for (const [k, t] of sent) if (t < from.getTime() - overlapMs) sent.delete(k);
  }

  const tick = async () => {
    // Nobody listens: nothing is read, and a later listener gets what changes from then on.
    if (listeners.size === 0) {
      since = new Date();
      floor = since.getTime();
    } else await poll();
  };
  const schedule = () => {
    if (closed) return;
    timer = setTimeout(() => {
      tick()
        .catch((err: unknown) => s.logger.warn({ err: describeError(err) }, 'events: reading changes failed; retrying'))
        .finally(schedule);
    }, pollMs);
    timer.unref();
  };

  return {
    subscribe(listener) {
      // The loop starts with the first listener and runs until close (idle ticks read nothing).
      if (!started && !closed) {
        started = true;
        since = new Date();
        floor = since.getTime();
        schedule();
      }
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close() {
      closed = true;
      clearTimeout(timer);
      listeners.clear();
    },
  };
}
