/**
 * Offline training of a neural model version: a fresh shared autoencoder
 * (seeded) trained for a number of Adam steps on given rows, and the state
 * a detector then runs (the live settings restored, so it keeps learning
 * online like any other version).
 */
import { Autoencoder, type AutoencoderState, DEFAULT_AUTOENCODER, NEURAL_INPUTS, type TfModule } from '../fleet/index.ts';
import type { Rows } from './training-set.ts';

/** Settings of {@link trainVersion}. */
export interface TrainOptions {
  /** Adam steps. */
  steps: number;
  seed: number;
}

/** A fresh autoencoder trained on `rows`; the caller disposes of it. Returns it untrained when there are no rows. */
export function trainVersion(tf: TfModule, rows: Rows, opts: TrainOptions): Autoencoder {
  const per = Math.max(1, Math.min(50, opts.steps));
  const model = new Autoencoder(tf, {
    inputs: NEURAL_INPUTS,
    seed: opts.seed,
    batchSize: Math.max(1, Math.min(256, rows.n)),
    reservoir: Math.max(1, Math.min(DEFAULT_AUTOENCODER.reservoir, rows.n)),
    replayHorizon: 1,
    youngSteps: opts.steps,
    youngStepsPerObserve: per,
  });
  while (rows.n > 0 && model.trainingSteps < opts.steps) if (model.observe(rows.data, rows.n) === 0) break;
  return model;
}

/** The state of a trained model with the live settings (batch, reservoir, cadence) the detector trains online with. */
export function liveState(model: Autoencoder): AutoencoderState {
  const st = model.toJSON();
  return { ...st, config: { ...DEFAULT_AUTOENCODER, inputs: st.config.inputs, seed: st.config.seed } };
}

/** Reconstruction error of each row. */
export function errorsOf(model: Autoencoder, rows: Rows): Float32Array {
  if (rows.n === 0) return new Float32Array(0);
  return model.score(rows.data, rows.n).errors;
}
