/**
 * How rare an alarm is for its own series: the calibration that makes one
 * threshold on `zeroops detect`'s `anomaly_score` mean the same thing on
 * every series, whatever its noise.
 *
 * The live per-feature score of a row is a Gaussian-equivalent deviation
 * judged by the series' own history of deviations in quiet rows (see
 * models/fleet/tail-calibration.ts). Episodes themselves are never taught to
 * it (an ongoing fault is never learned as normal), so a series that keeps
 * having bursts (social media volume, a bursty queue) opens episode after
 * episode at similar scores, and the score of an episode's first row says
 * how far it went, not how often the series goes that far. This module
 * keeps, per series, the histogram of the deviations at which its past
 * episodes opened and judges a new alarm of deviation d by the expected
 * number of episodes at least that severe:
 *
 *     E(d) = #{earlier episodes that opened at a deviation >= d} + W * p(d)
 *
 * where p(d) is the two-sided Gaussian tail of d (the model's own
 * probability of such a row) counted over a horizon of W rows, a prior
 * that decides while the series has few episodes. E(d) / W is read as a
 * tail probability and mapped back to the usual score scale (0.5 at 3
 * spreads, models/fleet `deviationToScore`): the first episode of a clean
 * series keeps the score of its deviation, an episode that the series has
 * had many times as severe before scores low, a record stands out. A
 * threshold t on this score means "alarm when fewer than about W * p(t)
 * earlier episodes were as severe", on every series alike (the threshold
 * picked on four NAB categories carries to the fifth, see
 * test/bench/nab/README.md).
 *
 * An open episode is reported again when it has become ten times rarer than
 * when it was last reported (its running peak deviation's E fell by a
 * decade): an episode that opened as a routine burst and grew into a record
 * deserves a second page, as the live detector emits an event when an
 * episode's deviation grows (models/fleet/severity.ts). An episode already
 * reported as a record (E < 1: fewer than one earlier episode as severe
 * expected over the horizon) is not reported again: its page said
 * "unprecedented", and beyond that its growth is the far Gaussian tail,
 * where a fraction of a spread is a decade (a flat line whose score creeps
 * toward 1 would otherwise be reported again on every row).
 *
 * Every alarm is learned at its deviation, once, after it was judged: the
 * opening of each episode and each report again (series-v11; before, only
 * openings). E(d) thus counts the earlier pages at least as severe: a
 * series whose bursts open mildly and grow into a second page (Twitter
 * volumes ramp over two rows) learns that such second pages are routine
 * too. No look-ahead, and the state is a fixed histogram.
 */
import { deviationOfLogTail } from '../fleet/service-combination.ts';
import { normalTailDecades } from '../likelihood/index.ts';

/** Bins of the onset histogram: bin k holds deviations in [RATIO^k, RATIO^(k+1)); the last is open-ended (~6e6 spreads). */
const BINS = 320;
const RATIO = 1.05;
const LOG_RATIO = Math.log(RATIO);

/** Default horizon of the Gaussian prior, in rows (see the module comment). */
export const DEFAULT_PRIOR_ROWS = 10_000;
/** Factor by which an open episode must become rarer to be reported again. */
export const ESCALATION = 10;

/** Serializable state of an {@link OnsetRarity}. */
export interface OnsetRarityState {
  /** Episode onsets per deviation bin. */
  bins: number[];
}

function binOf(dev: number): number {
  if (!(dev >= 1)) return 0;
  return Math.min(BINS - 1, Math.floor(Math.log(dev) / LOG_RATIO));
}

/** The onset history of one series; see the module comment. */
export class OnsetRarity {
  private readonly bins = new Float64Array(BINS);

  constructor(
    private readonly priorRows = DEFAULT_PRIOR_ROWS,
    state?: OnsetRarityState,
  ) {
    if (state) this.bins.set(state.bins.slice(0, BINS));
  }

  /** ln(E(dev) / W): the log of the expected number of episodes at least `dev` spreads severe, per prior horizon. */
  logRarity(dev: number): number {
    let c = 0;
    for (let b = binOf(dev); b < BINS; b++) c += this.bins[b] as number;
    // ln(W p(dev)), p two-sided; computed in log space so that a far deviation does not underflow.
    const lnPrior = Math.log(this.priorRows) + Math.LN2 - normalTailDecades(dev) * Math.LN10;
    const lnE = c > 0 ? Math.log(c) + Math.log1p(Math.exp(lnPrior - Math.log(c))) : lnPrior;
    return Math.min(0, lnE - Math.log(this.priorRows));
  }

  /**
   * The ln rarity of a record: one expected episode as severe over the prior's horizon (E = 1).
   * An alarm rarer than that is unprecedented for the series.
   */
  get recordLogRarity(): number {
    return -Math.log(this.priorRows);
  }

  /** Notes an episode that opened at `dev` spreads. */
  learn(dev: number): void {
    const k = binOf(dev);
    this.bins[k] = (this.bins[k] as number) + 1;
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): OnsetRarityState {
    return { bins: Array.from(this.bins) };
  }
}

/** The two-sided Gaussian deviation whose tail is e^`lnRarity` (as {@link OnsetRarity.logRarity} returns). */
export function deviationOfRarity(lnRarity: number): number {
  return deviationOfLogTail(lnRarity - Math.LN2);
}
