import { describe, expect, it } from 'vitest';
import { NEURAL_INPUTS, NeuralScorer } from '../../models/fleet/index.ts';
import { createRng } from '../../models/stats/index.ts';
import { loadBackend } from './tf-backend.ts';

function rows(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n * NEURAL_INPUTS }, () => (rng.next() - 0.5) * 4);
}

/** Trains a fresh model on a fixed stream and scores a fixed probe batch on the active backend. */
function run(tf: Awaited<ReturnType<typeof loadBackend>>['tf']): { errors: number[]; weights: number[] } {
  const scorer = new NeuralScorer(tf, undefined, 21);
  for (let k = 0; k < 10; k++) scorer.model.observe(rows(256, k), 256);
  const errors = Array.from(scorer.model.score(rows(500, 99), 500).errors);
  const weights = scorer.model.toJSON().weights.flat();
  scorer.model.dispose();
  return { errors, weights };
}

describe('TensorFlow.js backends', () => {
  it('auto picks a backend and says why it passed over tfjs-node', async () => {
    const b = await loadBackend('auto');
    expect(['tensorflow', 'wasm', 'cpu']).toContain(b.backend);
    if (b.backend !== 'tensorflow') expect(b.skipped[0]).toMatch(/^node: /);
    // Where tfjs-node is simply absent, that is said as a choice, without a stack or 'Cannot find package'.
    if (b.backend !== 'tensorflow') expect(b.skipped[0]).toBe('node: @tensorflow/tfjs-node is not installed (optional)');
  });

  it('cpu and wasm train and score the same within float32 tolerance', async () => {
    const cpu = run((await loadBackend('cpu')).tf);
    const wasmBackend = await loadBackend('wasm');
    expect(wasmBackend.backend).toBe('wasm');
    const wasm = run(wasmBackend.tf);
    expect(wasm.weights.length).toBe(cpu.weights.length);
    const maxWeightDiff = Math.max(...wasm.weights.map((w, i) => Math.abs(w - (cpu.weights[i] as number))));
    expect(maxWeightDiff).toBeLessThan(1e-3);
    for (let i = 0; i < cpu.errors.length; i++)
      expect(Math.abs((wasm.errors[i] as number) - (cpu.errors[i] as number))).toBeLessThan(1e-3 * Math.max(1, cpu.errors[i] as number));
  });

  it('an explicit backend either loads or fails naming it (tfjs-node is not installable here)', async () => {
    const outcome = await loadBackend('node').then(
      (b) => b.backend,
      (err: Error) => err.message,
    );
    expect(outcome).toMatch(/^tensorflow$|^TensorFlow\.js backend "node" cannot be loaded/);
  });
});
