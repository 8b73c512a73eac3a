import { describe, expect, it } from 'vitest';
import { BandArena, bandOf, bandsRecord } from './expected-bands.ts';
import { SeasonalScorer } from './seasonal-scorer.ts';

describe('expected bands of a scored window', () => {
  it('are the expectations of the window before it is learned, feature by feature', () => {
    const s = new SeasonalScorer();
    const t0 = Date.UTC(2026, 0, 1);
    // A small arena: the bands of many windows share its chunks, and a new chunk starts now and then.
    const arena = new BandArena(40);
    const kept: Array<[ReturnType<typeof s.bands>, Record<string, [number, number, number]>]> = [];
    for (let i = 0; i < 300; i++) {
      const t = t0 + i * 600_000;
      // A feature that appears late (still warming up for a while), one that is sometimes absent, one sometimes not finite.
      const w: Record<string, number> = { latency_p99_ms: 100 + 20 * Math.sin(i / 7), request_rate: 50 + (i % 5) };
      if (i > 250) w['metric:late'] = i;
      if (i % 3 !== 0) w.error_ratio = 0.01 * (i % 4);
      if (i % 11 === 0) w.request_rate = Number.NaN;
      const before = s.expectations(w, t);
      s.score(w, t);
      const bands = s.bands(arena);
      expect(bandsRecord(bands)).toEqual(before);
      for (const f of ['latency_p99_ms', 'request_rate', 'error_ratio', 'metric:late', 'unknown']) expect(bandOf(bands, f)).toEqual(before[f]);
      kept.push([bands, before]);
      s.learn(w, t, 0);
    }
    // Later windows' bands never overwrite earlier ones.
    for (const [bands, before] of kept) expect(bandsRecord(bands)).toEqual(before);
  });

  it('keep their window: features the service learns later do not count', () => {
    const s = new SeasonalScorer();
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 10; i++) s.learn({ request_rate: 10 }, t0 + i * 10_000, 0);
    s.score({ request_rate: 10 }, t0 + 100_000);
    const bands = s.bands(new BandArena());
    for (let i = 0; i < 10; i++) s.learn({ request_rate: 10, error_ratio: 0 }, t0 + (11 + i) * 10_000, 0);
    expect(Object.keys(bandsRecord(bands))).toEqual(['request_rate']);
    expect(bandOf(bands, 'error_ratio')).toBeUndefined();
    expect(bandsRecord(undefined)).toEqual({});
  });
});
