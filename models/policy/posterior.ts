/**
 * Beta posteriors of the remediation policy: one arm per (anomaly signature,
 * playbook), each counting verified successes and failures of that playbook
 * on that signature, with a prior pooled from the playbook's record on other
 * services. Pure and serializable.
 */
import { betaQuantile } from './beta.ts';

/** Outcomes an execution can end with (the `outcomes` topic's values). */
export type PolicyOutcome = 'resolved' | 'not_resolved' | 'made_worse' | 'undone' | 'escalated' | 'skipped' | 'awaiting_approval' | 'recovered_before_action';

/**
 * What an outcome means for the posterior: `resolved` is a success;
 * `not_resolved`, `made_worse` and `undone` are failures (`escalated` too:
 * the playbook failed and handed the incident to a person); `skipped`,
 * `awaiting_approval` and `recovered_before_action` (the episode began to
 * recover before the playbook acted, so its closing says nothing about
 * whether the action works) say nothing about the playbook and are ignored.
 */
export function outcomeEffect(o: string): 'success' | 'failure' | 'ignored' {
  if (o === 'resolved') return 'success';
  if (o === 'not_resolved' || o === 'made_worse' || o === 'undone' || o === 'escalated') return 'failure';
  return 'ignored';
}

/** The record of one playbook on one anomaly signature. */
export interface ArmRecord {
  /** Anomaly signature, see {@link signatureOf}. */
  signature: string;
  /** Service the signature belongs to. */
  service: string;
  playbookId: string;
  /** Verified successes (`resolved` outcomes). */
  successes: number;
  /** Failures (`not_resolved`, `made_worse`, `undone`, `escalated`). */
  failures: number;
}

/** A Beta(alpha, beta) belief about an arm's verified-resolve rate. */
export interface BetaPosterior {
  alpha: number;
  beta: number;
}

/** Tuning of the pooled prior; defaults in {@link DEFAULT_POOLING}. */
export interface PoolingOptions {
  /** Pseudo-counts of the flat base prior on each side (default 1: Beta(1, 1), uniform). */
  base: number;
  /**
   * Most pseudo-observations the record on other services may contribute
   * (default 4): that record is shrunk to this weight, so a playbook with a
   * long history elsewhere gives a new service a head start that a few local
   * outcomes can still overturn.
   */
  maxPooled: number;
}

/** Default pooling: Beta(1, 1) base, other services worth at most 4 observations. */
export const DEFAULT_POOLING: PoolingOptions = { base: 1, maxPooled: 4 };

/**
 * The anomaly signature an arm is kept for: service, kind and the leading
 * evidence feature (largest absolute deviation), e.g. `checkout|latency|p95`.
 * Two anomalies with one signature are "the same problem" to the policy.
 */
export function signatureOf(service: string, kind: string, evidence: readonly { feature: string; deviation: number }[] = []): string {
  let lead = '';
  let worst = -1;
  for (const e of evidence) {
    const d = Math.abs(e.deviation);
    if (Number.isFinite(d) && d > worst) {
      worst = d;
      lead = e.feature;
    }
  }
  return `${service}|${kind}|${lead}`;
}

/** The anomaly kind part of a signature made by {@link signatureOf}. */
export function kindOfSignature(signature: string): string {
  return signature.split('|')[1] ?? '';
}

/** Records an outcome on an arm; returns a new record (ignored outcomes return it unchanged). */
export function applyOutcome(arm: ArmRecord, outcome: string): ArmRecord {
  const e = outcomeEffect(outcome);
  if (e === 'success') return { ...arm, successes: arm.successes + 1 };
  if (e === 'failure') return { ...arm, failures: arm.failures + 1 };
  return arm;
}

/**
 * The prior of playbook `playbookId` on `service`, pooled from its record on
 * OTHER services: those successes and failures are added as pseudo-counts to
 * the base prior, scaled down so that together they weigh at most
 * `maxPooled` observations. The pooled prior carries the playbook's success
 * RATE elsewhere (a playbook that usually works starts optimistic), while
 * its small weight lets the service's own outcomes dominate after a handful
 * of episodes (services differ). Arms of the same service are not pooled:
 * they are the local evidence itself. With `kind`, only the record on
 * anomalies of that kind counts (a restart that cures latency elsewhere says
 * little about error bursts).
 */
export function pooledPrior(
  records: readonly ArmRecord[],
  playbookId: string,
  service: string,
  opts: PoolingOptions = DEFAULT_POOLING,
  kind?: string,
): BetaPosterior {
  let s = 0;
  let f = 0;
  for (const r of records) {
    if (r.playbookId !== playbookId || r.service === service) continue;
    if (kind !== undefined && kindOfSignature(r.signature) !== kind) continue;
    s += r.successes;
    f += r.failures;
  }
  const n = s + f;
  const k = n === 0 ? 0 : Math.min(1, opts.maxPooled / n);
  return { alpha: opts.base + s * k, beta: opts.base + f * k };
}

/** The posterior of (signature, playbook): the prior pooled from the same kind on other services plus the arm's own record (zero when it has none). */
export function posteriorOf(
  records: readonly ArmRecord[],
  signature: string,
  service: string,
  playbookId: string,
  opts: PoolingOptions = DEFAULT_POOLING,
): BetaPosterior {
  const prior = pooledPrior(records, playbookId, service, opts, kindOfSignature(signature));
  const own = records.find((r) => r.signature === signature && r.playbookId === playbookId);
  return { alpha: prior.alpha + (own?.successes ?? 0), beta: prior.beta + (own?.failures ?? 0) };
}

/** Posterior mean, the expected verified-resolve rate. */
export function posteriorMean(p: BetaPosterior): number {
  return p.alpha / (p.alpha + p.beta);
}

/** Lower confidence bound: the `1 - level` quantile of the posterior (default level 0.9, i.e. the 10% quantile). */
export function lowerBound(p: BetaPosterior, level = 0.9): number {
  return betaQuantile(1 - level, p.alpha, p.beta);
}
