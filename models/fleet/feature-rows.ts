/**
 * The features of a round's windows read once, into flat arrays: the names
 * and values of every window one after the other, in the order `for...in`
 * gives them (the order each model used to read the window's object in).
 * The seasonal scorer, the flat-line model and the neural normalization all
 * read a window's features; reading the object's properties by name in a
 * loop boxes each number it reads (a short-lived heap number per feature
 * per pass), so one pass per window instead of one per model is what the
 * scoring path saves in time and in garbage (see README, `make bench-detector`).
 *
 * A value that is not a number is stored as NaN: every model treats it as
 * missing.
 */
import type { FeatureVector } from './outputs.ts';

/** The features of a number of windows, row after row; see the module comment. */
export class FeatureRows {
  /** Feature names of all rows (entries past the last row's end are stale). */
  readonly names: string[] = [];
  /** Their values, same positions as `names`. */
  values = new Float64Array(64);
  /** Start of row `i` in `names`/`values`; row `i` ends where row `i + 1` starts. */
  private starts = new Int32Array(64);
  /** Rows added since the last {@link FeatureRows.clear}. */
  rows = 0;

  /** Forgets every row (the arrays are kept for the next ones). */
  clear(): void {
    this.rows = 0;
  }

  /** Appends the features of one window as the next row; returns its index. */
  add(features: FeatureVector): number {
    const row = this.rows;
    if (row + 2 > this.starts.length) {
      const starts = new Int32Array(2 * (row + 2));
      starts.set(this.starts);
      this.starts = starts;
    }
    let k = this.starts[row] as number;
    for (const name in features) {
      if (k === this.values.length) {
        const values = new Float64Array(2 * k);
        values.set(this.values);
        this.values = values;
      }
      const x = features[name];
      this.names[k] = name;
      this.values[k] = typeof x === 'number' ? x : Number.NaN;
      k++;
    }
    this.starts[row + 1] = k;
    this.rows = row + 1;
    return row;
  }

  /** Where row `i` starts. */
  from(i: number): number {
    return this.starts[i] as number;
  }

  /** Where row `i` ends (exclusive). */
  to(i: number): number {
    return this.starts[i + 1] as number;
  }
}

const single = new FeatureRows();

/**
 * `features` read into a shared scratch row (row 0), for the models' methods
 * that take one window's object: valid until the next call.
 */
export function singleRow(features: FeatureVector): FeatureRows {
  single.clear();
  single.add(features);
  return single;
}
