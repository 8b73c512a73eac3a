/**
 * A small dense autoencoder shared across services, over each service's
 * normalized feature vector (D values, e.g. z-scores against that service's
 * own running mean and deviation). It learns which combinations of features
 * occur together in normal windows; the reconstruction error of a window is
 * its raw neural anomaly score. Trained online in mini-batches sampled from a
 * bounded replay reservoir of recent normal rows; scored in one batched call
 * over all services. Pure: the TensorFlow.js namespace and the seeded RNG
 * are injected, weights are initialized from the RNG, and the state (weights,
 * reservoir, RNG) serializes to JSON.
 */
import type * as TF from '@tensorflow/tfjs';
import { createRng, type Rng } from '../rng.ts';

/** The TensorFlow.js namespace the model runs on (any backend). */
export type TfModule = typeof TF;

/** Settings of an {@link Autoencoder}. */
export interface AutoencoderConfig {
  /** Input width (features per row). */
  inputs: number;
  /** Hidden layer width. Default 8. */
  hidden: number;
  /** Bottleneck width. Default 4. */
  bottleneck: number;
  /** SGD learning rate. Default 0.05. */
  learningRate: number;
  /** Rows per mini-batch. Default 64. */
  batchSize: number;
  /** Rows held in the replay reservoir. Default 512. */
  reservoir: number;
  /** One training step per this many rows observed. Default 128. */
  trainEvery: number;
  /** Inputs are clipped to [-clip, clip] so one absurd value cannot blow up training. Default 6. */
  clip: number;
  /** Seed of the weight initialization and sampling. Default 7. */
  seed: number;
  /** Most training steps one {@link Autoencoder.observe} call takes (bounds the cost of a large fleet's round). Default 4. */
  maxStepsPerObserve: number;
}

/** Default autoencoder settings (inputs must be given). */
export const DEFAULT_AUTOENCODER: Omit<AutoencoderConfig, 'inputs'> = {
  hidden: 8,
  bottleneck: 4,
  learningRate: 0.05,
  batchSize: 64,
  reservoir: 512,
  trainEvery: 128,
  clip: 6,
  seed: 7,
  maxStepsPerObserve: 4,
};

/** Serializable state of an {@link Autoencoder}. */
export interface AutoencoderState {
  config: AutoencoderConfig;
  /** Weights and biases, layer by layer (W1, b1, W2, b2, W3, b3, W4, b4), row-major. */
  weights: number[][];
  /** Reservoir rows, flattened (`filled * inputs` values). */
  reservoir: number[];
  /** Rows observed so far (drives reservoir sampling and the training cadence). */
  seen: number;
  /** Training steps taken. */
  steps: number;
  rng: number;
}

function layerShapes(c: AutoencoderConfig): Array<[number, number]> {
  return [
    [c.inputs, c.hidden],
    [c.hidden, c.bottleneck],
    [c.bottleneck, c.hidden],
    [c.hidden, c.inputs],
  ];
}

/** Glorot-uniform weights and zero biases drawn from `rng`. */
function initialWeights(c: AutoencoderConfig, rng: Rng): number[][] {
  const out: number[][] = [];
  for (const [fanIn, fanOut] of layerShapes(c)) {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    out.push(Array.from({ length: fanIn * fanOut }, () => (rng.next() * 2 - 1) * limit));
    out.push(new Array<number>(fanOut).fill(0));
  }
  return out;
}

/** Shared online autoencoder; see the module comment. Call {@link Autoencoder.dispose} when done. */
export class Autoencoder {
  readonly config: AutoencoderConfig;
  private readonly vars: TF.Variable[];
  private readonly optimizer: TF.SGDOptimizer;
  private readonly rng: Rng;
  private readonly reservoir: Float32Array;
  private filled: number;
  private seen: number;
  private steps: number;

  constructor(
    private readonly tf: TfModule,
    config: Partial<AutoencoderConfig> & { inputs: number },
    state?: AutoencoderState,
  ) {
    this.config = { ...DEFAULT_AUTOENCODER, ...(state?.config ?? config) };
    const c = this.config;
    this.rng = createRng(c.seed, state?.rng);
    const weights = state?.weights ?? initialWeights(c, this.rng);
    const shapes = layerShapes(c);
    this.vars = weights.map((w, i) => {
      const [fanIn, fanOut] = shapes[i >> 1] as [number, number];
      return tf.variable(i % 2 === 0 ? tf.tensor2d(w, [fanIn, fanOut]) : tf.tensor1d(w), true);
    });
    this.optimizer = tf.train.sgd(c.learningRate);
    this.reservoir = new Float32Array(c.reservoir * c.inputs);
    const saved = state?.reservoir ?? [];
    this.reservoir.set(saved.slice(0, this.reservoir.length));
    this.filled = Math.min(Math.floor(saved.length / c.inputs), c.reservoir);
    this.seen = state?.seen ?? 0;
    this.steps = state?.steps ?? 0;
  }

  private clip(rows: Float32Array): Float32Array {
    const k = this.config.clip;
    const out = new Float32Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const x = rows[i] as number;
      out[i] = Number.isFinite(x) ? Math.min(Math.max(x, -k), k) : 0;
    }
    return out;
  }

  private forward(x: TF.Tensor2D): TF.Tensor2D {
    const tf = this.tf;
    const [w1, b1, w2, b2, w3, b3, w4, b4] = this.vars as [
      TF.Variable,
      TF.Variable,
      TF.Variable,
      TF.Variable,
      TF.Variable,
      TF.Variable,
      TF.Variable,
      TF.Variable,
    ];
    const h1 = tf.tanh(tf.add(tf.matMul(x, w1 as TF.Tensor2D), b1));
    const z = tf.tanh(tf.add(tf.matMul(h1, w2 as TF.Tensor2D), b2));
    const h2 = tf.tanh(tf.add(tf.matMul(z, w3 as TF.Tensor2D), b3));
    return tf.add(tf.matMul(h2, w4 as TF.Tensor2D), b4) as TF.Tensor2D;
  }

  /**
   * Reconstruction errors of `n` rows (`rows` holds `n * inputs` values,
   * row-major; the caller keeps ownership). Returns per row the squared
   * error summed over the inputs, and per row and input the reconstruction
   * (for evidence), in one batched call.
   */
  score(rows: Float32Array, n: number): { errors: Float32Array; reconstruction: Float32Array } {
    if (n === 0) return { errors: new Float32Array(0), reconstruction: new Float32Array(0) };
    const d = this.config.inputs;
    const x = this.clip(rows.subarray(0, n * d));
    // The tensor leaves tidy() and is read outside it: tidy() walks whatever it returns, element by element for a typed array.
    const out = this.tf.tidy(() => this.forward(this.tf.tensor2d(x, [n, d])));
    const recon = out.dataSync() as Float32Array;
    out.dispose();
    const errors = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      let e = 0;
      for (let j = 0; j < d; j++) {
        const diff = (x[r * d + j] as number) - (recon[r * d + j] as number);
        e += diff * diff;
      }
      errors[r] = e;
    }
    return { errors, reconstruction: recon };
  }

  /**
   * Observes `n` normal rows: each may enter the reservoir (reservoir
   * sampling), and one SGD step on a sampled mini-batch is taken per
   * `trainEvery` rows, at most `maxStepsPerObserve` per call. Returns the
   * number of steps taken.
   */
  observe(rows: Float32Array, n: number): number {
    const c = this.config;
    const d = c.inputs;
    const x = this.clip(rows.subarray(0, n * d));
    let steps = 0;
    for (let r = 0; r < n; r++) {
      this.seen++;
      let slot = -1;
      if (this.filled < c.reservoir) slot = this.filled++;
      else {
        const j = Math.floor(this.rng.next() * this.seen);
        if (j < c.reservoir) slot = j;
      }
      if (slot >= 0) this.reservoir.set(x.subarray(r * d, r * d + d), slot * d);
      if (this.seen % c.trainEvery === 0 && this.filled >= c.batchSize && steps < c.maxStepsPerObserve) {
        this.trainStep();
        steps++;
      }
    }
    return steps;
  }

  private trainStep(): void {
    const c = this.config;
    const d = c.inputs;
    const batch = new Float32Array(c.batchSize * d);
    for (let i = 0; i < c.batchSize; i++) {
      const k = Math.floor(this.rng.next() * this.filled);
      batch.set(this.reservoir.subarray(k * d, k * d + d), i * d);
    }
    const tf = this.tf;
    tf.tidy(() => {
      const xb = tf.tensor2d(batch, [c.batchSize, d]);
      this.optimizer.minimize(() => tf.mean(tf.square(tf.sub(this.forward(xb), xb))) as TF.Scalar, false, this.vars);
    });
    this.steps++;
  }

  /** Training steps taken so far. */
  get trainingSteps(): number {
    return this.steps;
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): AutoencoderState {
    return {
      config: { ...this.config },
      weights: this.vars.map((v) => Array.from(v.dataSync())),
      reservoir: Array.from(this.reservoir.subarray(0, this.filled * this.config.inputs)),
      seen: this.seen,
      steps: this.steps,
      rng: this.rng.getState(),
    };
  }

  /** Frees the tensors (the model is unusable afterwards). */
  dispose(): void {
    for (const v of this.vars) v.dispose();
    this.optimizer.dispose();
  }
}
