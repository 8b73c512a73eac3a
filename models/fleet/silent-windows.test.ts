import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../stats/index.ts';
import { SILENT_HOLD_WINDOWS } from './episode-step.ts';
import type { ServiceScore, WindowInput } from './outputs.ts';
import { ServiceModels } from './service-models.ts';

const STEP = 2_000;
// The detector's episode settings for a window of STEP (services/detector/detector-state.ts): close after two quiet windows.
const EPISODE = { openLevel: 0.7, closeLevel: 0.5, minOpenMs: 0, minCloseMs: STEP, flapWindowMs: 60 * STEP, flapOpenings: 3 };

/**
 * A window of a service with bursty traffic (0 to 12 requests/s, now and then
 * none in a window) answered in ~50 ms; `fault`: every request fails after
 * 3 s; `silent`: none answered.
 */
function red(k: number, rng: Rng, mode: 'normal' | 'fault' | 'silent'): WindowInput {
  const jitter = () => 1 + 0.1 * (rng.next() - 0.5);
  const quiet = mode === 'normal' && rng.next() < 0.1;
  const features: Record<string, number> =
    mode === 'silent' || quiet
      ? { request_rate: 0, 'metric:heap': 40 * jitter() }
      : mode === 'fault'
        ? { request_rate: 1, error_ratio: 1, latency_p50_ms: 3000, latency_p95_ms: 3000, latency_p99_ms: 3000, 'metric:heap': 40 * jitter() }
        : {
            request_rate: 0.5 + 11.5 * rng.next(),
            error_ratio: 0,
            latency_p50_ms: 50 * jitter(),
            latency_p95_ms: 80 * jitter(),
            latency_p99_ms: 90 * jitter(),
            'metric:heap': 40 * jitter(),
          };
  return { service: 'db', startMs: k * STEP, endMs: (k + 1) * STEP, features, callees: [] };
}

function warmed(): { models: ServiceModels; rng: Rng; k: number } {
  const rng = createRng(11);
  const models = new ServiceModels({ episode: EPISODE, warmupWindows: 30 });
  let k = 0;
  for (; k < 120; k++) models.scoreBatch([red(k, rng, 'normal')]);
  return { models, rng, k };
}

const step = (models: ServiceModels, w: WindowInput) => models.scoreBatch([w])[0] as ServiceScore;

describe('windows in which a service answered no request', () => {
  it('do not close an open episode: a fault that answers in bursts keeps one episode', () => {
    const { models, rng, k: k0 } = warmed();
    let k = k0;
    const opened = step(models, red(k++, rng, 'fault'));
    expect(opened.transition).toBe('open');
    // An exhausted pool: bursts of failures with empty windows in between (two quiet windows would close an episode).
    const trail: ServiceScore[] = [];
    for (let burst = 0; burst < 4; burst++) {
      for (let i = 0; i < 3; i++) trail.push(step(models, red(k++, rng, 'silent')));
      trail.push(step(models, red(k++, rng, 'fault')));
    }
    expect(trail.map((r) => r.transition)).not.toContain('closed');
    expect(new Set(trail.map((r) => r.episodeId))).toEqual(new Set([opened.episodeId]));
    // Back to normal with requests: the episode closes.
    const after = [step(models, red(k++, rng, 'normal')), step(models, red(k++, rng, 'normal')), step(models, red(k++, rng, 'normal'))];
    expect(after.map((r) => r.transition)).toContain('closed');
  });

  it('close an episode once the service stayed silent longer than the hold', () => {
    const { models, rng, k: k0 } = warmed();
    let k = k0;
    expect(step(models, red(k++, rng, 'fault')).transition).toBe('open');
    const trail: string[] = [];
    for (let i = 0; i < SILENT_HOLD_WINDOWS + 3; i++) trail.push(step(models, red(k++, rng, 'silent')).transition);
    expect(trail.slice(0, SILENT_HOLD_WINDOWS)).not.toContain('closed');
    expect(trail).toContain('closed');
  });

  it('still close a quiet episode of a service that never serves requests (metrics only)', () => {
    const rng = createRng(5);
    const models = new ServiceModels({ episode: EPISODE, warmupWindows: 30 });
    const metricsOnly = (k: number, heap: number): WindowInput => ({
      service: 'batch',
      startMs: k * STEP,
      endMs: (k + 1) * STEP,
      features: { 'metric:heap': heap * (1 + 0.05 * (rng.next() - 0.5)) },
      callees: [],
    });
    let k = 0;
    for (; k < 120; k++) models.scoreBatch([metricsOnly(k, 40)]);
    const jump = step(models, metricsOnly(k++, 400));
    expect(jump.transition).toBe('open');
    const back = [1, 2, 3].map(() => step(models, metricsOnly(k++, 40)).transition);
    expect(back).toContain('closed');
  });
});
