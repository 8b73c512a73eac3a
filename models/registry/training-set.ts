/**
 * The training and evaluation rows of a neural model version, from stored
 * window features: each service's windows, oldest first, are laid out and
 * normalized the way the live detector does it (its own running mean and
 * deviation, learned from its normal windows only), so that a version
 * trained here scores the detector's rows as it was trained. Windows inside
 * a confirmed or still open fault are fault rows (never training data);
 * windows a person labelled a false alarm are normal rows.
 */

import type { FeatureVector } from '../fleet/index.ts';
import { NEURAL_INPUTS, NeuralService } from '../fleet/index.ts';

/** A stored window and what is known of it. */
export interface LabelledWindow {
  service: string;
  endMs: number;
  features: FeatureVector;
  /** `normal`: train and evaluate on it; `fault`: inside a confirmed or open fault; `excluded`: unknown, used for neither. */
  label: 'normal' | 'fault' | 'excluded';
}

/** Rows of `NEURAL_INPUTS` values each, row-major. */
export interface Rows {
  data: Float32Array;
  n: number;
}

/** The rows of a labelled window set. */
export interface TrainingSet {
  normal: Rows;
  fault: Rows;
}

function pack(rows: Float32Array[]): Rows {
  const data = new Float32Array(rows.length * NEURAL_INPUTS);
  for (let i = 0; i < rows.length; i++) data.set(rows[i] as Float32Array, i * NEURAL_INPUTS);
  return { data, n: rows.length };
}

/** Normalized rows of `windows` (any order); see the module comment. Rows of a service still warming up are left out. */
export function buildTrainingSet(windows: readonly LabelledWindow[]): TrainingSet {
  const byService = new Map<string, LabelledWindow[]>();
  for (const w of windows) {
    const list = byService.get(w.service) ?? [];
    list.push(w);
    byService.set(w.service, list);
  }
  const normal: Float32Array[] = [];
  const fault: Float32Array[] = [];
  const raw = new Float64Array(NEURAL_INPUTS);
  for (const list of byService.values()) {
    list.sort((a, b) => a.endMs - b.endMs);
    const ns = new NeuralService();
    for (const w of list) {
      if (w.label === 'excluded') continue;
      const row = new Float32Array(NEURAL_INPUTS);
      const settled = ns.settled;
      ns.normalize(w.features, raw, row, 0);
      if (w.label === 'fault') {
        if (settled) fault.push(row);
        continue;
      }
      ns.learnNormalization(raw, 0);
      if (settled) normal.push(row);
    }
  }
  return { normal: pack(normal), fault: pack(fault) };
}

/** `rows` cut into training rows and every `every`-th row held out for evaluation (interleaved: both span the whole time range). */
export function holdOut(rows: Rows, every = 4): { train: Rows; holdout: Rows } {
  const train: Float32Array[] = [];
  const hold: Float32Array[] = [];
  for (let i = 0; i < rows.n; i++) (i % every === every - 1 ? hold : train).push(rows.data.slice(i * NEURAL_INPUTS, (i + 1) * NEURAL_INPUTS));
  return { train: pack(train), holdout: pack(hold) };
}
