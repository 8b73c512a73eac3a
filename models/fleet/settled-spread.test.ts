import { describe, expect, it } from 'vitest';
import { scoreSeries, W } from './series-fixture.ts';

const DAY = 86_400_000 / W;
const HOUR = 3_600_000 / W;
/** Third day, 08:00 and three windows: just after the daily step. */
const FAULT = 2 * DAY + 8 * HOUR + 3;

/** A gauge that steps from 5 to 15 at 08:00 every day (a shift of work starting), noise 0.5, plus `fault` from {@link FAULT}. */
function shiftGauge(fault: number) {
  return (k: number, gauss: () => number) => ({ 'metric:queue_depth': ((k % DAY) / HOUR >= 8 ? 15 : 5) + 0.5 * gauss() + (k >= FAULT ? fault : 0) });
}

describe('the spread once the daily residual scale has settled', () => {
  it('a fault just after a daily step the slots expect is judged by the residual spread, not by the step', () => {
    // By the third day the hourly slots expect the step and the residuals stay small. The raw values' spread around
    // their recent mean does not: for minutes after the step it counts the step itself (10 units), and as the spread
    // it hid a fault of 8 units right after the step (scores below 0.3, the baseline then learning the fault).
    const faulty = scoreSeries(FAULT + 6, shiftGauge(8), 16);
    expect(faulty[FAULT]?.transition).toBe('open');
    expect(faulty.slice(FAULT).every((r) => r.transition !== 'none')).toBe(true);
    // The step alone, as every day, opens nothing there.
    const normal = scoreSeries(FAULT + 6, shiftGauge(0), 16);
    expect(normal.slice(FAULT - 4, FAULT + 6).filter((r) => r.transition !== 'none')).toHaveLength(0);
  });
});
