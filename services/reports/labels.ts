import { randomUUID } from 'node:crypto';
import type { Bus } from '../bus/bus.ts';
import { encodeFeedback, type FeedbackEvent } from '../bus/messages.ts';
import { PermanentError } from '../core/errors.ts';
import { auditLog, type Db, type FeedbackRow, feedback } from '../store/index.ts';
import { getIncidentRow, type LabelView, labelView } from './incident-view.ts';

/** Where labels go besides the store: the `feedback` topic, read by the trainer. */
export interface LabelDeps {
  db: Db;
  bus: Bus;
  /** Prefixed name of the `feedback` topic. */
  feedbackTopic: string;
}

/** What a person says of an incident. */
export interface IncidentLabelInput {
  label: 'true_positive' | 'false_positive';
  note?: string;
  actor: string;
}

/** An anomaly the detector did not report: a service and a time range. */
export interface MissedLabelInput {
  service: string;
  from: Date;
  to: Date;
  note?: string;
  actor: string;
}

/** Stores the label and its audit entry in one transaction. */
async function store(db: Db, row: FeedbackRow, details: Record<string, unknown>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.insert(feedback).values(row);
    await tx.insert(auditLog).values({
      actor: row.actor,
      action: `feedback.${row.label}`,
      subjectType: row.episodeId ? 'incident' : 'service',
      subjectId: row.episodeId ?? row.service ?? '',
      details: { feedbackId: row.id, note: row.note, ...details },
    });
  });
}

/** A stored label, and the error of its publication when the bus refused it (the label stays stored). */
export interface LabelResult {
  label: LabelView;
  publishError?: unknown;
}

async function publish(deps: LabelDeps, e: FeedbackEvent, label: LabelView): Promise<LabelResult> {
  try {
    await deps.bus.publish(deps.feedbackTopic, [{ key: e.service, value: encodeFeedback(e), headers: { 'content-type': 'application/x-protobuf' } }]);
    return { label };
  } catch (err) {
    return { label, publishError: err };
  }
}

/**
 * Labels incident `id` true or false positive: stored in `feedback` with an
 * audit entry, then published on the `feedback` topic. Throws 404
 * `ZEROOPS_NOT_FOUND` for an unknown incident. A failed publish does not
 * undo the stored label: it is returned in `publishError`.
 */
export async function labelIncident(deps: LabelDeps, id: string, input: IncidentLabelInput): Promise<LabelResult> {
  const incident = await getIncidentRow(deps.db, id);
  const now = new Date();
  const row: FeedbackRow = {
    id: randomUUID(),
    anomalyId: null,
    episodeId: id,
    label: input.label,
    actor: input.actor,
    note: input.note ?? '',
    service: incident.service,
    fromAt: null,
    toAt: null,
    createdAt: now,
  };
  await store(deps.db, row, { service: incident.service });
  return publish(
    deps,
    {
      id: row.id,
      label: row.label,
      service: incident.service,
      episodeId: id,
      fromUnixMs: incident.openedAt.getTime(),
      toUnixMs: (incident.closedAt ?? now).getTime(),
      actor: row.actor,
      note: row.note,
      createdUnixMs: now.getTime(),
    },
    labelView(row),
  );
}

/** Records a `missed` label (an anomaly of `service` between `from` and `to` that raised nothing); 400 when `to` is not after `from`. */
export async function labelMissed(deps: LabelDeps, input: MissedLabelInput): Promise<LabelResult> {
  if (input.to.getTime() <= input.from.getTime()) {
    throw new PermanentError('ZEROOPS_REQUEST_INVALID', 'body/to must be later than body/from (the missed anomaly lasted from `from` to `to`)');
  }
  const now = new Date();
  const row: FeedbackRow = {
    id: randomUUID(),
    anomalyId: null,
    episodeId: null,
    label: 'missed',
    actor: input.actor,
    note: input.note ?? '',
    service: input.service,
    fromAt: input.from,
    toAt: input.to,
    createdAt: now,
  };
  await store(deps.db, row, { service: input.service, from: input.from.toISOString(), to: input.to.toISOString() });
  return publish(
    deps,
    {
      id: row.id,
      label: 'missed',
      service: input.service,
      episodeId: '',
      fromUnixMs: input.from.getTime(),
      toUnixMs: input.to.getTime(),
      actor: row.actor,
      note: row.note,
      createdUnixMs: now.getTime(),
    },
    labelView(row),
  );
}
