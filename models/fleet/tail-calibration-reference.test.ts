import { describe, expect, it } from 'vitest';
import { normalTail } from '../likelihood/index.ts';
import { createRng } from '../stats/index.ts';
import { TAIL_BINS, TAIL_STRIDE, TAIL_WINDOWS, TailCalibration } from './tail-calibration.ts';

/** The histograms in their saved layout (bins then total per feature), computed the plain way: decayed weights, a scan of the tail. */
class Reference {
  readonly data: number[];
  constructor(features: number) {
    this.data = new Array<number>(features * TAIL_STRIDE).fill(0);
  }
  learn(i: number, z: number): void {
    this.data[i * TAIL_STRIDE + TAIL_BINS] = (this.data[i * TAIL_STRIDE + TAIL_BINS] as number) + 1;
    if (z >= 1) {
      const k = Math.min(TAIL_BINS - 1, Math.floor(Math.log(z) / Math.log(1.25)));
      this.data[i * TAIL_STRIDE + k] = (this.data[i * TAIL_STRIDE + k] as number) + 1;
    }
  }
  tick(): void {
    for (let j = 0; j < this.data.length; j++) this.data[j] = (this.data[j] as number) / (1 + 1 / TAIL_WINDOWS);
  }
  /** Proven tail frequency of deviation z (as tail-calibration.ts defines it). */
  frequency(i: number, z: number): number {
    const o = i * TAIL_STRIDE;
    const x = Math.log(z) / Math.log(1.25);
    const k = Math.floor(x);
    let tail = 0;
    if (k >= TAIL_BINS - 1) tail = this.data[o + TAIL_BINS - 1] as number;
    else {
      for (let b = Math.max(k + 1, 0); b < TAIL_BINS; b++) tail += this.data[o + b] as number;
      if (k >= 0) tail += (this.data[o + k] as number) * (1 - (x - k));
    }
    return (Math.max(0, tail - 1) + 50 * 2 * normalTail(z)) / (Math.max(this.data[o + TAIL_BINS] as number, TAIL_WINDOWS) + 50);
  }
}

describe('TailCalibration against the plain computation', () => {
  it('scores a seeded fleet of features as the plain computation does, and saves the same histograms', () => {
    const rng = createRng(11);
    const F = 6;
    const t = new TailCalibration(2);
    t.grow(F);
    const ref = new Reference(F);
    let lowered = 0;
    for (let w = 0; w < 6000; w++) {
      for (let i = 0; i < F; i++) {
        const u = Math.max(1e-12, rng.next());
        const g = Math.abs(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next())) * (rng.next() < 0.03 * (i + 1) ? 3 + 20 * rng.next() : 1);
        if (g > 2.2 && w > 100) {
          const c = t.calibrate(i, g);
          expect(c).toBeLessThanOrEqual(g);
          // A lowered deviation is the one whose Gaussian upper tail is half the reference's tail frequency.
          if (c < g) {
            lowered++;
            expect(Math.abs(normalTail(c) / (ref.frequency(i, g) / 2) - 1)).toBeLessThan(0.01);
          }
        }
        t.learn(i, g);
        ref.learn(i, g);
      }
      t.tick();
      ref.tick();
    }
    expect(lowered).toBeGreaterThan(100);
    const saved = t.toJSON(F);
    expect(saved).toHaveLength(F * TAIL_STRIDE);
    saved.forEach((v, j) => {
      expect(v).toBeCloseTo(ref.data[j] as number, 6);
    });
    // A restored copy scores exactly as the original.
    const back = new TailCalibration(F, saved);
    for (const z of [2.5, 4, 9, 30, 400]) for (let i = 0; i < F; i++) expect(back.calibrate(i, z)).toBe(t.calibrate(i, z));
  });
});
