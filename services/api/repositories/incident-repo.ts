import { and, eq, exists, gte, inArray, isNull, lte, not, or, type SQL } from 'drizzle-orm';
import { type Db, feedback, type IncidentRow, incidents } from '../../store/index.ts';
import { type JsonRow, jsonRow } from './json-row.ts';
import { type Keyset, type Page, type PageRequest, selectPage } from './page.ts';

/** Filters of {@link listIncidents}; every one optional. Times are RFC 3339 strings. */
export interface IncidentFilter extends PageRequest {
  service?: string;
  state?: string;
  severity?: string;
  /** Only incidents with at least one label of this kind (`true_positive`, `false_positive`, `missed`); `none`: with no true- or false-positive label. */
  label?: string;
  /** Only incidents still open at or after this time (closed at or after it, or not closed). */
  from?: string;
  /** Only incidents opened at or before this time. */
  to?: string;
}

/** An incident as the API returns it. */
export type IncidentJson = JsonRow<IncidentRow>;

const keyset: Keyset = { kind: 'incidents', time: incidents.openedAt, id: incidents.id, idKey: 'id' };

function filters(db: Db, f: IncidentFilter): (SQL | undefined)[] {
  const where: (SQL | undefined)[] = [];
  if (f.service) where.push(eq(incidents.service, f.service));
  if (f.state) where.push(eq(incidents.state, f.state as IncidentRow['state']));
  if (f.severity) where.push(eq(incidents.severity, f.severity as IncidentRow['severity']));
  if (f.from) where.push(or(isNull(incidents.closedAt), gte(incidents.closedAt, new Date(f.from))));
  if (f.to) where.push(lte(incidents.openedAt, new Date(f.to)));
  if (f.label === 'none') {
    const judged = db
      .select({ one: feedback.id })
      .from(feedback)
      .where(and(eq(feedback.episodeId, incidents.id), inArray(feedback.label, ['true_positive', 'false_positive'])));
    where.push(not(exists(judged)));
  } else if (f.label) {
    const labelled = db
      .select({ one: feedback.id })
      .from(feedback)
      .where(and(eq(feedback.episodeId, incidents.id), eq(feedback.label, f.label as 'missed')));
    where.push(exists(labelled));
  }
  return where;
}

/** Incidents matching `f`, most recently opened first, one page at a time. */
export async function listIncidents(db: Db, f: IncidentFilter): Promise<Page<IncidentJson>> {
  return selectPage(db, incidents, keyset, f, filters(db, f), jsonRow);
}
