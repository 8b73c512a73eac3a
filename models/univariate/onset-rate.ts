/**
 * PROTOTYPE: empirical rate calibration of episode onsets.
 */
import { deviationOfLogTail } from '../fleet/service-combination.ts';
import { normalTailDecades } from '../likelihood/index.ts';

const BINS = 320;
const RATIO = 1.05;
const LOG_RATIO = Math.log(RATIO);

export interface OnsetRateConfig {
  /** Weight of the model's own p-value as a prior, in rows. */
  priorRows: number;
}

export class OnsetRate {
  private readonly bins = new Float64Array(BINS);
  private rows = 0;
  constructor(private readonly cfg: OnsetRateConfig) {}

  /** Counts one row. */
  tick(): void {
    this.rows++;
  }

  /** ln of the rate of onsets at least `dev` spreads (blended with the Gaussian two-sided tail of dev). */
  logRate(dev: number): number {
    const k = dev >= 1 ? Math.min(BINS - 1, Math.floor(Math.log(dev) / LOG_RATIO)) : 0;
    let c = 0;
    for (let b = k; b < BINS; b++) c += this.bins[b] as number;
    const lnGauss = Math.LN2 - normalTailDecades(dev) * Math.LN10;
    const W = this.cfg.priorRows;
    const lnPrior = Math.log(W) + lnGauss;
    const lnNum = c > 0 ? Math.log(c) + Math.log1p(Math.exp(lnPrior - Math.log(c))) : lnPrior;
    return Math.min(0, lnNum - Math.log(this.rows + W));
  }

  /** Notes an onset of `dev` spreads. */
  learn(dev: number): void {
    const k = dev >= 1 ? Math.min(BINS - 1, Math.floor(Math.log(dev) / LOG_RATIO)) : 0;
    this.bins[k] = (this.bins[k] as number) + 1;
  }
}

/** The Gaussian two-sided deviation of a log rate. */
export function deviationOfLogRate(lnRate: number): number {
  return deviationOfLogTail(lnRate - Math.LN2);
}
