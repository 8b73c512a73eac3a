/**
 * Seeded pseudo-random number generator (mulberry32): deterministic, fast and
 * with a 32-bit state that serializes as one number. Models take an `Rng`
 * instead of calling `Math.random` so that runs are replayable.
 */

/** A source of uniform numbers in [0, 1) whose state can be saved and restored. */
export interface Rng {
  /** Next uniform number in [0, 1). */
  next(): number;
  /** Current internal state; `createRng(0, state)` resumes the same sequence. */
  getState(): number;
}

/**
 * Creates a mulberry32 generator.
 *
 * @param seed any integer; equal seeds give equal sequences.
 * @param state optional saved state from `getState()`, which overrides `seed`.
 */
export function createRng(seed: number, state?: number): Rng {
  let s = (state ?? seed) >>> 0;
  return {
    next(): number {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    getState(): number {
      return s;
    },
  };
}

/**
 * A Poisson-distributed count of mean `mean` drawn from `rng` by multiplying
 * uniforms until their product falls below e^-mean (exact; its cost grows with
 * the mean, so keep it to small means, up to about 50).
 */
export function poissonSample(rng: Rng, mean: number): number {
  const floor = Math.exp(-mean);
  let k = 0;
  for (let p = rng.next(); p > floor; p *= rng.next()) k++;
  return k;
}
