import { describe, expect, it } from 'vitest';
import { createRng } from '../stats/index.ts';
import type { ServiceScore, WindowInput } from './outputs.ts';
import { ServiceModels } from './service-models.ts';

const STEP = 10_000;
// Close after three quiet windows, so that the window that closes is not the one where the recovery began.
const EPISODE = { openLevel: 0.7, closeLevel: 0.5, minOpenMs: 0, minCloseMs: 2 * STEP, flapWindowMs: 60 * STEP, flapOpenings: 3 };

describe('a closing window says when the recovery began', () => {
  it('recoveryStartMs is the end of the first window of the quiet run that closed the episode', () => {
    const rng = createRng(3);
    const window = (k: number, fault: boolean): WindowInput => ({
      service: 'api',
      startMs: k * STEP,
      endMs: (k + 1) * STEP,
      features: { request_rate: 20 + rng.next(), error_ratio: fault ? 0.8 : 0.001 * rng.next(), latency_p95_ms: 80 + 5 * rng.next() },
      callees: [],
    });
    const models = new ServiceModels({ episode: EPISODE, warmupWindows: 30 });
    let k = 0;
    for (; k < 120; k++) models.scoreBatch([window(k, false)]);
    const run: ServiceScore[] = [];
    for (let i = 0; i < 4; i++) run.push(models.scoreBatch([window(k++, true)])[0] as ServiceScore);
    for (let i = 0; i < 8; i++) run.push(models.scoreBatch([window(k++, false)])[0] as ServiceScore);
    expect(run[0]?.transition).toBe('open');
    const closedAt = run.findIndex((r) => r.transition === 'closed');
    expect(closedAt).toBeGreaterThan(4);
    // The quiet run: the windows after the last one at or above the close level, up to the closing one.
    let first = closedAt;
    while (first > 0 && (run[first - 1]?.score ?? 1) < EPISODE.closeLevel) first--;
    expect(first).toBeLessThan(closedAt);
    expect(run[closedAt]?.recoveryStartMs).toBe(run[first]?.input.endMs);
    expect(run.filter((r) => r.transition !== 'closed').every((r) => r.recoveryStartMs === undefined)).toBe(true);
  });
});
