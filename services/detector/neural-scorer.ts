/**
 * The neural half of the scoring path: lays each service's window out as a
 * fixed-width vector (RED, error-ish log rates, the service's first metric
 * features), normalizes it per service (running mean and deviation of that
 * service), scores all services of a round in one batched autoencoder call,
 * and turns each reconstruction error into a score against that service's
 * own error history.
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
const ERR_ALPHA = 0.05;
/** Windows of a service before its neural score counts. */
const SERVICE_WARMUP = 20;
/** Training steps of the shared model before any neural score counts. */
const MODEL_WARMUP = 20;
/** Deviation of a reconstruction error (in max(deviation, mean) units) that scores 0.5. */
const NEURAL_Z50 = 8;

/** Serializable per-service part of the neural scorer. */
export interface NeuralServiceState {
  metrics: string[];
  mean: number[];
  variance: number[];
  n: number;
  errMean: number;
  errVar: number;
}

/** A fresh per-service state. */
export function newNeuralServiceState(): NeuralServiceState {
  return { metrics: [], mean: new Array(NEURAL_INPUTS).fill(0), variance: new Array(NEURAL_INPUTS).fill(0), n: 0, errMean: 0, errVar: 0 };
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
  /** Slots with the largest reconstruction residuals (filled when the score is >= 0.5). */
  evidence: Evidence[];
  /** Raw reconstruction error (squared, summed over the slots). */
  error: number;
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
   */
  scoreBatch(rows: Float32Array, states: NeuralServiceState[], features: FeatureVector[]): NeuralScore[] {
    const n = states.length;
    const { errors, reconstruction } = this.model.score(rows, n);
    const warm = this.model.trainingSteps >= MODEL_WARMUP;
    const out: NeuralScore[] = [];
    for (let i = 0; i < n; i++) {
      const s = states[i] as NeuralServiceState;
      const e = errors[i] as number;
      let score = 0;
      const evidence: Evidence[] = [];
      if (warm && s.n >= SERVICE_WARMUP) {
        // Reconstruction errors are heavy-tailed and the shared weights keep moving: only errors far above the
        // service's usual ones count (score 0.5 at mean + NEURAL_Z50 x max(deviation, mean)).
        const std = Math.max(Math.sqrt(s.errVar), s.errMean, 0.05);
        score = deviationToScore((e - s.errMean) / std, NEURAL_Z50);
        if (score >= 0.5) evidence.push(...this.evidenceOf(s, features[i] as FeatureVector, rows, reconstruction, i));
      }
      out.push({ score, evidence, error: e });
    }
    return out;
  }

  /** Updates a service's reconstruction-error history with a normal window's error. */
  static learnError(s: NeuralServiceState, error: number): void {
    if (!Number.isFinite(error)) return;
    const a = Math.max(ERR_ALPHA, 1 / Math.max(s.n, 1));
    const d = error - s.errMean;
    s.errMean += a * d;
    s.errVar = (1 - a) * (s.errVar + a * d * d);
  }

  private evidenceOf(s: NeuralServiceState, features: FeatureVector, rows: Float32Array, recon: Float32Array, i: number): Evidence[] {
    const names = slotNames(s);
    const ranked: Evidence[] = [];
    for (let j = 0; j < names.length; j++) {
      const k = i * NEURAL_INPUTS + j;
      const residual = (rows[k] as number) - (recon[k] as number);
      ranked.push({ feature: names[j] as string, observed: features[names[j] as string] ?? 0, expected: s.mean[j] as number, deviation: residual });
    }
    ranked.sort((p, q) => Math.abs(q.deviation) - Math.abs(p.deviation));
    return ranked.slice(0, 3);
  }
}
