/**
 * Upper tail of the standard normal distribution, in linear and log10 scale,
 * accurate far into the tail (where 1 - CDF underflows to 0).
 */

/** Complementary error function (Numerical Recipes' Chebyshev fit, rel. error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z + logPoly(t));
  return x >= 0 ? r : 2 - r;
}

function logPoly(t: number): number {
  return (
    -1.26551223 +
    t *
      (1.00002368 +
        t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
  );
}

/** P(Z > z) for a standard normal Z. */
export function normalTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** -log10 P(Z > z), finite for any finite z (0 for z = -Infinity). */
export function normalTailDecades(z: number): number {
  if (z < 5) return -Math.log10(normalTail(z));
  // Computed in log space so that huge z do not underflow to Infinity.
  const zz = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * zz);
  const lnTail = Math.log(0.5 * t) - zz * zz + logPoly(t);
  return -lnTail / Math.LN10;
}
