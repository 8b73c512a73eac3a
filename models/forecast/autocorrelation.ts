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

/** The autocorrelation (lags 0..size-1, unscaled) of `re` by the power spectrum: `re` is overwritten, `im` must be zeros. */
function circularProducts(re: Float64Array, im: Float64Array): void {
  const size = re.length;
  fft(re, im);
  for (let i = 0; i < size; i++) {
    re[i] = (re[i] as number) ** 2 + (im[i] as number) ** 2;
    im[i] = 0;
  }
  fft(re, im, true);
}

/** An autocorrelation with, per lag, the number of pairs of finite points it was computed from. */
export interface Autocorrelation {
  /** At lags 0..maxLag, in [-1, 1] (1 at lag 0). */
  acf: number[];
  /** Pairs of finite points at each lag (n - k without gaps). */
  pairs: number[];
}

/**
 * Unbiased sample autocorrelation of the detrended `xs` at lags 0..maxLag:
 * each lag's sum of products over the pairs where both points are finite,
 * divided by the number of such pairs, then by the variance. Gaps (non-finite
 * values) count in neither: a series with a quarter of its points missing
 * (road sensors) keeps the correlation of the points it has, where counting
 * every pair would shrink it by the share of pairs with a gap (a lag with few
 * pairs is noisy: see `pairs`). A constant series gives zeros past lag 0.
 */
export function autocorrelationWithPairs(xs: readonly number[], maxLag: number): Autocorrelation {
  const n = xs.length;
  const lags = Math.max(0, Math.min(maxLag, n - 1));
  const d = detrend(xs);
  let size = 1;
  while (size < 2 * n) size <<= 1;
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  const mask = new Float64Array(size);
  let gaps = false;
  d.forEach((v, i) => {
    re[i] = v;
    const ok = Number.isFinite(xs[i]);
    mask[i] = ok ? 1 : 0;
    gaps ||= !ok;
  });
  circularProducts(re, im);
  // Pairs per lag: n - k without gaps, else the autocorrelation of the mask (rounded: the FFT's error is ~1e-12).
  if (gaps) circularProducts(mask, new Float64Array(size));
  const pairs: number[] = [];
  for (let k = 0; k <= lags; k++) pairs.push(gaps ? Math.round((mask[k] as number) / size) : n - k);
  const n0 = pairs[0] as number;
  const r0 = n0 > 0 ? (re[0] as number) / size / n0 : 0;
  const acf = pairs.map((m, k) => (r0 <= 0 ? (k === 0 ? 1 : 0) : m > 0 ? (re[k] as number) / size / m / r0 : 0));
  return { acf, pairs };
}

/** The autocorrelation of {@link autocorrelationWithPairs} alone. */
export function autocorrelation(xs: readonly number[], maxLag: number): number[] {
  return autocorrelationWithPairs(xs, maxLag).acf;
}
