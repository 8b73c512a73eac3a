import { describe, expect, it } from 'vitest';
import { createRng } from '../stats/index.ts';
import { labelledFigures, quantile } from './evaluate.ts';
import { DEFAULT_GATE, type GateInput, gateDecision } from './gate.ts';

const base: GateInput = {
  candidate: { recall: 0.9, precision: 0.95 },
  baseline: { recall: 0.9, precision: 0.95 },
  faultWindows: 100,
  live: { windows: 1000, candidateAlarms: 10, baselineAlarms: 10 },
};

describe('shadow gate', () => {
  it('waits until enough live windows were paired', () => {
    const d = gateDecision({ ...base, live: { windows: 150, candidateAlarms: 0, baselineAlarms: 40 } });
    expect(d.action).toBe('wait');
    expect(d.reason).toContain(`150 of ${DEFAULT_GATE.minLiveWindows}`);
  });

  it('promotes an equal or better candidate and says why', () => {
    expect(gateDecision(base).action).toBe('promote');
    const better = gateDecision({ ...base, candidate: { recall: 0.97, precision: 0.99 }, live: { windows: 1000, candidateAlarms: 3, baselineAlarms: 20 } });
    expect(better.action).toBe('promote');
    expect(better.reason).toMatch(/recall 97\.0% vs 90\.0%/);
  });

  it('retires a candidate worse on recall, on precision or on live false alarms, naming the figure', () => {
    const recall = gateDecision({ ...base, candidate: { recall: 0.5, precision: 0.95 } });
    expect(recall.action).toBe('retire');
    expect(recall.reason).toContain('recall 50.0% against 90.0%');
    const precision = gateDecision({ ...base, candidate: { recall: 0.9, precision: 0.6 } });
    expect(precision.action).toBe('retire');
    expect(precision.reason).toContain('precision 60.0% against 95.0%');
    const live = gateDecision({ ...base, live: { windows: 1000, candidateAlarms: 120, baselineAlarms: 10 } });
    expect(live.action).toBe('retire');
    expect(live.reason).toContain('live false alarms 12.0% against 1.0%');
  });

  it('tolerates differences within the tolerance and chance, and ignores recall without labelled faults', () => {
    expect(gateDecision({ ...base, candidate: { recall: 0.89, precision: 0.94 } }).action).toBe('promote');
    expect(gateDecision({ ...base, live: { windows: 1000, candidateAlarms: 14, baselineAlarms: 10 } }).action).toBe('promote');
    // A few fault windows apart on a small labelled set is chance; the same gap on a large one is not.
    expect(
      gateDecision({ ...base, faultWindows: 156, candidate: { recall: 0.897, precision: 0.972 }, baseline: { recall: 0.929, precision: 0.973 } }).action,
    ).toBe('promote');
    expect(
      gateDecision({ ...base, faultWindows: 5000, candidate: { recall: 0.85, precision: 0.95 }, baseline: { recall: 0.93, precision: 0.95 } }).action,
    ).toBe('retire');
    const unlabelled = gateDecision({ ...base, faultWindows: 0, candidate: { recall: 0, precision: 1 } });
    expect(unlabelled.action).toBe('promote');
    expect(unlabelled.reason).toContain('no labelled fault windows');
  });
});

describe('labelled figures', () => {
  it('holds both versions to the same false-alarm budget and measures recall and precision at it', () => {
    const rng = createRng(3);
    const normal = Array.from({ length: 1000 }, () => rng.next());
    const separated = labelledFigures(
      normal,
      Array.from({ length: 50 }, () => 2 + rng.next()),
      0.99,
    );
    expect(separated.threshold).toBeCloseTo(quantile(normal, 0.99), 10);
    expect(separated.falseAlarmRate).toBeLessThanOrEqual(0.01);
    expect(separated.recall).toBe(1);
    expect(separated.precision).toBeGreaterThan(0.8);
    const blind = labelledFigures(
      normal,
      Array.from({ length: 50 }, () => rng.next() * 0.5),
      0.99,
    );
    expect(blind.recall).toBe(0);
    expect(blind.precision).toBe(0);
    expect(labelledFigures([], []).recall).toBe(0);
  });
});
