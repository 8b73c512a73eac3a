/**
 * The labelled windows a neural candidate is trained and judged on, read
 * from the store: the most recent detector rollups, each labelled by the
 * incidents and human labels around it. A window inside an incident that is
 * still open, labelled `true_positive`, or inside a `missed` label's range is
 * a fault window (never training data); inside an incident labelled
 * `false_positive` it is normal (a false alarm is normal behaviour); inside
 * an unlabelled closed incident it is left out (not known either way).
 */
import { and, desc, eq, gte, inArray, isNull, lte, or } from 'drizzle-orm';
import type { LabelledWindow } from '../../models/registry/index.ts';
import { type Db, feedback, incidents, rollups } from '../store/index.ts';

/** A time span of one service with what it says about the windows in it. */
interface Span {
  service: string;
  fromMs: number;
  toMs: number;
  label: 'fault' | 'excluded' | 'normal';
}

const RANK = { normal: 0, excluded: 1, fault: 2 } as const;

async function incidentSpans(db: Db, fromMs: number, toMs: number, windowMs: number): Promise<Span[]> {
  const rows = await db
    .select({ id: incidents.id, service: incidents.service, state: incidents.state, openedAt: incidents.openedAt, closedAt: incidents.closedAt })
    .from(incidents)
    .where(and(lte(incidents.openedAt, new Date(toMs)), or(isNull(incidents.closedAt), gte(incidents.closedAt, new Date(fromMs - windowMs)))));
  const labels = new Map<string, string>();
  if (rows.length > 0) {
    const fb = await db
      .select({ episodeId: feedback.episodeId, label: feedback.label })
      .from(feedback)
      .where(
        inArray(
          feedback.episodeId,
          rows.map((r) => r.id),
        ),
      )
      .orderBy(feedback.createdAt);
    // The latest label of an incident wins.
    for (const f of fb) if (f.episodeId && f.label !== 'missed') labels.set(f.episodeId, f.label);
  }
  return rows.map((r) => {
    const label = labels.get(r.id);
    const kind: Span['label'] = r.state !== 'closed' || label === 'true_positive' ? 'fault' : label === 'false_positive' ? 'normal' : 'excluded';
    return { service: r.service, fromMs: r.openedAt.getTime(), toMs: r.closedAt?.getTime() ?? Number.POSITIVE_INFINITY, label: kind };
  });
}

async function missedSpans(db: Db, fromMs: number, toMs: number): Promise<Span[]> {
  const rows = await db
    .select({ service: feedback.service, fromAt: feedback.fromAt, toAt: feedback.toAt })
    .from(feedback)
    .where(and(eq(feedback.label, 'missed'), lte(feedback.fromAt, new Date(toMs)), gte(feedback.toAt, new Date(fromMs))));
  return rows.flatMap((r) =>
    r.service && r.fromAt && r.toAt ? [{ service: r.service, fromMs: r.fromAt.getTime(), toMs: r.toAt.getTime(), label: 'fault' as const }] : [],
  );
}

/** The latest `limit` detector windows (all services), labelled; see the module comment. */
export async function readLabelledWindows(db: Db, windowMs: number, limit: number): Promise<LabelledWindow[]> {
  const rows = await db
    .select({ service: rollups.service, windowEnd: rollups.windowEnd, features: rollups.features })
    .from(rollups)
    .where(eq(rollups.stepSeconds, 0))
    .orderBy(desc(rollups.windowEnd))
    .limit(limit);
  if (rows.length === 0) return [];
  const ends = rows.map((r) => r.windowEnd.getTime());
  const fromMs = Math.min(...ends);
  const toMs = Math.max(...ends);
  const spans = [...(await incidentSpans(db, fromMs, toMs, windowMs)), ...(await missedSpans(db, fromMs, toMs))];
  const byService = new Map<string, Span[]>();
  for (const s of spans) byService.set(s.service, [...(byService.get(s.service) ?? []), s]);
  return rows.map((r) => {
    const endMs = r.windowEnd.getTime();
    let label: LabelledWindow['label'] = 'normal';
    for (const s of byService.get(r.service) ?? []) {
      // The window [endMs - windowMs, endMs] overlaps the span.
      if (endMs > s.fromMs && endMs - windowMs <= s.toMs && RANK[s.label] > RANK[label]) label = s.label;
    }
    return { service: r.service, endMs, features: r.features, label };
  });
}
