import { describe, expect, it } from 'vitest';
import { createRng } from '../stats/index.ts';
import { SeriesModel } from './series-model.ts';

const HOUR = 3_600_000;
/** Monday 2024-01-01 00:00 UTC. */
const T0 = Date.UTC(2024, 0, 1);
/** Hourly rows: a Saturday noon of the fifth week. */
const FAULT = (4 * 7 + 5) * 24 + 12;

/** Hourly gauge at 50 on weekdays and 40 on weekends (noise +-1), with `fault` added on the three rows from {@link FAULT}. */
function weekRows(n: number, fault: number): { times: number[]; values: number[] } {
  const rng = createRng(7);
  const times: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    const weekend = Math.floor(i / 24) % 7 >= 5;
    times.push(T0 + i * HOUR);
    values.push((weekend ? 40 : 50) + 2 * (rng.next() - 0.5) + (i >= FAULT && i < FAULT + 3 ? fault : 0));
  }
  return { times, values };
}

function transitions(n: number, fault: number): string[] {
  const { times, values } = weekRows(n, fault);
  const m = new SeriesModel();
  return values.map((v, i) => {
    m.update(times[i] as number, v);
    return m.last.transition;
  });
}

describe('the weekly baseline of a series, where it predicts better than the daily one', () => {
  it('a Saturday above the weekday level opens an episode once the weekly baseline has settled', () => {
    // The daily baseline mixes weekdays and weekends: it expects about 48 at noon with a spread of about 5, so 58 on a
    // Saturday scored 0.34 and opened nothing. The hour-of-week baseline, whose residuals from its second week on are
    // the noise (about 0.5; the spread is then the 10 % floor, 4), expects 40 there: 58 is 4.5 spreads off.
    const faulty = transitions(FAULT + 3, 18);
    expect(faulty[FAULT]).toBe('open');
    expect(faulty.slice(0, FAULT).filter((t) => t !== 'none')).toHaveLength(0);
    // Without the fault, the weekend of the fifth week opens nothing either.
    expect(transitions(FAULT + 3, 0).filter((t) => t !== 'none')).toHaveLength(0);
  });
});
