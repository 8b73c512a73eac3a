/**
 * The seasonal baselines' parameters as one plain, canonical object (pure):
 * the scorer's settings (z50, warm-up, learning rules), the slot layouts
 * with their averaging weights and half-lives, the tail calibration, the
 * flat-line model (flat-line.ts), how a
 * service combines its features (service-combination.ts), the service warm-up and the time after which an episode's level is accepted
 * as the new normal, and the episode settings. The model registry versions
 * this object: two detectors with the same canonical text run the same
 * baselines (the hash is taken by the caller).
 */
import type { EpisodeConfig } from '../episodes/index.ts';
import { flatLineParameters } from './flat-line.ts';
import { DEFAULT_SEASONAL_SCORER, type SeasonalScorerConfig, seasonalParameters } from './seasonal-scorer.ts';
import { combinationParameters } from './service-combination.ts';
import { DEFAULT_ACCEPT_AFTER_MS, DEFAULT_WARMUP_WINDOWS } from './service-state.ts';
import { tailParameters } from './tail-calibration.ts';

/** What of a detector's settings shapes its baselines. */
export interface BaselineOptions {
  episode: Partial<EpisodeConfig>;
  warmupWindows?: number;
  acceptAfterMs?: number;
  scorer?: SeasonalScorerConfig;
}

/** The parameters of the baselines a detector with `opts` runs. */
export function baselineParameters(opts: BaselineOptions): Record<string, unknown> {
  return {
    seasonal: seasonalParameters(opts.scorer ?? DEFAULT_SEASONAL_SCORER),
    tail: tailParameters(),
    combination: combinationParameters(),
    flatLine: flatLineParameters(),
    warmupWindows: opts.warmupWindows ?? DEFAULT_WARMUP_WINDOWS,
    acceptAfterMs: opts.acceptAfterMs ?? DEFAULT_ACCEPT_AFTER_MS,
    episode: { ...opts.episode },
  };
}

/** JSON text of `value` with the keys of every object sorted (same value, same text); undefined members left out. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
