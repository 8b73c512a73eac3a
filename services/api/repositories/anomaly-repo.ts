import { eq, gte, lte, type SQL } from 'drizzle-orm';
import { PermanentError } from '../../core/errors.ts';
import { type AnomalyRow, anomalies, type Db } from '../../store/index.ts';
import { type JsonRow, jsonRow } from './json-row.ts';
import { type Keyset, type Page, type PageRequest, selectPage } from './page.ts';

/** Filters of {@link listAnomalies}; every one optional. Times are RFC 3339 strings. */
export interface AnomalyFilter extends PageRequest {
  service?: string;
  episode?: string;
  state?: string;
  /** Only anomalies whose window ended at or after this time. */
  since?: string;
  /** Only anomalies whose window ended at or before this time. */
  until?: string;
}

/** An anomaly as the API returns it (no storage bookkeeping). */
export type AnomalyJson = Omit<JsonRow<AnomalyRow>, 'createdAt'>;

const keyset: Keyset = { kind: 'anomalies', time: anomalies.windowEnd, id: anomalies.id, idKey: 'id' };

function toJson(r: AnomalyRow): AnomalyJson {
  const { createdAt: _stored, ...rest } = r;
  return jsonRow(rest);
}

/** Anomalies matching `f`, newest window first, one page at a time. */
export async function listAnomalies(db: Db, f: AnomalyFilter): Promise<Page<AnomalyJson>> {
  const where: (SQL | undefined)[] = [];
  if (f.service) where.push(eq(anomalies.service, f.service));
  if (f.episode) where.push(eq(anomalies.episodeId, f.episode));
  if (f.state) where.push(eq(anomalies.episodeState, f.state as AnomalyRow['episodeState']));
  if (f.since) where.push(gte(anomalies.windowEnd, new Date(f.since)));
  if (f.until) where.push(lte(anomalies.windowEnd, new Date(f.until)));
  return selectPage(db, anomalies, keyset, f, where, toJson);
}

/** One anomaly; 404 `ZEROOPS_NOT_FOUND` when there is none with that id. */
export async function getAnomaly(db: Db, id: string): Promise<AnomalyJson> {
  const [r] = await db.select().from(anomalies).where(eq(anomalies.id, id));
  if (!r) throw new PermanentError('ZEROOPS_NOT_FOUND', `no anomaly with id "${id}"`, { statusCode: 404 });
  return toJson(r);
}
