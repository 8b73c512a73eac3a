/**
 * Settings, saved state and initial weights of the fleet autoencoder
 * (autoencoder.ts).
 */
import type { Rng } from '../stats/index.ts';

/** Settings of an {@link Autoencoder}. */
export interface AutoencoderConfig {
  /** Input width (features per row). */
  inputs: number;
  /** Hidden layer width. Default 8. */
  hidden: number;
  /** Bottleneck width. Default 4. */
  bottleneck: number;
  /** Adam step size. Default 0.005. */
  learningRate: number;
  /** Rows per mini-batch. Default 512 (a step costs about the same whatever its batch: kernel calls dominate). */
  batchSize: number;
  /** Rows held in the replay buffer. Default 4096. */
  reservoir: number;
  /**
   * Mean number of {@link Autoencoder.observe} calls a row stays in the
   * replay buffer: rows are admitted at a rate that replaces the buffer
   * over about this many calls whatever their size, so that the model
   * follows the current normal (and the current per-service normalization)
   * instead of a sample of all history. Default 30.
   */
  replayHorizon: number;
  /** One training step per this many rows observed (counted across calls). Default 2048. */
  trainEvery: number;
  /** Inputs are clipped to [-clip, clip] so one absurd value cannot blow up training. Default 6. */
  clip: number;
  /** Seed of the weight initialization and sampling. Default 7. */
  seed: number;
  /** Most training steps one {@link Autoencoder.observe} call takes (bounds the cost of a large fleet's round). Default 4. */
  maxStepsPerObserve: number;
  /**
   * A young model (fewer than `youngSteps` steps taken) takes
   * `youngStepsPerObserve` steps per call whatever the rows: it converges
   * first (a cost paid once per model, which checkpoints carry over
   * restarts), then only tracks drift. Defaults 500 and 8.
   */
  youngSteps: number;
  youngStepsPerObserve: number;
}

/** Default autoencoder settings (inputs must be given). */
export const DEFAULT_AUTOENCODER: Omit<AutoencoderConfig, 'inputs'> = {
  hidden: 8,
  bottleneck: 4,
  learningRate: 0.005,
  batchSize: 512,
  reservoir: 4096,
  replayHorizon: 30,
  trainEvery: 2048,
  clip: 6,
  seed: 7,
  maxStepsPerObserve: 4,
  youngSteps: 500,
  youngStepsPerObserve: 8,
};

/** Serializable state of an {@link Autoencoder}. */
export interface AutoencoderState {
  config: AutoencoderConfig;
  /** Weights and biases, layer by layer (W1, b1, W2, b2, W3, b3, W4, b4), row-major. */
  weights: number[][];
  /** Adam's first and second moments, per weight array in `weights` order (absent: zeros). */
  moments?: { m: number[][]; v: number[][] };
  /** Replay buffer rows, flattened (`filled * inputs` values). */
  reservoir: number[];
  /** Rows observed so far (drives the training cadence). */
  seen: number;
  /** Smoothed rows per {@link Autoencoder.observe} call (drives admission to the replay buffer). */
  rowsPerCall?: number;
  /** Training steps taken. */
  steps: number;
  rng: number;
}

/** Weight matrix shapes [fan-in, fan-out] of the four dense layers. */
export function layerShapes(c: AutoencoderConfig): Array<[number, number]> {
  return [
    [c.inputs, c.hidden],
    [c.hidden, c.bottleneck],
    [c.bottleneck, c.hidden],
    [c.hidden, c.inputs],
  ];
}

/** Glorot-uniform weights and zero biases drawn from `rng`. */
export function initialWeights(c: AutoencoderConfig, rng: Rng): number[][] {
  const out: number[][] = [];
  for (const [fanIn, fanOut] of layerShapes(c)) {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    out.push(Array.from({ length: fanIn * fanOut }, () => (rng.next() * 2 - 1) * limit));
    out.push(new Array<number>(fanOut).fill(0));
  }
  return out;
}
