/**
 * Graduated autonomy of a playbook as a pure state machine: `observe` ->
 * `suggest` -> `auto` as its verified record grows, one step back down on a
 * `made_worse` outcome or a streak of failures, and a mode pinned by a person
 * wins over all of it.
 */
import { lowerBound, outcomeEffect } from './posterior.ts';

/** Playbook modes, from least to most autonomous. */
export const AUTONOMY_MODES = ['observe', 'suggest', 'auto'] as const;
/** A playbook mode. */
export type AutonomyMode = (typeof AUTONOMY_MODES)[number];

/** What a playbook must show to be promoted into a mode. */
export interface PromotionThreshold {
  /** Verified successes (`resolved` outcomes) of the playbook, over every service. */
  successes: number;
  /** Lower confidence bound of its resolve rate, Beta(1 + successes, 1 + failures) at {@link AutonomyRule.confidence}. */
  lcb: number;
  /**
   * Matches observed in `observe` mode that the guardrails would have let
   * run (only used to leave `observe`, where nothing runs and so nothing can
   * be verified; default 0).
   */
  observed?: number;
}

/** A playbook's autonomy rule (the `autonomy` block of a playbook). */
export interface AutonomyRule {
  /** To go from `observe` to `suggest`. */
  suggest: PromotionThreshold;
  /** To go from `suggest` to `auto`. */
  auto: PromotionThreshold;
  /** Consecutive failures that take the playbook one mode down (default 3). */
  failureStreak: number;
  /** Level of the lower confidence bound, e.g. 0.9 for the 10% quantile (default 0.9). */
  confidence: number;
}

/** The trainer's view of a playbook's autonomy (serializable; stored per playbook). */
export interface AutonomyState {
  mode: AutonomyMode;
  /** A person pinned `mode`: the record no longer moves it. */
  pinned: boolean;
  successes: number;
  failures: number;
  /** Failures since the last success or mode change. */
  streak: number;
  /** Would-run matches seen in `observe` mode since the last mode change. */
  observed: number;
}

/** An outcome of one of the playbook's executions, as seen by the trainer. */
export interface AutonomyEvent {
  outcome: string;
  /** True for an `observe`-mode decision that the guardrails would have let run. */
  wouldRun?: boolean;
}

/** A mode change and why (audited by the trainer). */
export interface ModeChange {
  from: AutonomyMode;
  to: AutonomyMode;
  reason: string;
}

/** The state a playbook starts from (its declared mode, nothing recorded). */
export function initialAutonomy(mode: AutonomyMode): AutonomyState {
  return { mode, pinned: false, successes: 0, failures: 0, streak: 0, observed: 0 };
}

const down = (m: AutonomyMode): AutonomyMode => (m === 'auto' ? 'suggest' : 'observe');

function promotion(s: AutonomyState, rule: AutonomyRule): ModeChange | undefined {
  if (s.mode === 'auto') return undefined;
  const to: AutonomyMode = s.mode === 'observe' ? 'suggest' : 'auto';
  const t = to === 'suggest' ? rule.suggest : rule.auto;
  const lcb = lowerBound({ alpha: 1 + s.successes, beta: 1 + s.failures }, rule.confidence);
  if (s.successes < t.successes || lcb < t.lcb || s.observed < (t.observed ?? 0)) return undefined;
  return { from: s.mode, to, reason: `record: ${s.successes} verified successes, ${s.failures} failures, lower bound ${lcb.toFixed(3)} >= ${t.lcb}` };
}

/**
 * Applies one outcome to a playbook's autonomy state and returns the new
 * state with the mode change it causes, if any. Counting always happens;
 * the mode moves only when not pinned: a `made_worse` outcome or
 * `failureStreak` failures in a row take it one mode down; otherwise it
 * climbs one mode when the record meets the next mode's threshold.
 */
export function stepAutonomy(s: AutonomyState, rule: AutonomyRule, ev: AutonomyEvent): { state: AutonomyState; change?: ModeChange } {
  const effect = outcomeEffect(ev.outcome);
  const next: AutonomyState = {
    ...s,
    successes: s.successes + (effect === 'success' ? 1 : 0),
    failures: s.failures + (effect === 'failure' ? 1 : 0),
    streak: effect === 'success' ? 0 : s.streak + (effect === 'failure' ? 1 : 0),
    observed: s.observed + (ev.wouldRun && s.mode === 'observe' ? 1 : 0),
  };
  if (next.pinned) return { state: next };
  let change: ModeChange | undefined;
  if (s.mode !== 'observe' && ev.outcome === 'made_worse') change = { from: s.mode, to: down(s.mode), reason: 'an execution made the anomaly worse' };
  else if (s.mode !== 'observe' && next.streak >= rule.failureStreak) change = { from: s.mode, to: down(s.mode), reason: `${next.streak} failures in a row` };
  else change = promotion(next, rule);
  if (!change) return { state: next };
  return { state: { ...next, mode: change.to, streak: 0, observed: 0 }, change };
}

/** Pins (or with `undefined`, unpins) the mode: the effective mode is then the pinned one until unpinned. */
export function pinAutonomy(s: AutonomyState, mode: AutonomyMode | undefined): AutonomyState {
  return mode === undefined ? { ...s, pinned: false } : { ...s, mode, pinned: true, streak: 0 };
}
