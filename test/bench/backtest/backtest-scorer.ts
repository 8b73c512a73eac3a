/**
 * Scoring of a multivariate backtest against row labels, as the
 * jumpstarter-d2 README describes it: for one service, the best threshold
 * over its scores for point F1 (no point adjustment) and, separately, for
 * event-wise Fc1 (recall over labelled segments, a segment counting when
 * any of its rows passes; precision over rows).
 */

/** Best point F1 and best Fc1 of one service's scores against its 0/1 labels. */
export interface ServiceFigures {
  pointF1: number;
  fc1: number;
}

/** Start and end (exclusive) of each run of 1s in `labels`. */
export function segmentsOf(labels: ArrayLike<number>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = -1;
  for (let i = 0; i <= labels.length; i++) {
    const on = i < labels.length && labels[i] === 1;
    if (on && start < 0) start = i;
    if (!on && start >= 0) {
      out.push([start, i]);
      start = -1;
    }
  }
  return out;
}

const f1 = (p: number, r: number): number => (p + r > 0 ? (2 * p * r) / (p + r) : 0);

/** Both figures at each service's best thresholds (every distinct score is tried). Non-finite scores count as the lowest. */
export function bestFigures(scores: ArrayLike<number>, labels: ArrayLike<number>): ServiceFigures {
  const n = labels.length;
  const s = Float64Array.from({ length: n }, (_, i) => (Number.isFinite(scores[i] as number) ? (scores[i] as number) : Number.NEGATIVE_INFINITY));
  const segs = segmentsOf(labels);
  const positives = segs.reduce((a, [b, e]) => a + e - b, 0);
  if (positives === 0) return { pointF1: 0, fc1: 0 };
  // Each segment is detected from the threshold of its highest score down.
  const segMax = segs.map(([b, e]) => Math.max(...Array.from(s.subarray(b, e)))).sort((a, b) => b - a);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (s[b] as number) - (s[a] as number));
  let tp = 0;
  let fp = 0;
  let seg = 0;
  let best: ServiceFigures = { pointF1: 0, fc1: 0 };
  for (let k = 0; k < n; k++) {
    const i = order[k] as number;
    if (labels[i] === 1) tp++;
    else fp++;
    const thr = s[i] as number;
    // Only at the last row of a run of equal scores is the threshold's row set complete.
    if (k + 1 < n && s[order[k + 1] as number] === thr) continue;
    if (thr === Number.NEGATIVE_INFINITY) break;
    while (seg < segMax.length && (segMax[seg] as number) >= thr) seg++;
    const precision = tp / (tp + fp);
    const pointF1 = f1(precision, tp / positives);
    const fc1 = f1(precision, seg / segs.length);
    best = { pointF1: Math.max(best.pointF1, pointF1), fc1: Math.max(best.fc1, fc1) };
  }
  return best;
}

/**
 * The README's baseline: per metric, the z-score of each row against the
 * mean and standard deviation of the history rows, maximum over metrics.
 * Constant metrics of the history are left out.
 */
export function zScoreBaseline(values: ArrayLike<number>, columns: number, historyRows: number): Float64Array {
  const rows = values.length / columns;
  const mean = new Float64Array(columns);
  const sd = new Float64Array(columns);
  for (let c = 0; c < columns; c++) {
    let sum = 0;
    let sq = 0;
    let k = 0;
    for (let r = 0; r < historyRows; r++) {
      const v = values[r * columns + c] as number;
      if (!Number.isFinite(v)) continue;
      sum += v;
      sq += v * v;
      k++;
    }
    mean[c] = k > 0 ? sum / k : 0;
    sd[c] = k > 1 ? Math.sqrt(Math.max(0, sq / k - (mean[c] as number) ** 2)) : 0;
  }
  const out = new Float64Array(rows - historyRows);
  for (let r = historyRows; r < rows; r++) {
    let worst = 0;
    for (let c = 0; c < columns; c++) {
      const v = values[r * columns + c] as number;
      if (!Number.isFinite(v) || !((sd[c] as number) > 0)) continue;
      worst = Math.max(worst, Math.abs(v - (mean[c] as number)) / (sd[c] as number));
    }
    out[r - historyRows] = worst;
  }
  return out;
}
