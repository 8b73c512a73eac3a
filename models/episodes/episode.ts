/**
 * Episode state machine for a stream of anomaly scores (one per service or
 * feature): an episode opens when the score stays at or above `openLevel`
 * for `minOpenMs`, stays open while the score is above the lower
 * `closeLevel` (hysteresis), and closes once the score has stayed below
 * `closeLevel` for `minCloseMs`. Episodes that open too often within
 * `flapWindowMs` mark the stream as flapping (guardrails hold actions then).
 */

/** Settings of an {@link EpisodeTracker}. */
export interface EpisodeConfig {
  /** Score at or above which an episode may open. Default 0.5. */
  openLevel: number;
  /** Score below which an open episode may close; <= openLevel. Default 0.3. */
  closeLevel: number;
  /** Time the score must stay >= openLevel before opening, ms. Default 0 (open at once). */
  minOpenMs: number;
  /** Time the score must stay < closeLevel before closing, ms. Default 30 s. */
  minCloseMs: number;
  /** Look-back for flap detection, ms. Default 10 min. */
  flapWindowMs: number;
  /** Openings within `flapWindowMs` that count as flapping. Default 3. */
  flapOpenings: number;
}

/** Default episode settings. */
export const DEFAULT_EPISODE: EpisodeConfig = { openLevel: 0.5, closeLevel: 0.3, minOpenMs: 0, minCloseMs: 30_000, flapWindowMs: 600_000, flapOpenings: 3 };

/** Serializable state of an {@link EpisodeTracker}. */
export interface EpisodeState {
  config: EpisodeConfig;
  /** Whether an episode is open. */
  open: boolean;
  /** Start of the current episode (open) or of the pending rise (closed), ms; null if none. */
  since: number | null;
  /** Start of the current below-closeLevel stretch of an open episode, ms; null if none. */
  quietSince: number | null;
  /** Highest score of the open episode. */
  peak: number;
  /** Times of recent openings, ms, oldest first. */
  openings: number[];
}

/** What one update changed. */
/**
 * A transition. A `closed` event carries `quietSince`: the time of the first
 * update of the below-`closeLevel` run that closed the episode (when the
 * recovery showed first; `at` is only when it had lasted `minCloseMs`).
 */
export type EpisodeEvent =
  | { type: 'opened'; at: number }
  | { type: 'closed'; at: number; startedAt: number; durationMs: number; peak: number; quietSince: number }
  | null;

/** Result of {@link EpisodeTracker.update}. */
export interface EpisodeUpdate {
  /** Whether an episode is open after this update. */
  open: boolean;
  /** Whether the stream is flapping (too many openings recently). */
  flapping: boolean;
  /** The transition this update caused, if any. */
  event: EpisodeEvent;
}

/** Tracks episodes over one score stream; see the module comment. */
export class EpisodeTracker {
  private readonly s: EpisodeState;

  constructor(config: Partial<EpisodeConfig> = {}, state?: EpisodeState) {
    const cfg = { ...DEFAULT_EPISODE, ...(state?.config ?? config) };
    if (cfg.closeLevel > cfg.openLevel) throw new RangeError('closeLevel must not exceed openLevel');
    this.s = state ? structuredClone(state) : { config: cfg, open: false, since: null, quietSince: null, peak: 0, openings: [] };
  }

  /**
   * Feeds one score at time `at` (ms, non-decreasing). A non-finite score is
   * treated as "no evidence": it neither opens nor keeps open an episode.
   */
  update(score: number, at: number): EpisodeUpdate {
    const x = Number.isFinite(score) ? score : 0;
    const event = this.s.open ? this.whileOpen(x, at) : this.whileClosed(x, at);
    const cutoff = at - this.s.config.flapWindowMs;
    while (this.s.openings.length > 0 && (this.s.openings[0] as number) <= cutoff) this.s.openings.shift();
    return { open: this.s.open, flapping: this.s.openings.length >= this.s.config.flapOpenings, event };
  }

  /** Whether an episode is open. */
  get isOpen(): boolean {
    return this.s.open;
  }

  /**
   * A window that carries no evidence either way (at time `at`): nothing
   * opens, an open episode stays open, and a quiet stretch neither starts
   * nor ends with it.
   */
  hold(at: number): EpisodeUpdate {
    const cutoff = at - this.s.config.flapWindowMs;
    while (this.s.openings.length > 0 && (this.s.openings[0] as number) <= cutoff) this.s.openings.shift();
    return { open: this.s.open, flapping: this.s.openings.length >= this.s.config.flapOpenings, event: null };
  }

  private whileClosed(x: number, at: number): EpisodeEvent {
    if (x < this.s.config.openLevel) {
      this.s.since = null;
      return null;
    }
    this.s.since ??= at;
    if (at - this.s.since < this.s.config.minOpenMs) return null;
    this.s.open = true;
    this.s.since = at;
    this.s.peak = x;
    this.s.quietSince = null;
    this.s.openings.push(at);
    return { type: 'opened', at };
  }

  private whileOpen(x: number, at: number): EpisodeEvent {
    this.s.peak = Math.max(this.s.peak, x);
    if (x >= this.s.config.closeLevel) {
      this.s.quietSince = null;
      return null;
    }
    this.s.quietSince ??= at;
    if (at - this.s.quietSince < this.s.config.minCloseMs) return null;
    const startedAt = this.s.since as number;
    const event: EpisodeEvent = { type: 'closed', at, startedAt, durationMs: at - startedAt, peak: this.s.peak, quietSince: this.s.quietSince };
    this.s.open = false;
    this.s.since = null;
    this.s.quietSince = null;
    this.s.peak = 0;
    return event;
  }

  /** The settings the tracker runs with (those of its restored state, if any). */
  get config(): Readonly<EpisodeConfig> {
    return this.s.config;
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): EpisodeState {
    return structuredClone(this.s);
  }
}
