import { describe, expect, it } from 'vitest';
import { ServiceModels } from '../fleet/index.ts';
import {
  ALL_FEATURES,
  applyLabel,
  type CalibrationLabel,
  type CalibrationSettings,
  decayedShift,
  emptyCalibration,
  factorOf,
  labelStep,
  type ServiceCalibration,
  spreadFactors,
} from './index.ts';

const DAY = 24 * 3_600_000;
const SETTINGS: CalibrationSettings = { targetFalseAlarmRate: 0.1, halfLifeMs: DAY, maxShift: 3 };
const T0 = 1_700_000_000_000;

function label(kind: CalibrationLabel['kind'], atMs = T0, features = ['latency_p95']): CalibrationLabel {
  return { kind, features, atMs, fromMs: atMs - 60_000, toMs: atMs - 30_000 };
}

function apply(cal: ServiceCalibration, labels: CalibrationLabel[]): ServiceCalibration {
  return labels.reduce(applyLabel, cal);
}

describe('recalibration from labels', () => {
  it('moves in the direction of the label: false positives widen, true positives and misses narrow', () => {
    const fp = spreadFactors(applyLabel(emptyCalibration(SETTINGS), label('false_positive')), T0);
    expect(factorOf(fp, 'latency_p95')).toBeCloseTo(2 ** 0.9, 12);
    expect(factorOf(fp, 'error_ratio')).toBe(1);
    const tp = spreadFactors(applyLabel(emptyCalibration(SETTINGS), label('true_positive')), T0);
    expect(factorOf(tp, 'latency_p95')).toBeCloseTo(2 ** -0.1, 12);
    const missed = spreadFactors(applyLabel(emptyCalibration(SETTINGS), label('missed')), T0);
    // a miss moves every feature of the service, whatever the label names
    expect(factorOf(missed, 'error_ratio')).toBeCloseTo(0.5, 12);
    expect(factorOf(missed, 'latency_p95')).toBeCloseTo(0.5, 12);
  });

  it('balances when the false-positive share of labelled alarms equals the target rate', () => {
    for (const rate of [0.05, 0.1, 0.25]) {
      const fps = Math.round(rate * 100);
      const expected = fps * labelStep('false_positive', rate) + (100 - fps) * labelStep('true_positive', rate);
      expect(expected).toBeCloseTo(0, 9);
    }
    // a stream at the target rate stays near zero; above it the threshold rises, below it falls
    const stream = (share: number) =>
      apply(
        emptyCalibration({ ...SETTINGS, maxShift: 100 }),
        Array.from({ length: 40 }, (_, i) => label((i * share) % 1 < share - 1e-9 ? 'false_positive' : 'true_positive', T0 + i)),
      );
    expect(Math.abs(stream(0.1).shifts.latency_p95?.shift as number)).toBeLessThan(1);
    expect(stream(0.5).shifts.latency_p95?.shift as number).toBeGreaterThan(5);
    expect(stream(0).shifts.latency_p95?.shift as number).toBeLessThan(-3);
  });

  it('is bounded: no number of labels widens or narrows a spread beyond 2^maxShift', () => {
    const many = apply(
      emptyCalibration(SETTINGS),
      Array.from({ length: 50 }, (_, i) => label('false_positive', T0 + i)),
    );
    expect(factorOf(spreadFactors(many, T0 + 50), 'latency_p95')).toBeCloseTo(8, 5);
    const misses = apply(
      many,
      Array.from({ length: 50 }, (_, i) => label('missed', T0 + 100 + i)),
    );
    // the service-wide and the feature's shift add up, and the sum is clamped too
    expect(factorOf(spreadFactors(misses, T0 + 200), 'error_ratio')).toBeCloseTo(1 / 8, 5);
    expect(factorOf(spreadFactors(misses, T0 + 200), 'latency_p95')).toBeGreaterThanOrEqual(1 / 8 - 1e-12);
    expect(factorOf(spreadFactors(misses, T0 + 200), 'latency_p95')).toBeLessThanOrEqual(8 + 1e-12);
  });

  it('decays with the half-life, so one label cannot silence a service for good', () => {
    const cal = applyLabel(emptyCalibration(SETTINGS), label('false_positive'));
    const s = cal.shifts.latency_p95;
    expect(s).toBeDefined();
    expect(decayedShift(s as NonNullable<typeof s>, T0 + DAY, SETTINGS)).toBeCloseTo(0.45, 12);
    expect(decayedShift(s as NonNullable<typeof s>, T0 + 10 * DAY, SETTINGS)).toBeLessThan(0.001);
    // earlier times are not extrapolated backwards
    expect(decayedShift(s as NonNullable<typeof s>, T0 - DAY, SETTINGS)).toBeCloseTo(0.9, 12);
    // a later label adds to the decayed shift, not to the original
    const again = applyLabel(cal, label('false_positive', T0 + DAY));
    expect(again.shifts.latency_p95?.shift).toBeCloseTo(0.45 + 0.9, 12);
  });

  it('keeps false-positive ranges as normal data, bounded, and leaves its input unchanged', () => {
    const empty = emptyCalibration(SETTINGS);
    const cal = apply(
      empty,
      Array.from({ length: 40 }, (_, i) => label('false_positive', T0 + i * 1000)),
    );
    expect(empty.normalRanges).toEqual([]);
    expect(empty.counts.false_positive).toBe(0);
    expect(cal.counts.false_positive).toBe(40);
    expect(cal.normalRanges.length).toBe(32);
    expect(cal.normalRanges.at(-1)).toEqual([T0 + 39_000 - 60_000, T0 + 39_000 - 30_000]);
    expect(applyLabel(cal, label('true_positive')).normalRanges.length).toBe(32);
    expect(cal.shifts[ALL_FEATURES]).toBeUndefined();
  });

  it('raises the threshold of the labelled feature in the fleet scoring and leaves the others as sensitive', () => {
    // one service, steady traffic with a little jitter, no neural model: the seasonal scorer alone
    const run = (cal?: ServiceCalibration) => {
      const models = new ServiceModels({ episode: { openLevel: 0.7, closeLevel: 0.5, minOpenMs: 0, minCloseMs: 1000 } });
      if (cal) models.setCalibration('svc', cal);
      let t = T0;
      const window = (lat: number, err: number) => {
        t += 1000;
        const [r] = models.scoreBatch([
          { service: 'svc', startMs: t - 1000, endMs: t, features: { request_rate: 20, latency_p95: lat, error_ratio: err }, callees: [] },
        ]);
        return r?.score ?? 0;
      };
      for (let i = 0; i < 80; i++) window(20 + (i % 5), 0.01 * (i % 3));
      return { bump: window(60, 0.01), quiet: [window(22, 0.01), window(21, 0.01), window(22, 0)], errors: window(22, 0.5) };
    };
    const before = run();
    const cal = apply(emptyCalibration(SETTINGS), [
      label('false_positive', T0),
      label('false_positive', T0),
      label('false_positive', T0),
      label('false_positive', T0),
    ]);
    const after = run(cal);
    expect(before.bump).toBeGreaterThanOrEqual(0.7);
    expect(after.bump).toBeLessThan(0.7);
    expect(before.errors).toBeGreaterThanOrEqual(0.7);
    expect(after.errors).toBeGreaterThanOrEqual(0.7);
  });
});
