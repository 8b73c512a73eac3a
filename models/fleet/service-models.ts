/**
 * The per-service models of one detector instance and the batched scoring
 * path: for each round of closed windows (at most one per service), every
 * service is scored against its seasonal baselines, all of them go through
 * the shared neural model in one call, the two raw scores are combined, the
 * anomaly likelihood of the result is folded in, and each service's episode
 * advances. A service's result depends only on its own windows and the
 * shared model's weights.
 *
 * An ongoing fault is never learned as normal: once a service is past its
 * warm-up, none of its models (seasonal baselines, likelihood history,
 * neural normalization, residual calibration and training rows) learns from
 * a window while its episode is open. The baselines stay those from before
 * the fault, so the episode closes only when the features are back within
 * that pre-fault expectation, and the same fault coming back later scores as
 * high as the first time and opens a new episode. That holds for one daily
 * period (`acceptAfterMs`, default a day): a change that has lasted through
 * a whole cycle of the seasonal baselines (a migration, a new release's
 * footprint) is the service's new normal, so the models learn again and the
 * episode closes once they have caught up, instead of staying open for good
 * and blinding the service to every later fault. For the same reason a
 * window of an episode that the service was also in at the same time a day
 * before is learned: an episode that comes back at the same hours every day
 * is the service's daily pattern (a fault that returns within the day, however
 * often, never is).
 *
 * The seasonal score of a window combines its features' surprises (each
 * judged by that feature's own history) as p-values, see
 * service-combination.ts, rather than taking the largest deviation. During warm-up (the first
 * `warmupWindows` windows) a service has no reference worth holding: its
 * models learn as before (anomalous windows only after a persistent level
 * shift) and its events say `info` and that it is warming up.
 */

import { factorOf, type ServiceCalibration, spreadFactors } from '../calibration/index.ts';
import { DEFAULT_EPISODE } from '../episodes/index.ts';
import { normalTailDecades } from '../likelihood/index.ts';
import { episodeADayBefore, episodeStep } from './episode-step.ts';
import { BandArena, bandOf } from './expected-bands.ts';
import { FeatureRows } from './feature-rows.ts';
import { flatEvidence } from './flat-line.ts';
import { NEURAL_Z50, type NeuralBatch, type NeuralScorer } from './neural-scorer.ts';
import { NEURAL_INPUTS } from './neural-service.ts';
import type { Evidence, FeatureVector, ServiceScore, WindowInput } from './outputs.ts';
import { DEFAULT_SEASONAL_SCORER, deviationToScore, type Surprise, scoreToDeviation } from './seasonal-scorer.ts';
import { deviationOfLogTail, jointDeviation, serviceDeviation } from './service-combination.ts';
import { DEFAULT_ACCEPT_AFTER_MS, type Live, liveOf, newLive, type ServiceModelState, type ServiceModelsOptions, stateOf } from './service-state.ts';
import { isSymptomFeature } from './severity.ts';
import { advanceShareRun } from './share-run.ts';

/** Features named as the evidence of a window that only their combination made anomalous. */
const JOINT_EVIDENCE = 3;
/** Flat-line score from which a run is named in the evidence (the score of a feature's evidence) and is not learned as a habit. */
const FLAT_EVIDENCE_SCORE = 0.5;

/** Whether a window's evidence is only runtime metrics of a service that also reports symptom features (spans, error logs). */
function metricDriftOnly(r: ServiceScore, m: Live): boolean {
  return r.evidence.length > 0 && r.evidence.every((e) => !isSymptomFeature(e.feature)) && m.seasonal.hasFeature(isSymptomFeature);
}

/** The per-service models of one detector instance. */
export class ServiceModels {
  private readonly live = new Map<string, Live>();
  /** Recalibrations from human labels, per service (not checkpointed: the store holds them). */
  private readonly calibrations = new Map<string, ServiceCalibration>();
  /** Scratch of the batched neural call, reused across rounds: normalized rows and the raw values they came from. */
  private rows = new Float32Array(0);
  private raw = new Float64Array(0);
  /** Scratch of a window's feature surprises. */
  private readonly surprise: Surprise = { sum: 0, count: 0, max: 0 };
  /** Room for the expected bands of the windows scored (expected-bands.ts). */
  private readonly bands = new BandArena();
  /** The features of the round's windows, read once for all the models (feature-rows.ts); row `i` is window `i`. */
  private readonly featureRows = new FeatureRows();
  /** Batches scored so far (see {@link ServiceModels.scoreBatch}). */
  private batches = 0;

  private readonly acceptAfterMs: number;
  /** Score at or above which a window is anomalous (the episodes' opening level). */
  private readonly openLevel: number;

  constructor(private readonly opts: ServiceModelsOptions) {
    this.acceptAfterMs = opts.acceptAfterMs ?? DEFAULT_ACCEPT_AFTER_MS;
    this.openLevel = opts.episode.openLevel ?? DEFAULT_EPISODE.openLevel;
  }

  private get(service: string): Live {
    let m = this.live.get(service);
    if (!m) {
      m = newLive(this.opts.episode, this.opts.scorer);
      this.live.set(service, m);
    }
    return m;
  }

  /** Notes that `service` arrives on `partition`. */
  notePartition(service: string, partition: number): void {
    this.get(service).st.partition = partition;
  }

  /** Scores closed windows, oldest first per service, in rounds batched across services. */
  scoreBatch(inputs: WindowInput[]): ServiceScore[] {
    if (inputs.length === 0) return [];
    // The k-th window of a service in the batch goes to round k (each service's windows in order, one per round).
    const batch = ++this.batches;
    const lives: Live[] = new Array(inputs.length);
    const depths: number[] = new Array(inputs.length);
    let deepest = 0;
    for (let i = 0; i < inputs.length; i++) {
      const m = this.get((inputs[i] as WindowInput).service);
      m.depth = m.batch === batch ? m.depth + 1 : 0;
      m.batch = batch;
      if (m.depth > deepest) deepest = m.depth;
      lives[i] = m;
      depths[i] = m.depth;
    }
    if (deepest === 0) return this.scoreRound(inputs, lives);
    const out: ServiceScore[] = [];
    for (let k = 0; k <= deepest; k++) {
      const round: WindowInput[] = [];
      const roundLives: Live[] = [];
      for (let i = 0; i < inputs.length; i++) {
        if (depths[i] !== k) continue;
        round.push(inputs[i] as WindowInput);
        roundLives.push(lives[i] as Live);
      }
      for (const r of this.scoreRound(round, roundLives)) out.push(r);
    }
    return out;
  }

  private scoreRound(round: WindowInput[], lives: Live[]): ServiceScore[] {
    const rows = this.featureRows;
    rows.clear();
    for (let i = 0; i < round.length; i++) rows.add((round[i] as WindowInput).features);
    const nn = this.neuralRound(round, lives);
    const normal: number[] = [];
    const out: ServiceScore[] = new Array(round.length);
    for (let i = 0; i < round.length; i++) {
      const r = this.scoreWindow(round[i] as WindowInput, lives[i] as Live, i, nn);
      out[i] = r;
      // Windows outside any episode teach each feature how far it usually strays (excursions too small to open one
      // included). The window that opens an episode teaches it only if the episode was a blip (at most BLIP_WINDOWS
      // anomalous windows): blips that recur more often than a 3-spread excursion would (tail-calibration.ts) become
      // routine, a spike train or a bursty count. An episode that lasts longer is a fault and never teaches it, so a
      // sustained fault never calibrates itself away and a fault that keeps coming back opens an incident every time
      // (a recurring harmless pattern is taught by a false-positive label instead, see models/calibration).
      const live = lives[i] as Live;
      const seasonal = live.seasonal;
      const quiet = r.transition === 'none' || r.transition === 'closed';
      // A window of an episode the service was also in at the same time a day before is its daily pattern (a
      // nightly batch, a daily peak): learned as any quiet window, so that the seasonal slots come to expect it.
      const daily = !quiet && episodeADayBefore(live.st, r.input.endMs);
      if (r.transition === 'open' && !daily) seasonal.holdTail();
      else if (r.transition === 'ongoing' && r.score >= this.openLevel) seasonal.noteAnomalous();
      else if (r.transition === 'closed') seasonal.releaseTail();
      if (quiet || daily) learnTails(live);
      // The neural residual calibration learns the same windows.
      live.neural.learnTail(quiet || daily);
      // Past warm-up, a window inside an open episode teaches nothing: the pre-fault baselines stay the reference,
      // until the episode has lasted a whole daily period (see `acceptAfterMs`): then its level is the new normal.
      // A window whose only deviations are runtime metrics (of a service whose clients' view, its spans, is as
      // expected) is learned all the same: those metrics drift with the host's load and the process's age, and
      // frozen baselines would keep such an episode open for good (it is `info` and no playbook acts on it).
      const frozen = !quiet && !daily && !metricDriftOnly(r, live);
      const accepted = r.input.endMs - r.openedAtMs >= this.acceptAfterMs;
      // Runs of repeated values teach the flat-line model outside episodes only (or once an episode is the new normal):
      // an episode of runtime metrics alone is learned by their baselines (below), never as a habit of repeating. Nor
      // does a quiet window whose run the flat-line model itself found surprising (it raised evidence, below the
      // opening level): learned, the run's own repeats would make the feature's repeats common within a window or two
      // and stop it being judged, so a flat line that missed the opening level at its third equal value never opened.
      // (`accepted` is about an open episode: a service that never had one counts as accepted.)
      if (quiet ? live.lastFlatScore < FLAT_EVIDENCE_SCORE : daily || r.warmingUp || accepted) live.flat.learn();
      if (!r.warmingUp && frozen && !accepted) {
        // Except a time of day never seen before: there is no pre-fault expectation of it to hold (seasonal-scorer.ts).
        seasonal.learnUnseenRow(rows, i, r.input.endMs);
        continue;
      }
      if (this.learnWindow(r, lives[i] as Live, i, nn)) normal.push(i);
    }
    this.train(normal);
    return out;
  }

  /** Normalizes the round's windows into the scratch rows and scores them all in one call of the shared model (none without it). */
  private neuralRound(round: WindowInput[], lives: Live[]): NeuralBatch | undefined {
    const neural = this.opts.neural;
    if (!neural) return undefined;
    const n = round.length;
    if (this.rows.length < n * NEURAL_INPUTS) {
      this.rows = new Float32Array(n * NEURAL_INPUTS);
      this.raw = new Float64Array(n * NEURAL_INPUTS);
    }
    for (let i = 0; i < n; i++) (lives[i] as Live).neural.normalizeRow(this.featureRows, i, this.raw, this.rows, i * NEURAL_INPUTS);
    return neural.scoreBatch(
      this.rows,
      lives.map((l) => l.neural),
      round.map((w) => w.features),
    );
  }

  /** Scores window `i` of the round: seasonal score and its likelihood, beside the neural score; then the episode step. */
  private scoreWindow(w: WindowInput, m: Live, i: number, nn: NeuralBatch | undefined): ServiceScore {
    const cal = this.calibrations.size > 0 ? this.calibrations.get(w.service) : undefined;
    const factors = cal ? spreadFactors(cal, w.endMs) : undefined;
    // The window's request count: the deviation of its error ratio counts the binomial noise of that many requests.
    const requests = ((w.features.request_rate ?? Number.NaN) * (w.endMs - w.startMs)) / 1000;
    // Pooled with the latest windows of its run above expectation (share-run.ts): a few requests a window add up.
    const s = m.seasonal.scoreRow(this.featureRows, i, w.endMs, factors, requests, m.st.shareRun);
    m.lastFeatureScore = s.score;
    // The service's seasonal score: its features' surprises combined (service-combination.ts), not their maximum.
    const sur = m.seasonal.surprise(this.surprise, isSymptomFeature);
    const joint = sur.count > 0 ? jointDeviation(sur) : Number.NaN;
    m.lastJoint = joint;
    s.score = deviationToScore(serviceDeviation(sur, sur.count > 0 ? m.joint.logTail(0, joint) : 0), DEFAULT_SEASONAL_SCORER.z50);
    // Several features together, none far enough alone: they are the evidence.
    if (s.score >= 0.5 && s.evidence.length === 0) s.evidence = m.seasonal.jointEvidence(w.features, w.endMs, JOINT_EVIDENCE);
    // A feature stuck at one value that seldom repeats (flat-line.ts): scored beside the distance from the expected value.
    const flat = m.flat.scoreRow(this.featureRows, i);
    m.lastFlatScore = 0;
    if (flat.feature !== undefined) {
      const fs = deviationToScore(flat.deviation, DEFAULT_SEASONAL_SCORER.z50);
      m.lastFlatScore = fs;
      if (fs >= FLAT_EVIDENCE_SCORE) {
        s.evidence.push(flatEvidence(flat, m.seasonal.expectations({ [flat.feature]: flat.value }, w.endMs)[flat.feature]?.[0] ?? flat.value));
        s.evidence.sort((p, q) => Math.abs(q.deviation) - Math.abs(p.deviation));
      }
      if (fs > s.score) s.score = fs;
    }
    const lik = m.likelihood;
    // The likelihood needs a history of raw scores (held while an episode is open); until then the raw score stands alone.
    const warm = lik.ready;
    m.st.scored++;
    // Scored against the history as it stands; whether the window joins it depends on the episode (below).
    lik.update(s.score, false);
    // Each feature's deviation is already judged against that feature's own history (tail-calibration.ts), over a
    // longer memory than the likelihood's: the seasonal score stands as it is, the likelihood is reported beside it.
    const seasonal = s.score;
    // The neural score is already a per-service likelihood (its residuals judged against that service's usual
    // ones, corroborated over two windows): it stands on its own beside the seasonal one rather than feeding the
    // likelihood of raw seasonal scores, which would turn its modest values into alarms.
    const ns = nn ? calibratedNeural(nn.scores[i] as number, nn.evidence.get(i)?.[0], factors) : 0;
    const score = nn ? eitherModel(seasonal, ns) : seasonal;
    const evidence = s.evidence.length > 0 || score <= seasonal ? s.evidence : (nn?.evidence.get(i) ?? s.evidence);
    const expected = m.seasonal.bands(this.bands);
    // Advanced before the episode step: severity counts the run's failures with this window's (share-run.ts).
    const run = advanceShareRun(m.st.shareRun, w.features.error_ratio, bandOf(expected, 'error_ratio')?.[0], requests);
    // Set to undefined, not deleted: every service's meta object keeps one shape (service-state.ts metaOf).
    m.st.shareRun = run ?? undefined;
    const r = episodeStep(w, m, { score, likelihood: warm ? lik.likelihood : s.score, evidence }, this.opts);
    r.expected = expected;
    return r;
  }

  /** Lets the service's models learn window `i`; returns whether its row may train the shared model. */
  private learnWindow(r: ServiceScore, m: Live, i: number, nn: NeuralBatch | undefined): boolean {
    m.likelihood.learnLast();
    // A window is learned as normal only if no feature of it is anomalous by its own tail history either: the
    // combination's bounds (a resource metric alone counts only as far as its history attests) say how much the
    // service should alarm, not that a feature 5 spreads off belongs in its baseline (it would be learned at once,
    // instead of as a level shift after `adaptAfter` windows).
    const requests = ((r.input.features.request_rate ?? Number.NaN) * (r.input.endMs - r.input.startMs)) / 1000;
    m.seasonal.learnRow(this.featureRows, i, r.input.endMs, Math.max(r.score, m.lastFeatureScore), requests);
    if (!(r.score < 0.5 && nn)) return false;
    m.neural.learnNormalization(this.raw, i * NEURAL_INPUTS);
    m.neural.learnResiduals(this.rows, nn.reconstruction, i);
    // Rows normalized by a service's first few windows are not yet z-scores: they would teach the shared model noise.
    return m.neural.settled;
  }

  /** Trains the shared model on the round's normal rows. */
  private train(normal: number[]): void {
    const neural = this.opts.neural;
    if (!neural || normal.length === 0) return;
    // The normal rows are gathered to the front of the scratch in place (row k comes from row normal[k] >= k).
    for (let k = 0; k < normal.length; k++) {
      const i = normal[k] as number;
      this.rows.copyWithin(k * NEURAL_INPUTS, i * NEURAL_INPUTS, (i + 1) * NEURAL_INPUTS);
    }
    this.opts.onNormalRows?.(this.rows, normal.length);
    neural.model.observe(this.rows, normal.length);
  }

  /** Sets (or with `undefined` removes) the recalibration of `service` (see models/calibration). */
  setCalibration(service: string, calibration: ServiceCalibration | undefined): void {
    if (calibration) this.calibrations.set(service, calibration);
    else this.calibrations.delete(service);
  }

  /**
   * Lets `service`'s seasonal baselines learn `windows` as normal (windows of
   * an episode people labelled a false positive, which were held out of
   * learning while it was open). Returns how many were learned (none for a
   * service this instance does not track).
   */
  learnNormal(service: string, windows: readonly { features: FeatureVector; endMs: number }[]): number {
    const m = this.live.get(service);
    if (!m) return 0;
    for (const w of windows) m.seasonal.learnPast(w.features, w.endMs);
    return windows.length;
  }

  /**
   * Runs another shared neural model from now on (a newly active version):
   * every service's residual calibration starts over against it (its neural
   * score counts again after the warm-up windows; the seasonal score runs
   * meanwhile), its normalization is kept. The caller disposes of the old model.
   */
  useNeural(neural: NeuralScorer): void {
    this.opts.neural = neural;
    for (const m of this.live.values()) m.neural.recalibrate();
  }

  /** Copies the state of the services on `partitions` (all when omitted). */
  snapshot(partitions?: ReadonlySet<number>): ServiceModelState {
    const out: ServiceModelState = {};
    for (const [name, m] of this.live) {
      if (partitions && !partitions.has(m.st.partition)) continue;
      out[name] = stateOf(m);
    }
    return out;
  }

  /** Replaces the state of the services in `state` (restored from a checkpoint). */
  restore(state: ServiceModelState): void {
    for (const [name, st] of Object.entries(state)) this.live.set(name, liveOf(structuredClone(st), this.opts.episode, this.opts.scorer));
  }

  /** Forgets the services on `partitions` (after a rebalance took them away); returns their names. */
  drop(partitions: ReadonlySet<number>): string[] {
    const gone: string[] = [];
    for (const [name, m] of this.live) {
      if (!partitions.has(m.st.partition)) continue;
      this.live.delete(name);
      gone.push(name);
    }
    return gone;
  }

  /** Forgets one service (evicted when idle); a later window of it starts from scratch. */
  forget(service: string): void {
    this.live.delete(service);
  }

  /** Whether `service` is inside an open episode. */
  inEpisode(service: string): boolean {
    return (this.live.get(service)?.st.episodeId ?? null) !== null;
  }

  /** Number of tracked services. */
  size(): number {
    return this.live.size;
  }
}

/**
 * The score of a window that two models scored (`seasonal`, `neural`): the
 * smaller of their two-sided p values, doubled for having asked two models
 * (Bonferroni), as a score. The larger of the two scores alone would alarm
 * about twice as often as either model.
 */
function eitherModel(seasonal: number, neural: number): number {
  const ln = Math.min(0, Math.min(lnTwoSided(seasonal, DEFAULT_SEASONAL_SCORER.z50), lnTwoSided(neural, NEURAL_Z50)) + Math.LN2);
  return deviationToScore(deviationOfLogTail(ln - Math.LN2), DEFAULT_SEASONAL_SCORER.z50);
}

/** The natural log of the two-sided normal p value of a score's deviation (module level: no closure per window). */
function lnTwoSided(score: number, z50: number): number {
  return Math.LN2 - normalTailDecades(scoreToDeviation(score, z50)) * Math.LN10;
}

/** Teaches a quiet window's deviations to the service's histories of them: each feature's and the joint one. */
function learnTails(m: Live): void {
  m.seasonal.learnTail();
  if (Number.isNaN(m.lastJoint)) return;
  m.joint.learn(0, m.lastJoint);
  m.joint.tick();
}

/**
 * The neural score under a recalibration: its deviation (the inverse of the
 * score mapping) divided by the spread factor of the feature that leads its
 * evidence, scored again. Unchanged without a calibration or evidence.
 */
function calibratedNeural(score: number, lead: Evidence | undefined, factors: Readonly<Record<string, number>> | undefined): number {
  if (!factors || lead === undefined || score <= 0) return score;
  const k = factorOf(factors, lead.feature, lead.deviation);
  return k === 1 ? score : deviationToScore(scoreToDeviation(score, NEURAL_Z50) / k, NEURAL_Z50);
}
