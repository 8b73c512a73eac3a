import { describe, expect, it } from 'vitest';
import { episodeStep } from './episode-step.ts';
import type { Evidence, WindowInput } from './outputs.ts';
import { liveOf, newLive, stateOf } from './service-state.ts';

const STEP = 10_000;
const EPISODE = { openLevel: 0.7, closeLevel: 0.5, minOpenMs: 0, minCloseMs: STEP, flapWindowMs: 60 * STEP, flapOpenings: 3 };
const OPTS = { episode: EPISODE };

function window(k: number, errorRatio: number): WindowInput {
  return { service: 'api', startMs: k * STEP, endMs: (k + 1) * STEP, features: { request_rate: 20, error_ratio: errorRatio, 'metric:cpu': 0.4 }, callees: [] };
}

/** Failing requests and a runtime metric far above its baseline: the episode step keeps a metric run for the metric. */
const FAULT: Evidence[] = [
  { feature: 'error_ratio', observed: 0.6, expected: 0.01, deviation: 30 },
  { feature: 'metric:cpu', observed: 3, expected: 0.4, deviation: 40 },
];

describe('service meta state', () => {
  it('keeps one shape through an episode (fields that go away become undefined, none is added or deleted)', () => {
    const m = newLive(EPISODE);
    const keys = Object.keys(m.st);
    for (let k = 0; k < 40; k++) episodeStep(window(k, 0.01), m, { score: 0.1, likelihood: 0.1, evidence: [] }, OPTS);
    for (let k = 40; k < 44; k++) episodeStep(window(k, 0.6), m, { score: 0.95, likelihood: 0.95, evidence: FAULT }, OPTS);
    expect(m.st.episodeId).not.toBeNull();
    expect(m.st.metricRuns).toBeDefined();
    expect(Object.keys(m.st)).toEqual(keys);
    for (let k = 44; k < 50; k++) episodeStep(window(k, 0.01), m, { score: 0.1, likelihood: 0.1, evidence: [] }, OPTS);
    expect(m.st.episodeId).toBeNull();
    expect(m.st.metricRuns).toBeUndefined();
    expect(Object.keys(m.st)).toEqual(keys);
  });

  it('leaves the undefined fields out of a snapshot and restores to the same shape', () => {
    const m = newLive(EPISODE);
    for (let k = 0; k < 40; k++) episodeStep(window(k, 0.01), m, { score: 0.1, likelihood: 0.1, evidence: [] }, OPTS);
    episodeStep(window(40, 0.6), m, { score: 0.95, likelihood: 0.95, evidence: FAULT }, OPTS);
    const state = stateOf(m);
    expect(Object.entries(state).filter(([, v]) => v === undefined)).toEqual([]);
    expect(state).not.toHaveProperty('train');
    expect(state.episodeFeature).toBe('error_ratio');
    expect(Object.keys(liveOf(state, EPISODE).st)).toEqual(Object.keys(m.st));
  });

  it('keeps a low-traffic error run (shareRun) through a snapshot and a restore', () => {
    const m = newLive(EPISODE);
    const keys = Object.keys(m.st);
    m.st.shareRun = { windows: 2, counts: [1, 2, 1, 3], tally: [2, 0.1, 0.098] };
    const restored = liveOf(stateOf(m), EPISODE);
    expect(restored.st.shareRun).toEqual({ windows: 2, counts: [1, 2, 1, 3], tally: [2, 0.1, 0.098] });
    expect(Object.keys(restored.st)).toEqual(keys);
  });
});
