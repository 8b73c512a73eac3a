import { asc, eq, inArray } from 'drizzle-orm';
import { PermanentError } from '../core/errors.ts';
import { type Db, type FeedbackRow, feedback, type IncidentRow, incidents } from '../store/index.ts';

/** A human label as the API returns it. */
export interface LabelView {
  id: string;
  label: 'true_positive' | 'false_positive' | 'missed';
  actor: string;
  note: string;
  createdAt: string;
}

/** An incident as the API returns it (times as ISO-8601 strings). */
export interface IncidentView {
  id: string;
  service: string;
  kind: string;
  severity: string;
  state: 'open' | 'closed';
  openedAt: string;
  closedAt: string | null;
  maxScore: number;
  lastScore: number;
  flapping: boolean;
  neededHuman: boolean;
  resolvedBy: 'auto' | 'human' | 'self' | null;
  updatedAt: string;
}

/** The API view of an incident row. */
export function incidentView(r: IncidentRow): IncidentView {
  return {
    id: r.id,
    service: r.service,
    kind: r.kind,
    severity: r.severity,
    state: r.state,
    openedAt: r.openedAt.toISOString(),
    closedAt: r.closedAt ? r.closedAt.toISOString() : null,
    maxScore: r.maxScore,
    lastScore: r.lastScore,
    flapping: r.flapping,
    neededHuman: r.neededHuman,
    resolvedBy: r.resolvedBy ?? null,
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** The API view of a feedback row. */
export function labelView(r: FeedbackRow): LabelView {
  return { id: r.id, label: r.label, actor: r.actor, note: r.note, createdAt: r.createdAt.toISOString() };
}

/** The incident `id`; throws 404 `ZEROOPS_NOT_FOUND` when there is none. */
export async function getIncidentRow(db: Db, id: string): Promise<IncidentRow> {
  const [row] = await db.select().from(incidents).where(eq(incidents.id, id));
  if (!row) throw new PermanentError('ZEROOPS_NOT_FOUND', `no incident with id "${id}"`, { statusCode: 404 });
  return row;
}

/** Labels of the given incidents (episode ids), oldest first, grouped by incident. */
export async function labelsOf(db: Db, incidentIds: string[]): Promise<Map<string, LabelView[]>> {
  const out = new Map<string, LabelView[]>();
  if (incidentIds.length === 0) return out;
  const rows = await db.select().from(feedback).where(inArray(feedback.episodeId, incidentIds)).orderBy(asc(feedback.createdAt), asc(feedback.id));
  for (const r of rows) {
    const list = out.get(r.episodeId ?? '') ?? [];
    list.push(labelView(r));
    out.set(r.episodeId ?? '', list);
  }
  return out;
}

/** One incident with its labels; 404 when unknown. */
export async function getIncident(db: Db, id: string): Promise<IncidentView & { labels: LabelView[] }> {
  const row = await getIncidentRow(db, id);
  const labels = (await labelsOf(db, [id])).get(id) ?? [];
  return { ...incidentView(row), labels };
}
