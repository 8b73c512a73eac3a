/**
 * The shadow gate: whether a candidate model version may replace the active
 * one. Both were judged on the same labelled set (recall and precision at
 * thresholds that give each the same false-alarm budget on held-out normal
 * windows) and then scored side by side on the same live windows that the
 * active model judged normal (the share of them each alarms on is the
 * false-alarm proxy). The candidate is promoted only if it is not worse on
 * any of them beyond a tolerance plus two standard errors (see slack());
 * until enough live windows were paired the answer is to wait.
 */
import type { LabelledFigures } from './evaluate.ts';

/** What the gate compares. */
export interface GateInput {
  candidate: Pick<LabelledFigures, 'recall' | 'precision'>;
  baseline: Pick<LabelledFigures, 'recall' | 'precision'>;
  /** Fault windows in the labelled set (recall and precision mean nothing without them). */
  faultWindows: number;
  /** Paired live windows, and how many of them each version alarmed on. */
  live: { windows: number; candidateAlarms: number; baselineAlarms: number };
}

/** Settings of the gate. */
export interface GateOptions {
  /** Paired live windows needed before deciding. */
  minLiveWindows: number;
  /** How much worse a figure may be and still count as "not worse" (absolute, on shares). */
  tolerance: number;
}

/** Default gate settings. */
export const DEFAULT_GATE: GateOptions = { minLiveWindows: 200, tolerance: 0.02 };

/** The gate's answer, with the figures in words. */
export interface GateDecision {
  action: 'wait' | 'promote' | 'retire';
  reason: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * How much lower share `a` may be than share `b`, each measured over `n`
 * trials, and still count as not worse: the tolerance plus two standard
 * errors of their difference, so that chance alone rarely retires an equal
 * candidate (the labelled set and the live windows are finite samples).
 */
function slack(a: number, b: number, n: number, tolerance: number): number {
  const v = (a * (1 - a) + b * (1 - b)) / Math.max(1, n);
  return tolerance + 2 * Math.sqrt(v + 1e-12);
}

/** Decides on a candidate; see the module comment. */
export function gateDecision(input: GateInput, opts: GateOptions = DEFAULT_GATE): GateDecision {
  const { live } = input;
  if (live.windows < opts.minLiveWindows) return { action: 'wait', reason: `${live.windows} of ${opts.minLiveWindows} paired live windows so far` };
  const worse: string[] = [];
  const c = live.candidateAlarms / live.windows;
  const b = live.baselineAlarms / live.windows;
  if (c > b + slack(c, b, live.windows, opts.tolerance)) worse.push(`live false alarms ${pct(c)} against ${pct(b)}`);
  if (input.faultWindows > 0) {
    const { recall: rc, precision: pc } = input.candidate;
    const { recall: rb, precision: pb } = input.baseline;
    if (rc < rb - slack(rc, rb, input.faultWindows, opts.tolerance)) worse.push(`recall ${pct(input.candidate.recall)} against ${pct(input.baseline.recall)}`);
    // Precision is a share of the alarms on fault windows and normal ones: about recall x fault windows of them at least.
    if (pc < pb - slack(pc, pb, Math.min(rc, rb) * input.faultWindows, opts.tolerance))
      worse.push(`precision ${pct(input.candidate.precision)} against ${pct(input.baseline.precision)}`);
  }
  const figures =
    `live false alarms ${pct(c)} vs ${pct(b)} over ${live.windows} windows` +
    (input.faultWindows > 0
      ? `, recall ${pct(input.candidate.recall)} vs ${pct(input.baseline.recall)}, precision ${pct(input.candidate.precision)} vs ${pct(input.baseline.precision)} on ${input.faultWindows} fault windows`
      : ', no labelled fault windows');
  if (worse.length > 0) return { action: 'retire', reason: `worse than the active version: ${worse.join('; ')} (${figures})` };
  return { action: 'promote', reason: `not worse than the active version: ${figures}` };
}
