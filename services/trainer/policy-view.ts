/**
 * Read models of the policy for the API: the posteriors of a service's
 * arms, and a playbook's autonomy (effective mode, record, changes).
 */
import { eq, inArray } from 'drizzle-orm';
import { type AutonomyMode, DEFAULT_POOLING, lowerBound, posteriorMean, posteriorOf } from '../../models/policy/index.ts';
import { playbookModes, playbooks } from '../store/index.ts';
import { autonomyRuleOf, currentSpec } from './autonomy-store.ts';
import { type DbOrTx, readArmsOfService, readModeHistory } from './policy-repo.ts';

/** Confidence level of the lower bounds the API shows. */
const SHOWN_LEVEL = 0.9;

/**
 * The posterior of every arm of `service`, grouped by signature: each
 * playbook's own record, the pooled prior it starts from, the posterior
 * Beta(alpha, beta), its mean and its 90% lower bound. Best mean first.
 */
export async function policyOfService(db: DbOrTx, service: string) {
  const { own, all } = await readArmsOfService(db, service);
  const ids = [...new Set(own.map((a) => a.playbookId))];
  const names = new Map(
    ids.length === 0
      ? []
      : (await db.select({ id: playbooks.id, name: playbooks.name }).from(playbooks).where(inArray(playbooks.id, ids))).map((r) => [r.id, r.name]),
  );
  const bySignature = new Map<string, ReturnType<typeof armView>[]>();
  function armView(a: (typeof own)[number]) {
    const post = posteriorOf(all, a.signature, service, a.playbookId);
    return {
      playbookId: a.playbookId,
      playbookName: names.get(a.playbookId) ?? null,
      successes: a.successes,
      failures: a.failures,
      prior: { alpha: post.alpha - a.successes, beta: post.beta - a.failures },
      alpha: post.alpha,
      beta: post.beta,
      mean: posteriorMean(post),
      lowerBound: lowerBound(post, SHOWN_LEVEL),
    };
  }
  for (const a of own) bySignature.set(a.signature, [...(bySignature.get(a.signature) ?? []), armView(a)]);
  const signatures = [...bySignature.entries()]
    .map(([signature, arms]) => ({ signature, arms: arms.sort((x, y) => y.mean - x.mean) }))
    .sort((x, y) => x.signature.localeCompare(y.signature));
  return { service, confidence: SHOWN_LEVEL, pooling: DEFAULT_POOLING, signatures };
}

/** A playbook's autonomy: declared and effective mode, pin, record, rule and the latest mode changes (newest first). */
export async function playbookAutonomy(db: DbOrTx, playbookId: string) {
  const [spec, rows, history] = await Promise.all([
    currentSpec(db, playbookId),
    db.select().from(playbookModes).where(eq(playbookModes.playbookId, playbookId)),
    readModeHistory(db, playbookId, 20),
  ]);
  const row = rows[0];
  return {
    declaredMode: spec?.mode ?? null,
    effectiveMode: (row?.mode as AutonomyMode | undefined) ?? spec?.mode ?? null,
    pinned: row?.pinned ?? false,
    rule: spec ? (autonomyRuleOf(spec) ?? null) : null,
    record: row ? { successes: row.successes, failures: row.failures, failureStreak: row.streak, observed: row.observed } : null,
    reason: row?.reason ?? '',
    changes: history.map((h) => ({ at: h.at.toISOString(), actor: h.actor, action: h.action, ...(h.details as Record<string, unknown>) })),
  };
}
