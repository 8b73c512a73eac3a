/**
 * A small dense autoencoder shared across services, over each service's
 * normalized feature vector (D values, e.g. z-scores against that service's
 * own running mean and deviation). It learns which combinations of features
 * occur together in normal windows; the reconstruction error of a window is
 * its raw neural anomaly score. Trained online with Adam in mini-batches
 * sampled from a bounded replay buffer of recent normal rows; scored in one
 * batched call over all services. Pure: the TensorFlow.js namespace and the
 * seeded RNG are injected, weights are initialized from the RNG, and the
 * state (weights, Adam moments, replay buffer, RNG) serializes to JSON.
 */
import type * as TF from '@tensorflow/tfjs';
import { createRng, type Rng } from '../stats/index.ts';
import { type AutoencoderConfig, type AutoencoderState, DEFAULT_AUTOENCODER, initialWeights, layerShapes } from './autoencoder-config.ts';

/** The TensorFlow.js namespace the model runs on (any backend). */
export type TfModule = typeof TF;

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-7;

/** Shared online autoencoder; see the module comment. Call {@link Autoencoder.dispose} when done. */
export class Autoencoder {
  readonly config: AutoencoderConfig;
  private readonly vars: TF.Variable[];
  /** The weights as the variables hold them, flattened in `vars` order (Adam updates them here, then writes them back). */
  private readonly w: Float32Array;
  /** Adam's first and second moments, flattened like `w`. */
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private readonly rng: Rng;
  private readonly reservoir: Float32Array;
  private filled: number;
  private seen: number;
  private rowsPerCall: number;
  private steps: number;
  private scratch = new Float32Array(0);

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
    this.w = Float32Array.from(weights.flat());
    this.m = Float64Array.from(state?.moments?.m.flat() ?? new Array<number>(this.w.length).fill(0));
    this.v = Float64Array.from(state?.moments?.v.flat() ?? new Array<number>(this.w.length).fill(0));
    this.reservoir = new Float32Array(c.reservoir * c.inputs);
    const saved = state?.reservoir ?? [];
    this.reservoir.set(saved.slice(0, this.reservoir.length));
    this.filled = Math.min(Math.floor(saved.length / c.inputs), c.reservoir);
    this.seen = state?.seen ?? 0;
    this.rowsPerCall = state?.rowsPerCall ?? 0;
    this.steps = state?.steps ?? 0;
  }

  /** `rows` clipped into a scratch buffer that the next call reuses. */
  private clip(rows: Float32Array): Float32Array {
    const k = this.config.clip;
    if (this.scratch.length < rows.length) this.scratch = new Float32Array(rows.length);
    const out = this.scratch.subarray(0, rows.length);
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
   * Reconstructions of `n` rows (`rows` holds `n * inputs` values, row-major;
   * the caller keeps ownership), in one batched call: `n * inputs` values,
   * row-major, owned by the caller.
   */
  reconstruct(rows: Float32Array, n: number): Float32Array {
    if (n === 0) return new Float32Array(0);
    const d = this.config.inputs;
    const x = this.clip(rows.subarray(0, n * d));
    // The tensor leaves tidy() and is read outside it: tidy() walks whatever it returns, element by element for a typed array.
    const out = this.tf.tidy(() => this.forward(this.tf.tensor2d(x, [n, d])));
    const recon = out.dataSync() as Float32Array;
    out.dispose();
    return recon;
  }

  /**
   * Reconstruction errors of `n` rows (`rows` holds `n * inputs` values,
   * row-major; the caller keeps ownership). Returns per row the squared
   * error summed over the inputs, and per row and input the reconstruction
   * (for evidence), in one batched call.
   */
  score(rows: Float32Array, n: number): { errors: Float32Array; reconstruction: Float32Array } {
    const d = this.config.inputs;
    const x = this.clip(rows.subarray(0, n * d));
    const recon = this.reconstruct(x, n);
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
   * Observes `n` normal rows: they fill the replay buffer, then enter it at
   * the rate that renews it over `replayHorizon` calls (each replacing a
   * random row). Then takes one Adam step on a mini-batch sampled from the
   * buffer per `trainEvery` rows, at most `maxStepsPerObserve` per call
   * (`youngStepsPerObserve` per call while the model is young), once the
   * buffer holds a batch. Returns the number of steps taken.
   */
  observe(rows: Float32Array, n: number): number {
    if (n <= 0) return 0;
    const c = this.config;
    const d = c.inputs;
    const x = this.clip(rows.subarray(0, n * d));
    this.rowsPerCall = this.rowsPerCall === 0 ? n : 0.9 * this.rowsPerCall + 0.1 * n;
    const admit = Math.min(1, c.reservoir / (c.replayHorizon * this.rowsPerCall));
    for (let r = 0; r < n; r++) {
      // Until the buffer is full every row enters; then rows replace random ones at the renewal rate.
      if (this.filled < c.reservoir) this.reservoir.set(x.subarray(r * d, r * d + d), this.filled++ * d);
      else if (this.rng.next() < admit) this.reservoir.set(x.subarray(r * d, r * d + d), Math.floor(this.rng.next() * c.reservoir) * d);
    }
    const due = Math.floor((this.seen + n) / c.trainEvery) - Math.floor(this.seen / c.trainEvery);
    this.seen += n;
    if (this.filled < Math.min(c.batchSize, c.reservoir)) return 0;
    const steps = this.steps < c.youngSteps ? c.youngStepsPerObserve : Math.min(due, c.maxStepsPerObserve);
    for (let k = 0; k < steps; k++) this.trainStep();
    return steps;
  }

  /** One Adam step on a mini-batch sampled from the replay buffer (the update is written out so its moments serialize). */
  private trainStep(): void {
    const c = this.config;
    const d = c.inputs;
    const batch = new Float32Array(c.batchSize * d);
    for (let i = 0; i < c.batchSize; i++) {
      const k = Math.floor(this.rng.next() * this.filled);
      batch.set(this.reservoir.subarray(k * d, k * d + d), i * d);
    }
    const tf = this.tf;
    const flat = tf.tidy(() => {
      const xb = tf.tensor2d(batch, [c.batchSize, d]);
      const { grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(this.forward(xb), xb))) as TF.Scalar, this.vars);
      return tf.concat(this.vars.map((v) => tf.reshape(grads[v.name] as TF.Tensor, [-1])));
    });
    const g = flat.dataSync() as Float32Array;
    flat.dispose();
    this.steps++;
    this.adam(g);
    this.writeWeights();
  }

  /** Copies the flattened weights into the variables. */
  private writeWeights(): void {
    const tf = this.tf;
    let at = 0;
    for (const v of this.vars) {
      const size = v.size;
      const values = this.w.subarray(at, at + size);
      at += size;
      tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
    }
  }

  /**
   * Moves the weights and Adam moments `share` of the way toward those of
   * `other`, a copy of the same model trained elsewhere: federated averaging
   * of replicas that each train the shared model on their own services. The
   * replay buffer, step count and RNG stay this model's. Returns false, and
   * changes nothing, when `other` has another architecture.
   */
  blend(other: AutoencoderState, share = 0.5): boolean {
    const c = this.config;
    const o = other.config;
    if (o.inputs !== c.inputs || o.hidden !== c.hidden || o.bottleneck !== c.bottleneck) return false;
    const towards = (own: Float32Array | Float64Array, theirs: number[][] | undefined): void => {
      const flat = theirs?.flat();
      if (flat?.length !== own.length) return;
      for (let i = 0; i < own.length; i++) own[i] = (own[i] as number) + share * ((flat[i] as number) - (own[i] as number));
    };
    if (other.weights.flat().length !== this.w.length) return false;
    towards(this.w, other.weights);
    towards(this.m, other.moments?.m);
    towards(this.v, other.moments?.v);
    this.writeWeights();
    return true;
  }

  /** Adam (Kingma & Ba) on the flattened weights, in plain arithmetic: its moments are ordinary numbers that serialize. */
  private adam(g: Float32Array): void {
    const t = this.steps;
    const step = (this.config.learningRate * Math.sqrt(1 - BETA2 ** t)) / (1 - BETA1 ** t);
    const { w, m, v } = this;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i] as number;
      if (!Number.isFinite(gi)) continue;
      const mi = BETA1 * (m[i] as number) + (1 - BETA1) * gi;
      const vi = BETA2 * (v[i] as number) + (1 - BETA2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      w[i] = (w[i] as number) - (step * mi) / (Math.sqrt(vi) + EPSILON);
    }
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
      moments: { m: this.split(this.m), v: this.split(this.v) },
      reservoir: Array.from(this.reservoir.subarray(0, this.filled * this.config.inputs)),
      seen: this.seen,
      rowsPerCall: this.rowsPerCall,
      steps: this.steps,
      rng: this.rng.getState(),
    };
  }

  /** `flat` cut into per-variable arrays (the layout of {@link AutoencoderState.weights}). */
  private split(flat: Float64Array): number[][] {
    let at = 0;
    return this.vars.map((v) => {
      const part = Array.from(flat.subarray(at, at + v.size));
      at += v.size;
      return part;
    });
  }

  /** Frees the tensors (the model is unusable afterwards). */
  dispose(): void {
    for (const v of this.vars) v.dispose();
  }
}
