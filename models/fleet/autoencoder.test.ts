import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../stats/index.ts';
import { Autoencoder } from './autoencoder.ts';

const D = 6;

/** Normal rows: dims 0-2 move together, dims 3-5 are their negatives, plus a little noise. Replayable from the seed. */
function normalRows(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(n * D);
  for (let r = 0; r < n; r++) {
    const a = rng.next() * 2 - 1;
    const b = rng.next() * 2 - 1;
    const row = [a, a, b, -a, -a, -b].map((x) => x + (rng.next() - 0.5) * 0.1);
    out.set(row, r * D);
  }
  return out;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => tf.disposeVariables());

describe('Autoencoder', () => {
  it('learns the normal correlations online: normal rows reconstruct far better than rows that break them', () => {
    const ae = new Autoencoder(tf, { inputs: D, trainEvery: 8, batchSize: 32, learningRate: 0.01, seed: 3, maxStepsPerObserve: 100, youngSteps: 0 });
    const before = ae.score(normalRows(200, 99), 200).errors;
    for (let k = 0; k < 40; k++) ae.observe(normalRows(100, k), 100);
    // one step per 8 rows
    expect(ae.trainingSteps).toBe(500);
    const normal = ae.score(normalRows(200, 99), 200).errors;
    const broken = normalRows(200, 98);
    for (let r = 0; r < 200; r++) broken[r * D + 3] = -(broken[r * D + 3] as number); // dim 3 now follows dim 0
    const anomalous = ae.score(broken, 200).errors;
    const mean = (a: Float32Array) => a.reduce((s, x) => s + x, 0) / a.length;
    expect(mean(normal)).toBeLessThan(mean(before) / 3);
    expect(mean(anomalous)).toBeGreaterThan(mean(normal) * 3);
    ae.dispose();
  });

  it('trains a young model at a fixed pace, then one step per trainEvery rows (counted across calls), at most maxStepsPerObserve per call', () => {
    const ae = new Autoencoder(tf, { inputs: D, trainEvery: 100, batchSize: 16, seed: 2, maxStepsPerObserve: 3, youngSteps: 10, youngStepsPerObserve: 5 });
    expect(ae.observe(normalRows(10, 1), 10)).toBe(0); // fewer rows than a batch so far
    expect([1, 2, 3].map((k) => ae.observe(normalRows(10, k), 10))).toEqual([5, 5, 0]); // young until 10 steps; 40 rows seen
    expect(ae.observe(normalRows(60, 4), 60)).toBe(1); // the 100th row
    expect(ae.observe(normalRows(250, 5), 250)).toBe(2); // rows 101-350
    expect(ae.observe(normalRows(1000, 6), 1000)).toBe(3);
    ae.dispose();
  });

  it('renews its replay buffer over about replayHorizon calls: old rows give way to recent ones', () => {
    const ae = new Autoencoder(tf, { inputs: D, reservoir: 200, replayHorizon: 5, batchSize: 16, seed: 4 });
    const constant = (v: number, n: number) => new Float32Array(n * D).fill(v);
    ae.observe(constant(1, 200), 200);
    for (let k = 0; k < 5; k++) ae.observe(constant(2, 200), 200);
    const share = (v: number) => ae.toJSON().reservoir.filter((x) => x === v).length / (200 * D);
    // each call replaces a fifth of the buffer: 0.8^5 = 0.33 of the first rows expected to remain
    expect(share(1)).toBeGreaterThan(0.2);
    expect(share(1)).toBeLessThan(0.5);
    for (let k = 0; k < 20; k++) ae.observe(constant(3, 200), 200);
    expect(share(3)).toBeGreaterThan(0.95);
    ae.dispose();
  });

  it('is deterministic from its seed and resumes identically from its JSON state', () => {
    const a = new Autoencoder(tf, { inputs: D, trainEvery: 4, batchSize: 16, seed: 11 });
    const b = new Autoencoder(tf, { inputs: D, trainEvery: 4, batchSize: 16, seed: 11 });
    a.observe(normalRows(300, 1), 300);
    b.observe(normalRows(300, 1), 300);
    expect(a.toJSON()).toEqual(b.toJSON());
    const c = new Autoencoder(tf, { inputs: 0 }, JSON.parse(JSON.stringify(a.toJSON())));
    a.observe(normalRows(100, 2), 100);
    c.observe(normalRows(100, 2), 100);
    const probe = normalRows(50, 3);
    expect(Array.from(c.score(probe, 50).errors)).toEqual(Array.from(a.score(probe, 50).errors));
    for (const m of [a, b, c]) m.dispose();
  });

  it('clips absurd inputs so that they cannot poison the weights', () => {
    const ae = new Autoencoder(tf, { inputs: D, trainEvery: 1, batchSize: 1, reservoir: 1, seed: 5 });
    const rows = new Float32Array(D).fill(1e30);
    rows[0] = Number.NaN;
    ae.observe(rows, 1);
    const w = ae.toJSON().weights.flat();
    expect(w.every(Number.isFinite)).toBe(true);
    expect(ae.toJSON().reservoir).toEqual([0, 6, 6, 6, 6, 6]);
    ae.dispose();
  });

  it('scores a batch row by row: a row scores the same alone or in a batch', () => {
    const ae = new Autoencoder(tf, { inputs: D, seed: 9 });
    const rows = normalRows(64, 4);
    const batch = ae.score(rows, 64).errors;
    for (const r of [0, 17, 63]) expect(ae.score(rows.slice(r * D, r * D + D), 1).errors[0]).toBeCloseTo(batch[r] as number, 6);
    ae.dispose();
  });

  it('blends toward a copy trained elsewhere: weights and moments move the given share of the way, the replay buffer stays its own', () => {
    const cfg = { inputs: D, trainEvery: 8, batchSize: 16, seed: 5, youngSteps: 0, maxStepsPerObserve: 50 };
    const a = new Autoencoder(tf, cfg);
    const b = new Autoencoder(tf, cfg);
    a.observe(normalRows(200, 1), 200);
    b.observe(normalRows(200, 2), 200);
    const before = a.toJSON();
    const theirs = b.toJSON();
    expect(a.blend(theirs, 0.25)).toBe(true);
    const after = a.toJSON();
    const mix = (x: number[][], y: number[][]) => x.flat().map((v, i) => v + 0.25 * ((y.flat()[i] as number) - v));
    expect(after.weights.flat().every((w, i) => Math.abs(w - (mix(before.weights, theirs.weights)[i] as number)) < 1e-6)).toBe(true);
    expect(after.moments?.m.flat().every((m, i) => Math.abs(m - (mix(before.moments?.m ?? [], theirs.moments?.m ?? [])[i] as number)) < 1e-12)).toBe(true);
    expect(after.reservoir).toEqual(before.reservoir);
    expect(after.steps).toBe(before.steps);
    // Scoring uses the blended weights.
    expect(a.score(normalRows(20, 3), 20).errors).not.toEqual(new Autoencoder(tf, cfg, before).score(normalRows(20, 3), 20).errors);
    // Another architecture is refused and changes nothing.
    const other = new Autoencoder(tf, { ...cfg, hidden: 5 });
    expect(a.blend(other.toJSON())).toBe(false);
    expect(a.toJSON().weights).toEqual(after.weights);
    for (const m of [a, b, other]) m.dispose();
  });
});
