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
import { Autoencoder, type TfModule } from './autoencoder.ts';
import type { AutoencoderState } from './autoencoder-config.ts';
import { NEURAL_INPUTS, type NeuralService } from './neural-service.ts';
import type { Evidence, FeatureVector } from './outputs.ts';
import { deviationToScore } from './seasonal-scorer.ts';

/** Training steps of the shared model before any neural score counts. */
const MODEL_WARMUP = 20;
/** Residual of a slot, in typical residuals of that slot, that scores 0.5. */
export const NEURAL_Z50 = 3.6;

/** Neural results of a batch, and the reconstruction they came from (for {@link NeuralService.learnResiduals}). */
export interface NeuralBatch {
  /** Per row, in [0, 1]; 0 while the service or the shared model is warming up. */
  scores: Float64Array;
  /** Per row scoring >= 0.5, the slots with the largest calibrated residuals (other rows have none). */
  evidence: Map<number, Evidence[]>;
  /** `n * NEURAL_INPUTS` reconstructed values, row-major. */
  reconstruction: Float32Array;
}

/** Wraps the shared autoencoder for batched per-service scoring. */
export class NeuralScorer {
  readonly model: Autoencoder;

  constructor(tf: TfModule, state?: AutoencoderState, seed = 7) {
    this.model = new Autoencoder(tf, { inputs: NEURAL_INPUTS, seed }, state);
  }

  /**
   * Scores `n` rows (normalized by {@link NeuralService.normalize}) of the
   * given services in one batched call (`features` are the raw windows, for
   * evidence). Advances each service's corroboration state (`last`).
   */
  scoreBatch(rows: Float32Array, services: NeuralService[], features: FeatureVector[]): NeuralBatch {
    const n = services.length;
    const reconstruction = this.model.reconstruct(rows, n);
    const warm = this.model.trainingSteps >= MODEL_WARMUP;
    const scores = new Float64Array(n);
    const evidence = new Map<number, Evidence[]>();
    if (!warm) return { scores, evidence, reconstruction };
    for (let i = 0; i < n; i++) {
      const s = services[i] as NeuralService;
      if (!s.calibrated) continue;
      const worst = s.worstResidual(rows, reconstruction, i);
      // Judged by how often this service's statistic went that far before (a max over slots is heavy-tailed).
      const score = deviationToScore(s.calibrate((worst + s.last) / 2), NEURAL_Z50);
      s.last = worst;
      scores[i] = score;
      if (score >= 0.5) evidence.set(i, s.evidence(features[i] as FeatureVector, rows, reconstruction, i));
    }
    return { scores, evidence, reconstruction };
  }
}
