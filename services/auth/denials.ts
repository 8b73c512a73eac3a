import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Telemetry } from '../core/telemetry.ts';
import { auditLog, type Db } from '../store/index.ts';

/** One refused request: who (never the token), where, why. */
export interface Denial {
  /** `anonymous`, or the `token:<name>` of a known token whose role was too weak. */
  actor: string;
  /** `api` or `ingest`. */
  surface: 'api' | 'ingest';
  /** The matched route (`GET /api/v1/playbooks/:id`), `(no route)`, or the OTLP signal path. */
  route: string;
  /** `missing_token`, `unknown_token`, `role_too_weak`, `not_an_api_token`. */
  reason: string;
  status: number;
  /** The client address. */
  ip?: string;
}

/** Counts and audits authorization failures. */
export interface DenialRecorder {
  /** Counts `zeroops.auth.denied` and appends an `auth.deny` audit record (in the background; never throws). */
  record(d: Denial): void;
  /** Resolves once every audit write begun so far has ended (tests, shutdown). */
  settled(): Promise<void>;
}

/** Most audit writes of denials in flight at once; beyond it a denial is only counted (`zeroops.auth.audit_dropped`), so a flood cannot pile up writes. */
export const MAX_PENDING_DENIAL_AUDITS = 64;

/** Creates a {@link DenialRecorder}; without `db` denials are only counted. */
export function createDenialRecorder(s: { db?: Db; telemetry: Telemetry; logger: Logger }): DenialRecorder {
  const pending = new Set<Promise<void>>();
  return {
    record(d) {
      s.telemetry.count('zeroops.auth.denied', { surface: d.surface, reason: d.reason, route: d.route, status: d.status });
      if (!s.db) return;
      if (pending.size >= MAX_PENDING_DENIAL_AUDITS) {
        s.telemetry.count('zeroops.auth.audit_dropped', { surface: d.surface });
        return;
      }
      const p = s.db
        .insert(auditLog)
        .values({
          actor: d.actor,
          action: 'auth.deny',
          subjectType: 'route',
          subjectId: d.route,
          details: { surface: d.surface, reason: d.reason, status: d.status, ...(d.ip ? { ip: d.ip } : {}) },
        })
        .then(() => undefined)
        .catch((err: unknown) => {
          s.telemetry.count('zeroops.auth.audit_dropped', { surface: d.surface });
          s.logger.warn({ err: describeError(err) }, 'could not audit a refused request');
        });
      pending.add(p);
      void p.finally(() => pending.delete(p));
    },
    async settled() {
      await Promise.all([...pending]);
    },
  };
}
