/**
 * Per-service, per-feature scoring against online baselines built from the
 * models/stats seasonal baseline: a daily seasonal baseline (hourly slots plus a level that
 * follows shifts), a weekly one for traffic (hour-of-week slots, see
 * {@link SeasonalScorerConfig.weeklyFeature}), and a recent exponentially
 * weighted mean that stands in while a slot is still unseen. The weekly
 * baseline predicts only once it predicts better than the daily one: its
 * residual scale, learned from its second week on (when each of its slots
 * predicts from an earlier week, not from the rows of the same visit), has
 * settled below the daily residual scale. Windows that score as anomalous are not learned, unless the
 * service stays anomalous for `adaptAfter` windows: then the new level is
 * accepted as normal (a level shift).
 *
 * All baselines of a service live in one `Float64Array` (see
 * models/stats/seasonal-baseline.ts), laid out for the memory a window touches: the
 * headers of all features side by side (recent mean, variance and count,
 * daily level and scale), then the daily slots bucket by bucket with the
 * features of a bucket side by side, so that a window reads a few
 * consecutive cache lines instead of a line or two per feature. The weekly
 * block of the weekly feature is a second array. Scoring and learning allocate
 * nothing per feature.
 */
import { factorOf } from '../calibration/index.ts';
import { type BandArena, type ExpectedBands, WindowBands } from './expected-bands.ts';
import { type FeatureRows, singleRow } from './feature-rows.ts';
import { deviationToScore, type FeatureRule } from './feature-rules.ts';
import type { Evidence, FeatureVector } from './outputs.ts';
import { DAILY, type FeatureScore, HEAD, type Surprise } from './seasonal-config.ts';
import { SeasonalLearner } from './seasonal-learning.ts';
import { pooledShareDeviation, type ShareRun } from './share-run.ts';

export { deviationToScore, type FeatureRule, ruleFor, scoreToDeviation } from './feature-rules.ts';
export {
  BLIP_WINDOWS,
  DEFAULT_SEASONAL_SCORER,
  type FeatureScore,
  type SeasonalScorerConfig,
  type SeasonalScorerState,
  type Surprise,
  seasonalParameters,
} from './seasonal-config.ts';

/**
 * A surprise (negative natural log of a tail frequency) at or below which a
 * feature's history surely attests it: the rarest frequency a history attests
 * is at most one in `PRIOR_WINDOWS` (50) windows, a surprise of ln 50 = 3.912
 * or more (see {@link TailCalibration.logRarest}).
 */
const SURELY_ATTESTED = 3.9;
/** The seasonal scorer of one service; see the module comment. */
export class SeasonalScorer extends SeasonalLearner {
  /** The last test {@link SeasonalScorer.hasFeature} was asked, over how many features, and its answer. */
  private featureTest: ((feature: string) => boolean) | undefined;
  private featureTested = 0;
  private featureFound = false;
  /** The last test {@link SeasonalScorer.surprise} was given, and per feature (bit i) whether it was asked and its answer. */
  private trustTest: ((feature: string) => boolean) | undefined;
  private trustKnown = 0;
  private trustBits = 0;

  /** Whether any feature this scorer has learned passes `test` (e.g. whether the service has ever reported a symptom feature). */
  hasFeature(test: (feature: string) => boolean): boolean {
    // Asked every window with the same test: the answer only changes when a feature is added.
    if (test !== this.featureTest || this.names.length !== this.featureTested) {
      this.featureTest = test;
      this.featureTested = this.names.length;
      this.featureFound = this.names.some(test);
    }
    return this.featureFound;
  }

  /**
   * `test(name of feature i)`, remembered per feature (one bit each, for the
   * first 30) for as long as the same test is asked: the test is a pure
   * function of the name, asked for every feature of every window.
   */
  private trusts(test: (feature: string) => boolean, i: number): boolean {
    if (i >= 30) return test(this.names[i] as string);
    if (test !== this.trustTest) {
      this.trustTest = test;
      this.trustKnown = 0;
      this.trustBits = 0;
    }
    const bit = 1 << i;
    if ((this.trustKnown & bit) === 0) {
      this.trustKnown |= bit;
      if (test(this.names[i] as string)) this.trustBits |= bit;
    }
    return (this.trustBits & bit) !== 0;
  }

  /**
   * Scores `features` of the window ending at `tMs` without learning them.
   * Non-finite values are ignored. `spread` (a recalibration, see
   * models/calibration) widens or narrows the spread of each feature by its factor.
   * `requests` (the window's request count; NaN: unknown) weighs the
   * deviation of a share of requests ({@link FeatureRule.perRequest}),
   * pooled with the latest windows of `shareRun` (share-run.ts; read only).
   */
  score(features: FeatureVector, tMs: number, spread?: Readonly<Record<string, number>>, requests = Number.NaN, shareRun?: ShareRun): FeatureScore {
    const row = singleRow(features);
    return this.scoreRow(row, 0, tMs, spread, requests, shareRun);
  }

  /** {@link SeasonalScorer.score} of row `r` of `rows` (the window's features read once, see feature-rows.ts). */
  scoreRow(rows: FeatureRows, r: number, tMs: number, spread?: Readonly<Record<string, number>>, requests = Number.NaN, shareRun?: ShareRun): FeatureScore {
    let evidence: Evidence[] | undefined;
    const data = this.data;
    const slots = this.slotAt(0, DAILY.bucketOf(tMs));
    let best = 0;
    let hint = 0;
    const last = this.lastDev;
    const band = this.band;
    this.clearLast();
    const names = rows.names;
    const values = rows.values;
    for (let k = rows.from(r), end = rows.to(r); k < end; k++) {
      const feature = names[k] as string;
      const x = values[k] as number;
      const i = this.indexOf(feature, hint++);
      if (i < 0 || (data[i * HEAD + 2] as number) < this.cfg.warmup) continue;
      const e = this.expectedOf(i, feature, slots, tMs);
      const exp = e[0] as number;
      const spreadOf = e[1] as number;
      band[2 * i] = exp;
      band[2 * i + 1] = spreadOf;
      if (!Number.isFinite(x)) continue;
      const rule = this.rules[i] as FeatureRule;
      const std = spread ? spreadOf * factorOf(spread, feature, x - exp) : spreadOf;
      let dev = (x - exp) / std;
      if (rule.perRequest && (dev > 0 || shareRun)) dev = pooledShareDeviation(shareRun, x, exp, std, requests);
      const q = rule.direction === 'up' ? dev : rule.direction === 'down' ? -dev : Math.abs(dev);
      last[i] = q;
      // Judged by how often this feature deviated that far before (tail-calibration.ts), never more than by the spread alone.
      const s = deviationToScore(q > 0 ? this.tails.calibrate(i, q) : q, this.cfg.z50);
      if (s > best) best = s;
      if (s < 0.5) continue;
      evidence ??= [];
      evidence.push({ feature, observed: x, expected: exp, deviation: dev });
    }
    if (!evidence) return { score: best, evidence: [] };
    if (evidence.length > 1) evidence.sort((p, q) => Math.abs(q.deviation) - Math.abs(p.deviation));
    return { score: best, evidence };
  }

  /** Forgets the deviations and bands of the previous window (only known features were ever written: a loop is cheaper than two fill calls for a few dozen numbers). */
  private clearLast(): void {
    for (let i = 0; i < this.names.length; i++) {
      this.lastDev[i] = Number.NaN;
      this.band[2 * i] = Number.NaN;
      this.band[2 * i + 1] = Number.NaN;
    }
  }

  /**
   * What the baseline expects of each known feature of the window ending at
   * `tMs`: `[expected, lower, upper]`, the band being where a feature scores
   * below 0.5 (`z50` spreads on each side). Features still warming up are left out.
   */
  expectations(features: FeatureVector, tMs: number): Record<string, [number, number, number]> {
    const out: Record<string, [number, number, number]> = {};
    const data = this.data;
    const slots = this.slotAt(0, DAILY.bucketOf(tMs));
    let hint = 0;
    for (const feature in features) {
      const i = this.indexOf(feature, hint++);
      if (i < 0 || (data[i * HEAD + 2] as number) < this.cfg.warmup) continue;
      const e = this.expectedOf(i, feature, slots, tMs);
      const exp = e[0] as number;
      const std = e[1] as number;
      if (Number.isFinite(exp) && Number.isFinite(std)) out[feature] = [exp, exp - this.cfg.z50 * std, exp + this.cfg.z50 * std];
    }
    return out;
  }

  /**
   * The bands of the last scored window ({@link SeasonalScorer.score}), as
   * {@link SeasonalScorer.expectations} gives them for that window before it
   * is learned, in one array (see expected-bands.ts).
   */
  bands(arena: BandArena): ExpectedBands {
    const n = this.names.length;
    const values = arena.reserve(3 * n);
    const offset = arena.offset;
    const z = this.cfg.z50;
    const band = this.band;
    for (let i = 0; i < n; i++) {
      const exp = band[2 * i] as number;
      const std = band[2 * i + 1] as number;
      const ok = Number.isFinite(exp) && Number.isFinite(std);
      const o = offset + 3 * i;
      values[o] = ok ? exp : Number.NaN;
      values[o + 1] = ok ? exp - z * std : Number.NaN;
      values[o + 2] = ok ? exp + z * std : Number.NaN;
    }
    return new WindowBands(this.names, values, offset, n);
  }

  /**
   * The surprise of each feature of the last scored window (the negative log
   * of how often that feature deviated at least as far before, see
   * {@link TailCalibration.logTail}), written into `out` (see
   * service-combination.ts): their sum over the features scored, each bounded
   * by what its history attests (up to the rarest frequency it can attest,
   * `TailCalibration.logRarest`, then by the log of the excess), their count,
   * and the largest, bounded the same way unless `trusted` says the feature's
   * spread extrapolates (symptom features).
   */
  surprise(out: Surprise, trusted: (feature: string) => boolean): Surprise {
    let sum = 0;
    let count = 0;
    let max = 0;
    let tail = 0;
    for (let i = 0; i < this.names.length; i++) {
      const q = this.lastDev[i] as number;
      // A feature exactly at its expectation (one that has been constant, like the traffic of a service that only
      // reports metrics) tells nothing either way: counting it would only dilute the others.
      if (Number.isNaN(q) || q === 0) continue;
      count++;
      const s = -this.tails.logTail(i, q);
      // Beyond the rarest the feature's history attests, the spread's extrapolation counts by the log of its excess.
      // That rarest is never above 1 in PRIOR_WINDOWS (the prior's weight), so a smaller surprise stands as it is
      // without computing it (a logarithm per feature per window saved).
      let bounded = s;
      if (s > SURELY_ATTESTED) {
        const cap = -this.tails.logRarest(i);
        bounded = s <= cap ? s : cap + Math.log1p(s - cap);
      }
      sum += bounded;
      const symptom = this.trusts(trusted, i);
      if (s > 0 || !symptom) tail++;
      const alone = symptom ? s : bounded;
      if (alone > max) max = alone;
    }
    out.sum = sum;
    out.count = count;
    out.max = max;
    out.tail = tail;
    return out;
  }

  /**
   * Evidence of the last scored window (`features`, ending at `tMs`) when no
   * feature deviated far enough to be evidence alone but several together
   * did (see service-combination.ts): the `n` features that deviated most in
   * their bad direction, at least one spread, strongest first.
   */
  jointEvidence(features: FeatureVector, tMs: number, n: number): Evidence[] {
    const out: Evidence[] = [];
    const picked: number[] = [];
    for (let k = 0; k < n; k++) {
      let best = -1;
      for (let i = 0; i < this.names.length; i++) {
        const q = this.lastDev[i] as number;
        if (q >= 1 && !picked.includes(i) && (best < 0 || q > (this.lastDev[best] as number))) best = i;
      }
      if (best < 0) break;
      picked.push(best);
      const feature = this.names[best] as string;
      const x = features[feature] as number;
      const e = this.expectedOf(best, feature, this.slotAt(0, DAILY.bucketOf(tMs)), tMs);
      const exp = e[0] as number;
      const std = e[1] as number;
      // A share of requests as it was scored (weighed by its count), which is in its bad direction (up).
      const dev = (this.rules[best] as FeatureRule).perRequest ? (this.lastDev[best] as number) : (x - exp) / std;
      out.push({ feature, observed: x, expected: exp, deviation: dev });
    }
    return out;
  }
}
