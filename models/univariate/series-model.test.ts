import { describe, expect, it } from 'vitest';
import { type ServiceScore, ServiceModels } from '../fleet/index.ts';
import { createRng } from '../stats/index.ts';
import { SERIES_FEATURE, SeriesModel, scoreSeries } from './series-model.ts';

const STEP = 300_000;
const T0 = Date.UTC(2024, 0, 1);

/** A noisy daily series with a spike at row 900 and a level drop from row 1200. */
function series(n: number): { times: number[]; values: number[] } {
  const rng = createRng(3);
  const times: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    times.push(T0 + i * STEP);
    const daily = 20 * Math.sin((2 * Math.PI * i) / 288);
    values.push(100 + daily + 2 * (rng.next() - 0.5) + (i === 900 ? 80 : 0) - (i >= 1200 ? 60 : 0));
  }
  return { times, values };
}

describe('SeriesModel', () => {
  it('scores a series exactly as the live service models score a service with that one gauge', () => {
    const { times, values } = series(1500);
    const live = new ServiceModels({ episode: {} });
    const expected = values.map((v, i) => {
      const w = { service: 's', startMs: (times[i - 1] ?? 0) as number, endMs: times[i] as number, features: { [SERIES_FEATURE]: v }, callees: [] };
      return (live.scoreBatch([w])[0] as ServiceScore).score;
    });
    expect(scoreSeries(times, values)).toEqual(expected);
    // The spike and the drop open episodes (alarms), and only the drop's episode is still open at the end.
    const onsets = scoreSeries(times, values, {}, 'onset');
    expect(onsets[900]).toBeGreaterThanOrEqual(0.5);
    expect(onsets.slice(1200, 1210).some((s) => s >= 0.5)).toBe(true);
    expect(live.inEpisode('s')).toBe(true);
  });

  it('continues identically from its JSON state', () => {
    const { times, values } = series(1400);
    const a = new SeriesModel();
    for (let i = 0; i < 1000; i++) a.update(times[i] as number, values[i] as number);
    const b = new SeriesModel({}, JSON.parse(JSON.stringify(a.toJSON())));
    for (let i = 1000; i < 1400; i++) {
      expect(b.update(times[i] as number, values[i] as number)).toBe(a.update(times[i] as number, values[i] as number));
      expect(b.last.transition).toBe(a.last.transition);
    }
  });
});
