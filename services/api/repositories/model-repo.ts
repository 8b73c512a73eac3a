import { eq, type SQL } from 'drizzle-orm';
import { type Db, type ModelKind, type ModelState, type ModelVersionRow, modelVersions } from '../../store/index.ts';
import { type Keyset, type Page, type PageRequest, selectPage } from './page.ts';

/** Filters of {@link listModelPage}. */
export interface ModelFilter extends PageRequest {
  kind?: string;
  state?: string;
  service?: string;
}

/** A model version as the API lists it: everything but its weights. */
export interface ModelVersionJson {
  id: string;
  kind: string;
  state: string;
  parentId: string | null;
  service: string | null;
  version: number | null;
  reason: string;
  decision: string;
  quality: Record<string, unknown>;
  live: { windows: number; alarms: number; baselineAlarms: number; meanError: number };
  createdAt: string;
  promotedAt: string | null;
  retiredAt: string | null;
}

const keyset: Keyset = { kind: 'models', time: modelVersions.createdAt, id: modelVersions.id, idKey: 'id' };

/** The API's view of a version row. */
export function modelVersionJson(r: ModelVersionRow): ModelVersionJson {
  return {
    id: r.id,
    kind: r.kind,
    state: r.state,
    parentId: r.parentId,
    service: r.service === '' ? null : r.service,
    version: r.version,
    reason: r.reason,
    decision: r.decision,
    quality: r.quality,
    live: {
      windows: r.shadowWindows,
      alarms: r.shadowAlarms,
      baselineAlarms: r.baselineAlarms,
      meanError: r.shadowWindows === 0 ? 0 : r.shadowErrorSum / r.shadowWindows,
    },
    createdAt: r.createdAt.toISOString(),
    promotedAt: r.promotedAt?.toISOString() ?? null,
    retiredAt: r.retiredAt?.toISOString() ?? null,
  };
}

/** Model versions, newest first, one page at a time, without their weights. */
export async function listModelPage(db: Db, f: ModelFilter): Promise<Page<ModelVersionJson>> {
  const filters: (SQL | undefined)[] = [
    f.kind ? eq(modelVersions.kind, f.kind as ModelKind) : undefined,
    f.state ? eq(modelVersions.state, f.state as ModelState) : undefined,
    f.service ? eq(modelVersions.service, f.service) : undefined,
  ];
  return selectPage(db, modelVersions, keyset, f, filters, modelVersionJson);
}
