/**
 * The neural half of the scoring path: lays each service's window out as a
 * fixed-width vector (RED, error-ish log rates, the service's first metric
 * features), normalizes it per service (running mean and deviation of that
 * service), scores all services of a round in one batched autoencoder call,
 * and calibrates each window's reconstruction against that service's own
 * history: per slot, the residual is judged in units of the typical residual
 * of that slot for that service (an exponentially weighted RMS over its
 * normal windows). The shared model reconstructs some slots of some services
 * much better than others, and its weights keep moving; a raw error level
 * means nothing across services, an improbable residual does. The score is
 * of the mean of the largest residuals of this window and the previous one,
 * so that one window of reconstruction noise cannot open an episode alone.
 */
import { Autoencoder, type AutoencoderState, type TfModule } from '../../models/multivariate/autoencoder.ts';
import type { Evidence } from '../bus/messages.ts';
import { deviationToScore, ruleFor } from './seasonal-scorer.ts';
import type { FeatureVector } from './window-features.ts';

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
/** Windows of a service before its neural score counts. */
const SERVICE_WARMUP = 20;
/** Training steps of the shared model before any neural score counts. */
const MODEL_WARMUP = 20;
/** Residual of a slot, in typical residuals of that slot, that scores 0.5. */
const NEURAL_Z50 = 3.6;

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
}

/** A fresh per-service state. */
export function newNeuralServiceState(): NeuralServiceState {
  return {
    metrics: [],
    mean: new Array(NEURAL_INPUTS).fill(0),
    variance: new Array(NEURAL_INPUTS).fill(0),
    n: 0,
    residualVar: new Array(NEURAL_INPUTS).fill(0),
    residualN: 0,
    last: 0,
  };
}

/** Feature name of slot `j` of a service (undefined for an unassigned metric slot). */
function slotName(s: NeuralServiceState, j: number): string | undefined {
  return j < FIXED_SLOTS.length ? FIXED_SLOTS[j] : s.metrics[j - FIXED_SLOTS.length];
}

function slotNames(s: NeuralServiceState): string[] {
  return [...FIXED_SLOTS, ...s.metrics];
}

/** Writes the normalized vector of `features` into `out` at `offset`; assigns metric slots on first sight. */
export function normalize(s: NeuralServiceState, features: FeatureVector, out: Float32Array, offset: number): void {
  if (s.metrics.length < METRIC_SLOTS) {
    for (const name in features) {
      if (name.startsWith('metric:') && !s.metrics.includes(name) && s.metrics.length < METRIC_SLOTS) s.metrics.push(name);
    }
  }
  for (let j = 0; j < NEURAL_INPUTS; j++) {
    const name = slotName(s, j);
    const x = name === undefined ? 0 : (features[name] ?? 0);
    const mean = s.mean[j] as number;
    const rule = ruleFor(name ?? '');
    const std = Math.max(Math.sqrt(s.variance[j] as number), rule.absFloor, rule.relFloor * Math.abs(mean));
    out[offset + j] = s.n === 0 || !Number.isFinite(x) ? 0 : (x - mean) / std;
  }
}

/** Learns `features` into the service's normalization (call for normal windows only). */
export function learnNormalization(s: NeuralServiceState, features: FeatureVector): void {
  const slots = FIXED_SLOTS.length + s.metrics.length;
  s.n++;
  const a = Math.max(NORM_ALPHA, 1 / s.n);
  for (let j = 0; j < slots; j++) {
    const x = features[slotName(s, j) as string] ?? 0;
    if (!Number.isFinite(x)) continue;
    const d = x - (s.mean[j] as number);
    s.mean[j] = (s.mean[j] as number) + a * d;
    s.variance[j] = (1 - a) * ((s.variance[j] as number) + a * d * d);
  }
}

/** Neural result of one window. */
export interface NeuralScore {
  /** In [0, 1]; 0 while the service or the shared model is warming up. */
  score: number;
  /** Slots with the largest calibrated residuals (filled when the score is >= 0.5). */
  evidence: Evidence[];
}

/** Neural results of a batch, and the reconstruction they came from (for {@link NeuralScorer.learnResiduals}). */
export interface NeuralBatch {
  scores: NeuralScore[];
  /** `n * NEURAL_INPUTS` reconstructed values, row-major. */
  reconstruction: Float32Array;
}

function typicalResidual(s: NeuralServiceState, j: number): number {
  return Math.max(Math.sqrt(s.residualVar[j] as number), RESIDUAL_FLOOR);
}

/** Wraps the shared autoencoder for batched per-service scoring. */
export class NeuralScorer {
  readonly model: Autoencoder;

  constructor(tf: TfModule, state?: AutoencoderState, seed = 7) {
    this.model = new Autoencoder(tf, { inputs: NEURAL_INPUTS, seed }, state);
  }

  /**
   * Scores `n` rows (normalized by {@link normalize}) of the given services'
   * states in one batched call (`features` are the raw windows, for evidence).
   * Advances each service's corroboration state (`last`).
   */
  scoreBatch(rows: Float32Array, states: NeuralServiceState[], features: FeatureVector[]): NeuralBatch {
    const n = states.length;
    const { reconstruction } = this.model.score(rows, n);
    const warm = this.model.trainingSteps >= MODEL_WARMUP;
    const scores: NeuralScore[] = [];
    for (let i = 0; i < n; i++) {
      const s = states[i] as NeuralServiceState;
      let score = 0;
      let evidence: Evidence[] = [];
      if (warm && s.residualN >= SERVICE_WARMUP) {
        let worst = 0;
        for (let j = 0; j < NEURAL_INPUTS; j++) {
          const k = i * NEURAL_INPUTS + j;
          const z = Math.abs((rows[k] as number) - (reconstruction[k] as number)) / typicalResidual(s, j);
          if (z > worst) worst = z;
        }
        score = deviationToScore((worst + s.last) / 2, NEURAL_Z50);
        s.last = worst;
        if (score >= 0.5) evidence = this.evidenceOf(s, features[i] as FeatureVector, rows, reconstruction, i);
      }
      scores.push({ score, evidence });
    }
    return { scores, reconstruction };
  }

  /** Whether the service's normalization has seen enough windows for its rows to train the shared model. */
  static settled(s: NeuralServiceState): boolean {
    return s.n >= SERVICE_WARMUP;
  }

  /** Learns row `i` of a scored batch (a normal window of service `s`) into that service's typical residuals. */
  static learnResiduals(s: NeuralServiceState, rows: Float32Array, reconstruction: Float32Array, i: number): void {
    s.residualN++;
    const a = Math.max(RESIDUAL_ALPHA, 1 / s.residualN);
    for (let j = 0; j < NEURAL_INPUTS; j++) {
      const k = i * NEURAL_INPUTS + j;
      const r = (rows[k] as number) - (reconstruction[k] as number);
      if (Number.isFinite(r)) s.residualVar[j] = (1 - a) * (s.residualVar[j] as number) + a * r * r;
    }
  }

  private evidenceOf(s: NeuralServiceState, features: FeatureVector, rows: Float32Array, recon: Float32Array, i: number): Evidence[] {
    const names = slotNames(s);
    const ranked: Evidence[] = [];
    for (let j = 0; j < names.length; j++) {
      const k = i * NEURAL_INPUTS + j;
      const deviation = ((rows[k] as number) - (recon[k] as number)) / typicalResidual(s, j);
      ranked.push({ feature: names[j] as string, observed: features[names[j] as string] ?? 0, expected: s.mean[j] as number, deviation });
    }
    ranked.sort((p, q) => Math.abs(q.deviation) - Math.abs(p.deviation));
    return ranked.slice(0, 3);
  }
}
