import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import { type Db, deployments, services } from '../store/index.ts';

/** The resource attribute whose change is a deployment. */
export const VERSION_ATTRIBUTE = 'service.version';

/**
 * Records deployments seen in telemetry, before the services' attributes
 * are overwritten by this round's: a known service whose `service.version`
 * differs from the one stored has been deployed (a row in `deployments`,
 * first seen `at`); a service still on the version of its latest deployment
 * moves that deployment's `lastSeen` to `at`. A service seen for the first
 * time is not a deployment. Idempotent for a repeated round.
 */
export async function recordDeployments(db: Db, seen: { name: string; attributes: Record<string, string> }[], at: Date): Promise<void> {
  const versioned = seen.filter((s) => typeof s.attributes[VERSION_ATTRIBUTE] === 'string' && s.attributes[VERSION_ATTRIBUTE] !== '');
  if (versioned.length === 0) return;
  const names = versioned.map((s) => s.name);
  const stored = await db
    .select({ name: services.name, version: sql<string | null>`${services.attributes} ->> ${VERSION_ATTRIBUTE}` })
    .from(services)
    .where(inArray(services.name, names));
  const before = new Map(stored.map((r) => [r.name, r.version]));
  const changed = versioned.filter((s) => before.has(s.name) && before.get(s.name) !== s.attributes[VERSION_ATTRIBUTE]);
  if (changed.length > 0) {
    await db
      .insert(deployments)
      .values(
        changed.map((s) => {
          const v = s.attributes[VERSION_ATTRIBUTE] as string;
          return { id: `${s.name}@${v}@${at.getTime()}`, service: s.name, oldVersion: before.get(s.name) ?? null, newVersion: v, firstSeen: at, lastSeen: at };
        }),
      )
      .onConflictDoNothing();
  }
  const same = versioned.filter((s) => !changed.includes(s)).map((s) => s.name);
  if (same.length === 0) return;
  await db
    .update(deployments)
    .set({ lastSeen: at })
    .where(
      and(
        inArray(deployments.service, same),
        lt(deployments.lastSeen, at),
        eq(deployments.firstSeen, sql`(SELECT max(d2.first_seen) FROM ${deployments} d2 WHERE d2.service = ${deployments.service})`),
      ),
    );
}
