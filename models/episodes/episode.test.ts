import { describe, expect, it } from 'vitest';
import { EpisodeTracker } from './episode.ts';

const cfg = { openLevel: 0.5, closeLevel: 0.3, minOpenMs: 20, minCloseMs: 30, flapWindowMs: 1000, flapOpenings: 3 };

/** Feeds scores at 10 ms spacing starting at `t0`; returns the events. */
function feed(tr: EpisodeTracker, scores: number[], t0 = 0) {
  return scores.map((s, i) => tr.update(s, t0 + i * 10));
}

describe('EpisodeTracker', () => {
  it('opens only after the score stays high for minOpenMs', () => {
    const tr = new EpisodeTracker(cfg);
    const out = feed(tr, [0.9, 0.9, 0.1, 0.9, 0.9, 0.9]);
    expect(out.map((u) => u.open)).toEqual([false, false, false, false, false, true]);
    expect(out[5]?.event).toEqual({ type: 'opened', at: 50 });
  });

  it('keeps an episode open between closeLevel and openLevel (hysteresis) and closes after minCloseMs', () => {
    const tr = new EpisodeTracker({ ...cfg, minOpenMs: 0 });
    const out = feed(tr, [0.8, 0.4, 0.4, 0.2, 0.2, 0.2, 0.2]);
    expect(out.map((u) => u.open)).toEqual([true, true, true, true, true, true, false]);
    expect(out[6]?.event).toEqual({ type: 'closed', at: 60, startedAt: 0, durationMs: 60, peak: 0.8, quietSince: 30 });
  });

  it('a closed event says when the quiet run that closed it began, not an earlier quiet stretch', () => {
    const tr = new EpisodeTracker({ ...cfg, minOpenMs: 0 });
    const out = feed(tr, [0.8, 0.1, 0.1, 0.6, 0.1, 0.1, 0.1, 0.1]);
    expect(out[7]?.event).toMatchObject({ type: 'closed', at: 70, quietSince: 40 });
  });

  it('a brief dip below closeLevel does not close the episode', () => {
    const tr = new EpisodeTracker({ ...cfg, minOpenMs: 0 });
    const out = feed(tr, [0.8, 0.1, 0.1, 0.6, 0.1, 0.1]);
    expect(out.every((u) => u.open)).toBe(true);
  });

  it('flags flapping after repeated openings within the flap window, and clears it later', () => {
    const tr = new EpisodeTracker({ ...cfg, minOpenMs: 0, minCloseMs: 0 });
    const out = feed(tr, [0.9, 0, 0.9, 0, 0.9, 0]);
    expect(out.map((u) => u.flapping)).toEqual([false, false, false, false, true, true]);
    expect(tr.update(0, 5000).flapping).toBe(false);
  });

  it('ignores non-finite scores and survives a JSON round trip', () => {
    const tr = new EpisodeTracker({ ...cfg, minOpenMs: 0 });
    feed(tr, [0.9, Number.NaN]);
    const copy = new EpisodeTracker({}, JSON.parse(JSON.stringify(tr.toJSON())));
    const a = feed(tr, [0.1, 0.1, 0.1, 0.1, 0.1], 20);
    const b = feed(copy, [0.1, 0.1, 0.1, 0.1, 0.1], 20);
    expect(b).toEqual(a);
    expect(a.at(-1)?.open).toBe(false);
  });

  it('hold: a window without evidence neither opens, closes nor starts a quiet stretch', () => {
    const t = new EpisodeTracker({ openLevel: 0.5, closeLevel: 0.3, minCloseMs: 2_000 });
    expect(t.hold(0)).toEqual({ open: false, flapping: false, event: null });
    expect(t.update(0.9, 1_000).event?.type).toBe('opened');
    expect(t.isOpen).toBe(true);
    for (let at = 2_000; at <= 10_000; at += 1_000) expect(t.hold(at).open).toBe(true);
    // The quiet stretch starts with the first real quiet window, not with the held ones.
    expect(t.update(0.1, 11_000).event).toBeNull();
    expect(t.update(0.1, 12_000).event).toBeNull();
    expect(t.update(0.1, 13_000).event?.type).toBe('closed');
    expect(t.isOpen).toBe(false);
  });

  it('rejects a closeLevel above openLevel', () => {
    expect(() => new EpisodeTracker({ openLevel: 0.3, closeLevel: 0.5 })).toThrow(RangeError);
  });
});
