/** Forecast error measures and the seasonal-naive reference forecast. */

/**
 * The seasonal-naive forecast of the `horizon` points after `history`: each
 * is the value one period earlier (several periods for a horizon longer than
 * the period). Non-finite history values fall back to the last finite one.
 */
export function seasonalNaive(history: readonly number[], period: number, horizon: number): number[] {
  const n = history.length;
  const out: number[] = [];
  let lastFinite = 0;
  for (let i = n - 1; i >= 0; i--) {
    if (Number.isFinite(history[i])) {
      lastFinite = history[i] as number;
      break;
    }
  }
  for (let k = 1; k <= horizon; k++) {
    let i = n + k - 1 - period * Math.ceil(k / period);
    while (i >= 0 && !Number.isFinite(history[i])) i -= period;
    out.push(i >= 0 ? (history[i] as number) : lastFinite);
  }
  return out;
}

/** Mean absolute error over the pairs where both are finite (NaN when there are none). */
export function meanAbsoluteError(actual: readonly number[], forecast: readonly number[]): number {
  let sum = 0;
  let k = 0;
  for (let i = 0; i < Math.min(actual.length, forecast.length); i++) {
    const a = actual[i] as number;
    const f = forecast[i] as number;
    if (!Number.isFinite(a) || !Number.isFinite(f)) continue;
    sum += Math.abs(a - f);
    k++;
  }
  return k === 0 ? Number.NaN : sum / k;
}

/**
 * Mean absolute scaled error (Hyndman and Koehler): the forecast's mean
 * absolute error divided by the in-sample mean absolute error of the
 * one-period seasonal-naive forecast on `history`. Below 1: better than
 * repeating the last period, in-sample.
 */
export function mase(actual: readonly number[], forecast: readonly number[], history: readonly number[], period: number): number {
  const naive: number[] = [];
  const hist: number[] = [];
  for (let i = period; i < history.length; i++) {
    naive.push(history[i - period] as number);
    hist.push(history[i] as number);
  }
  const scale = meanAbsoluteError(hist, naive);
  return scale > 0 ? meanAbsoluteError(actual, forecast) / scale : Number.NaN;
}

/** Fraction of the finite `actual` values within [lower, upper]. */
export function coverage(actual: readonly number[], lower: readonly number[], upper: readonly number[]): number {
  let inside = 0;
  let k = 0;
  actual.forEach((a, i) => {
    if (!Number.isFinite(a)) return;
    k++;
    if (a >= (lower[i] as number) && a <= (upper[i] as number)) inside++;
  });
  return k === 0 ? Number.NaN : inside / k;
}
