import { describe, expect, it } from 'vitest';
import type { ForecastTrigger } from '../playbooks/index.ts';
import { planScaling } from './scaling-plan.ts';

const trigger: ForecastTrigger = {
  type: 'forecast',
  leadSeconds: 300,
  capacity: { perReplica: 20, metricWindowSeconds: 300 },
  minReplicas: 2,
  maxReplicas: 8,
  scaleIn: { afterSeconds: 600, belowUtilization: 0.5 },
};
// 60 s steps: the lead is the first 5, the scale-in horizon the first 15.
const plan = (current: number, upper: number[]) => planScaling({ trigger, currentReplicas: current, perReplica: 20, stepSeconds: 60, upper });
const flat = (n: number, v: number) => Array.from({ length: n }, () => v);

describe('the replica plan of a forecast trigger', () => {
  it('scales out to the replicas the upper bound within the lead time needs, capped at maxReplicas', () => {
    expect(plan(2, [30, 30, 30, 30, 95, ...flat(10, 30)])).toMatchObject({ action: 'scale_out', replicas: 5, peakUpper: 95, capacity: 40 });
    expect(plan(2, [30, 30, 30, 30, 500, ...flat(10, 30)])).toMatchObject({ action: 'scale_out', replicas: 8 });
    // A peak after the lead time is not acted on yet.
    expect(plan(2, [30, 30, 30, 30, 30, 95, ...flat(9, 30)])).toMatchObject({ action: 'hold', replicas: 2 });
  });

  it('holds between the scale-out and scale-in thresholds (hysteresis)', () => {
    // 70 req/s: 4 replicas (80) are enough, 3 are not under 50 % of their capacity either way.
    expect(plan(4, flat(15, 70))).toMatchObject({ action: 'hold', replicas: 4 });
    // 45 req/s on 4 replicas: scale-in would need 45 <= 0.5 x 20 x 3 = 30: no.
    expect(plan(4, flat(15, 45))).toMatchObject({ action: 'hold', replicas: 4 });
  });

  it('scales in only when the upper bound stays low over the lead time plus afterSeconds, never below minReplicas', () => {
    expect(plan(6, flat(15, 25))).toMatchObject({ action: 'scale_in', replicas: 3 });
    expect(plan(6, flat(15, 1))).toMatchObject({ action: 'scale_in', replicas: 2 });
    // A rise inside the scale-in horizon keeps the replicas.
    expect(plan(6, [...flat(10, 1), 110, ...flat(4, 1)])).toMatchObject({ action: 'hold', replicas: 6 });
  });

  it('brings a count outside [minReplicas, maxReplicas] back inside it', () => {
    expect(plan(1, flat(15, 0))).toMatchObject({ action: 'scale_out', replicas: 2 });
    expect(plan(12, flat(15, 150))).toMatchObject({ action: 'scale_in', replicas: 8 });
  });
});
