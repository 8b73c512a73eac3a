/**
 * Drives the live per-feature scoring path (ServiceModels without the neural
 * model) over one service's windows, for the ops-shaped and severity checks
 * in models/fleet (their tests only): 10 s windows from a Monday 00:00 UTC, seeded Gaussian noise.
 */

import { createRng } from '../stats/index.ts';
import type { FeatureVector, ServiceScore } from './outputs.ts';
import { ServiceModels } from './service-models.ts';

/** Window length, ms. */
export const W = 10_000;
/** A Monday, 00:00 UTC. */
export const T0 = Date.UTC(2026, 0, 5);

/** Scores `n` windows of one service, `features(k, gauss)` giving window k's features; returns every result. */
export function scoreSeries(n: number, features: (k: number, gauss: () => number) => FeatureVector, seed: number): ServiceScore[] {
  const models = new ServiceModels({ episode: {} });
  const rng = createRng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(Math.max(1e-12, rng.next()))) * Math.cos(2 * Math.PI * rng.next());
  const out: ServiceScore[] = [];
  for (let k = 0; k < n; k++) {
    out.push(
      models.scoreBatch([{ service: 'svc', startMs: T0 + (k - 1) * W, endMs: T0 + k * W, features: features(k, gauss), callees: [] }])[0] as ServiceScore,
    );
  }
  return out;
}
