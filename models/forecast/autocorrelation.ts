/**
 * Autocorrelation of a series through the FFT (Wiener-Khinchin): pad to a
 * power of two at least twice the length, take the power spectrum and
 * transform it back. O(n log n), so that a week of 5-minute points (or a few
 * days of 10-second windows) is cheap.
 */

/** In-place iterative radix-2 FFT of (re, im); `inverse` gives the unscaled inverse transform. */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (n !== im.length || (n & (n - 1)) !== 0) throw new Error(`fft needs two arrays of one power-of-two length, got ${n} and ${im.length}`);
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j] as number, re[i] as number];
      [im[i], im[j]] = [im[j] as number, im[i] as number];
    }
  }
  const sign = inverse ? 1 : -1;
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (sign * 2 * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let start = 0; start < n; start += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = start + k;
        const b = a + len / 2;
        const xr = (re[b] as number) * cr - (im[b] as number) * ci;
        const xi = (re[b] as number) * ci + (im[b] as number) * cr;
        re[b] = (re[a] as number) - xr;
        im[b] = (im[a] as number) - xi;
        re[a] = (re[a] as number) + xr;
        im[a] = (im[a] as number) + xi;
        const nr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = nr;
      }
    }
  }
}

/** `xs` minus its least-squares line; non-finite values become 0 (the line's value). */
export function detrend(xs: readonly number[]): number[] {
  let n = 0;
  let st = 0;
  let sx = 0;
  let stt = 0;
  let stx = 0;
  xs.forEach((x, t) => {
    if (!Number.isFinite(x)) return;
    n++;
    st += t;
    sx += x;
    stt += t * t;
    stx += t * x;
  });
  if (n === 0) return xs.map(() => 0);
  const den = n * stt - st * st;
  const slope = den === 0 ? 0 : (n * stx - st * sx) / den;
  const icpt = (sx - slope * st) / n;
  return xs.map((x, t) => (Number.isFinite(x) ? x - (icpt + slope * t) : 0));
}

/**
 * Unbiased sample autocorrelation of the detrended `xs` at lags 0..maxLag
 * (each lag's sum divided by its number of pairs, then by the variance).
 * A constant series gives zeros past lag 0.
 */
export function autocorrelation(xs: readonly number[], maxLag: number): number[] {
  const n = xs.length;
  const lags = Math.max(0, Math.min(maxLag, n - 1));
  const d = detrend(xs);
  let size = 1;
  while (size < 2 * n) size <<= 1;
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  d.forEach((v, i) => {
    re[i] = v;
  });
  fft(re, im);
  for (let i = 0; i < size; i++) {
    re[i] = (re[i] as number) ** 2 + (im[i] as number) ** 2;
    im[i] = 0;
  }
  fft(re, im, true);
  const r0 = (re[0] as number) / size / n;
  const out: number[] = [];
  for (let k = 0; k <= lags; k++) out.push(r0 <= 0 ? (k === 0 ? 1 : 0) : (re[k] as number) / size / (n - k) / r0);
  return out;
}
