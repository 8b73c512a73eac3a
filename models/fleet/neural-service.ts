/**
 * One service's part of the neural scorer (see neural-scorer.ts): the layout
 * of its windows as fixed-width vectors, their per-service normalization,
 * and the calibration of reconstruction residuals against the service's own
 * history.
 */
import { type FeatureRows, singleRow } from './feature-rows.ts';
import type { Evidence, FeatureVector } from './outputs.ts';
import { ruleFor } from './seasonal-scorer.ts';
import { TailCalibration } from './tail-calibration.ts';

/** Fixed slots of the vector; `metric` slots are assigned per service in order of first appearance. */
export const FIXED_SLOTS = [
  'request_rate',
  'error_ratio',
  'latency_p50_ms',
  'latency_p95_ms',
  'latency_p99_ms',
  'log_warn_rate',
  'log_error_rate',
  'log_fatal_rate',
] as const;
/** Metric slots per service. */
export const METRIC_SLOTS = 4;
/** Width of the vector. */
export const NEURAL_INPUTS = FIXED_SLOTS.length + METRIC_SLOTS;

const NORM_ALPHA = 0.05;
const RESIDUAL_ALPHA = 0.05;
/** Smallest typical residual assumed for a slot (normalized units): the model's best slots are not held to their luck. */
const RESIDUAL_FLOOR = 0.1;
/** Largest residual, in typical residuals, that a normal window teaches the calibration (winsorized scale estimate). */
const RESIDUAL_CLIP = 3;
/** Windows of a service before its neural score counts. */
const SERVICE_WARMUP = 20;

/** Serializable per-service part of the neural scorer. */
export interface NeuralServiceState {
  metrics: string[];
  mean: number[];
  variance: number[];
  n: number;
  /** Per slot, the exponentially weighted mean squared reconstruction residual of normal windows. */
  residualVar: number[];
  /** Normal windows learned into `residualVar`. */
  residualN: number;
  /** Largest calibrated residual of the previous window (the score is of the mean of it and this window's). */
  last: number;
  /** History of the window statistic the score is of (tail-calibration.ts); absent in older checkpoints. */
  tail?: number[];
}

const MEAN = 0;
const VARIANCE = NEURAL_INPUTS;
const RESIDUAL = 2 * NEURAL_INPUTS;
/** Per slot its absolute deviation floor, then per slot its relative one. */
const ABS_FLOOR = 0;
const REL_FLOOR = NEURAL_INPUTS;

/** The floors every service shares: the fixed slots' rules, and the rule of metric features for the metric slots. */
const SHARED_FLOORS = new Float64Array(2 * NEURAL_INPUTS);
for (let j = 0; j < NEURAL_INPUTS; j++) {
  const rule = ruleFor(j < FIXED_SLOTS.length ? (FIXED_SLOTS[j] as string) : 'metric:');
  SHARED_FLOORS[ABS_FLOOR + j] = rule.absFloor;
  SHARED_FLOORS[REL_FLOOR + j] = rule.relFloor;
}
const FIXED_INDEX = new Map<string, number>(FIXED_SLOTS.map((name, j) => [name, j]));
/** Slot of `request_rate`, bad only downward. */
const REQUEST_RATE_SLOT = FIXED_SLOTS.indexOf('request_rate');
/** Feature keys of a window whose slots a service remembers (windows list their features in a stable order). */
const KEY_MEMORY = 48;

function floats(values: readonly number[] | undefined): Float64Array {
  const out = new Float64Array(NEURAL_INPUTS);
  if (values) out.set(values.slice(0, NEURAL_INPUTS));
  return out;
}

/**
 * The neural scorer's state of one service, live: slot names and their
 * deviation floors resolved once, statistics in typed arrays. Converts to
 * and from {@link NeuralServiceState} for checkpoints.
 */
export class NeuralService {
  private readonly metrics: string[];
  /** Feature name per slot (`undefined` for an unassigned metric slot). */
  private readonly names: Array<string | undefined>;
  /** Per slot its running mean, then per slot its variance, then per slot its residual variance: one block, so that a window touches one stretch of memory. */
  private readonly stats = new Float64Array(3 * NEURAL_INPUTS);
  /** Deviation floors per slot: the shared ones, unless a slot's feature has a rule of its own. */
  private floors = SHARED_FLOORS;
  private n: number;
  private residualN: number;
  /** The feature keys of the last window in order, and the slot of each (-1: none): a window in the same order is laid out without lookups. */
  private readonly keys: string[] = [];
  private readonly keySlots = new Int8Array(KEY_MEMORY);
  /** Largest calibrated residual of the previous window. */
  last: number;
  /** How far the window statistic (mean of this and the last window's largest residual) usually goes, and its last value (NaN: not scored). */
  private readonly tail: TailCalibration;
  private lastStat = Number.NaN;

  constructor(state?: NeuralServiceState) {
    this.tail = new TailCalibration(1, state?.tail);
    this.metrics = (state?.metrics ?? []).slice(0, METRIC_SLOTS);
    this.names = new Array<string | undefined>(NEURAL_INPUTS).fill(undefined);
    for (let j = 0; j < NEURAL_INPUTS; j++) this.assign(j, j < FIXED_SLOTS.length ? FIXED_SLOTS[j] : this.metrics[j - FIXED_SLOTS.length]);
    this.stats.set(floats(state?.mean), MEAN);
    this.stats.set(floats(state?.variance), VARIANCE);
    this.stats.set(floats(state?.residualVar), RESIDUAL);
    this.n = state?.n ?? 0;
    this.residualN = state?.residualN ?? 0;
    this.last = state?.last ?? 0;
  }

  private assign(j: number, name: string | undefined): void {
    this.names[j] = name;
    const rule = ruleFor(name ?? '');
    if (this.floors[ABS_FLOOR + j] === rule.absFloor && this.floors[REL_FLOOR + j] === rule.relFloor) return;
    if (this.floors === SHARED_FLOORS) this.floors = SHARED_FLOORS.slice();
    this.floors[ABS_FLOOR + j] = rule.absFloor;
    this.floors[REL_FLOOR + j] = rule.relFloor;
  }

  /** Slot of feature `name`; a metric feature gets a free metric slot on first sight (in order of appearance). */
  private slotOf(name: string): number {
    const fixed = FIXED_INDEX.get(name);
    if (fixed !== undefined) return fixed;
    if (!name.startsWith('metric:')) return -1;
    const m = this.metrics.indexOf(name);
    if (m >= 0) return FIXED_SLOTS.length + m;
    if (this.metrics.length >= METRIC_SLOTS) return -1;
    this.metrics.push(name);
    this.assign(FIXED_SLOTS.length + this.metrics.length - 1, name);
    return FIXED_SLOTS.length + this.metrics.length - 1;
  }

  /**
   * Writes the raw slot values of `features` into `raw` and their
   * normalized vector into `out`, both at `offset` (a missing feature is 0).
   * Metric slots are assigned on first sight.
   */
  normalize(features: FeatureVector, raw: Float64Array, out: Float32Array, offset: number): void {
    this.normalizeRow(singleRow(features), 0, raw, out, offset);
  }

  /** {@link NeuralService.normalize} of row `r` of `rows` (the window's features read once, see feature-rows.ts). */
  normalizeRow(rows: FeatureRows, r: number, raw: Float64Array, out: Float32Array, offset: number): void {
    // A loop: cheaper than a fill call for a dozen numbers.
    for (let j = offset; j < offset + NEURAL_INPUTS; j++) raw[j] = 0;
    let k = 0;
    const names = rows.names;
    const values = rows.values;
    for (let p = rows.from(r), end = rows.to(r); p < end; p++) {
      const name = names[p] as string;
      let slot: number;
      if (this.keys[k] === name) slot = this.keySlots[k] as number;
      else {
        slot = this.slotOf(name);
        if (k < KEY_MEMORY) {
          this.keys[k] = name;
          this.keySlots[k] = slot;
        }
      }
      if (slot >= 0) raw[offset + slot] = values[p] as number;
      k++;
    }
    if (k < this.keys.length) this.keys.length = k;
    const st = this.stats;
    const fl = this.floors;
    for (let j = 0; j < NEURAL_INPUTS; j++) {
      const x = raw[offset + j] as number;
      const mean = st[MEAN + j] as number;
      const std = Math.max(Math.sqrt(st[VARIANCE + j] as number), fl[ABS_FLOOR + j] as number, (fl[REL_FLOOR + j] as number) * Math.abs(mean));
      out[offset + j] = this.n === 0 || !Number.isFinite(x) ? 0 : (x - mean) / std;
    }
  }

  /** Learns the raw slot values at `offset` of `raw` (written by {@link NeuralService.normalize}) into the normalization; call for normal windows only. */
  learnNormalization(raw: Float64Array, offset: number): void {
    const slots = FIXED_SLOTS.length + this.metrics.length;
    this.n++;
    const a = Math.max(NORM_ALPHA, 1 / this.n);
    const st = this.stats;
    for (let j = 0; j < slots; j++) {
      const x = raw[offset + j] as number;
      if (!Number.isFinite(x)) continue;
      const d = x - (st[MEAN + j] as number);
      st[MEAN + j] = (st[MEAN + j] as number) + a * d;
      st[VARIANCE + j] = (1 - a) * ((st[VARIANCE + j] as number) + a * d * d);
    }
  }

  /** Whether the normalization has seen enough windows for this service's rows to train the shared model. */
  get settled(): boolean {
    return this.n >= SERVICE_WARMUP;
  }

  /** Whether enough normal windows calibrated the residuals for the neural score to count. */
  get calibrated(): boolean {
    return this.residualN >= SERVICE_WARMUP;
  }

  /** Forgets the residual calibration (a new shared model reconstructs differently): relearned over the next normal windows. */
  recalibrate(): void {
    this.stats.fill(0, RESIDUAL, RESIDUAL + NEURAL_INPUTS);
    this.residualN = 0;
    this.last = 0;
  }

  /** Typical residual of slot `j` (normalized units, at least {@link RESIDUAL_FLOOR}). */
  typicalResidual(j: number): number {
    return Math.max(Math.sqrt(this.stats[RESIDUAL + j] as number), RESIDUAL_FLOOR);
  }

  /**
   * Largest calibrated residual of row `i` of a scored batch. The
   * `request_rate` slot counts only below its reconstruction (see the
   * seasonal scorer's `FeatureRule`: more requests than expected are demand).
   */
  worstResidual(rows: Float32Array, reconstruction: Float32Array, i: number): number {
    let worst = 0;
    for (let j = 0; j < NEURAL_INPUTS; j++) {
      const k = i * NEURAL_INPUTS + j;
      const r = (rows[k] as number) - (reconstruction[k] as number);
      const z = (j === REQUEST_RATE_SLOT ? Math.max(0, -r) : Math.abs(r)) / this.typicalResidual(j);
      if (z > worst) worst = z;
    }
    return worst;
  }

  /**
   * Learns row `i` of a scored batch (a window judged normal) into the
   * service's typical residuals. Once calibrated, a residual counts at most
   * {@link RESIDUAL_CLIP} typical residuals: the first window of an anomaly
   * often still passes as normal, and unclipped it would inflate the scale
   * that the rest of the anomaly is then judged against.
   */
  learnResiduals(rows: Float32Array, reconstruction: Float32Array, i: number): void {
    const robust = this.calibrated;
    this.residualN++;
    const a = Math.max(RESIDUAL_ALPHA, 1 / this.residualN);
    for (let j = 0; j < NEURAL_INPUTS; j++) {
      const k = i * NEURAL_INPUTS + j;
      let r = Math.abs((rows[k] as number) - (reconstruction[k] as number));
      if (!Number.isFinite(r)) continue;
      if (robust) r = Math.min(r, RESIDUAL_CLIP * this.typicalResidual(j));
      this.stats[RESIDUAL + j] = (1 - a) * (this.stats[RESIDUAL + j] as number) + a * r * r;
    }
  }

  /** The slots of row `i` with the largest calibrated residuals, strongest first. */
  evidence(features: FeatureVector, rows: Float32Array, recon: Float32Array, i: number): Evidence[] {
    const ranked: Evidence[] = [];
    for (let j = 0; j < FIXED_SLOTS.length + this.metrics.length; j++) {
      const name = this.names[j] as string;
      const k = i * NEURAL_INPUTS + j;
      const deviation = ((rows[k] as number) - (recon[k] as number)) / this.typicalResidual(j);
      ranked.push({ feature: name, observed: features[name] ?? 0, expected: this.stats[MEAN + j] as number, deviation });
    }
    ranked.sort((p, q) => Math.abs(q.deviation) - Math.abs(p.deviation));
    return ranked.slice(0, 3);
  }

  /** The window statistic `z` judged by how often it went that far before (see tail-calibration.ts); remembered for {@link NeuralService.learnTail}. */
  calibrate(z: number): number {
    this.lastStat = z;
    return this.tail.calibrate(0, z);
  }

  /** Adds the last scored window's statistic to its history when `learn` (not in an ongoing episode); forgets it either way. */
  learnTail(learn: boolean): void {
    const z = this.lastStat;
    this.lastStat = Number.NaN;
    if (!learn || !Number.isFinite(z)) return;
    this.tail.learn(0, z);
    this.tail.tick();
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): NeuralServiceState {
    return {
      metrics: [...this.metrics],
      mean: Array.from(this.stats.subarray(MEAN, MEAN + NEURAL_INPUTS)),
      variance: Array.from(this.stats.subarray(VARIANCE, VARIANCE + NEURAL_INPUTS)),
      n: this.n,
      residualVar: Array.from(this.stats.subarray(RESIDUAL, RESIDUAL + NEURAL_INPUTS)),
      residualN: this.residualN,
      last: this.last,
      tail: this.tail.toJSON(1),
    };
  }
}
