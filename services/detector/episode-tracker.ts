/**
 * Episode state machine of one service: opens after `openWindows`
 * consecutive windows at or above `openAt`, closes after `closeWindows`
 * consecutive windows below `closeBelow` (hysteresis), and marks the service
 * as flapping when it opened `flapOpens` times within `flapWindows` windows.
 */
export interface EpisodeConfig {
  openAt: number;
  closeBelow: number;
  openWindows: number;
  closeWindows: number;
  flapOpens: number;
  flapWindows: number;
}

/** Default episode settings. */
export const DEFAULT_EPISODE: EpisodeConfig = { openAt: 0.7, closeBelow: 0.5, openWindows: 1, closeWindows: 2, flapOpens: 3, flapWindows: 30 };

/** Serializable episode state of one service. */
export interface EpisodeState {
  /** Window counter (increments per update). */
  tick: number;
  episodeId: string | null;
  openedAtMs: number;
  above: number;
  below: number;
  maxScore: number;
  /** Ticks at which recent episodes opened. */
  opens: number[];
  seq: number;
}

/** What happened to the episode in one window. */
export type EpisodeTransition = 'none' | 'open' | 'ongoing' | 'closed';

/** Result of one {@link stepEpisode}. */
export interface EpisodeStep {
  transition: EpisodeTransition;
  episodeId: string | null;
  flapping: boolean;
  maxScore: number;
}

/** A fresh episode state. */
export function newEpisodeState(): EpisodeState {
  return { tick: 0, episodeId: null, openedAtMs: 0, above: 0, below: 0, maxScore: 0, opens: [], seq: 0 };
}

/** Advances `s` (mutated) by one window scored `score`, ending at `windowEndMs`. */
export function stepEpisode(s: EpisodeState, cfg: EpisodeConfig, service: string, score: number, windowEndMs: number): EpisodeStep {
  s.tick++;
  s.opens = s.opens.filter((t) => s.tick - t < cfg.flapWindows);
  let transition: EpisodeTransition = 'none';
  if (s.episodeId === null) {
    s.above = score >= cfg.openAt ? s.above + 1 : 0;
    if (s.above >= cfg.openWindows) {
      s.seq++;
      s.episodeId = `${service}:${windowEndMs}:${s.seq}`;
      s.openedAtMs = windowEndMs;
      s.maxScore = score;
      s.below = 0;
      s.opens.push(s.tick);
      transition = 'open';
    }
  } else {
    s.maxScore = Math.max(s.maxScore, score);
    s.below = score < cfg.closeBelow ? s.below + 1 : 0;
    transition = s.below >= cfg.closeWindows ? 'closed' : 'ongoing';
  }
  const step: EpisodeStep = { transition, episodeId: s.episodeId, flapping: s.opens.length >= cfg.flapOpens, maxScore: s.maxScore };
  if (transition === 'closed') {
    s.episodeId = null;
    s.above = 0;
  }
  return step;
}
