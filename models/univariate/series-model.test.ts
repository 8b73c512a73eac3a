import { describe, expect, it } from 'vitest';
import { DEFAULT_SEASONAL_SCORER, ServiceModels, type ServiceScore } from '../fleet/index.ts';
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
  it('scores a series exactly as the live service models score a service with that one gauge (its weekly feature)', () => {
    const { times, values } = series(1500);
    const live = new ServiceModels({ episode: {}, scorer: { ...DEFAULT_SEASONAL_SCORER, weeklyFeature: SERIES_FEATURE } });
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

describe('SeriesModel alarm score', () => {
  /** A noisy flat series with a burst of 4 rows (+60, 6 spreads) every 400 rows and, at row 5200, a far larger one (+300). */
  function bursty(n: number): { times: number[]; values: number[] } {
    const rng = createRng(5);
    const times: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < n; i++) {
      times.push(T0 + i * STEP);
      const burst = i >= 400 && i % 400 < 4 ? (i >= 5200 && i < 5204 ? 300 : 60) : 0;
      values.push(100 + 2 * (rng.next() - 0.5) + burst);
    }
    return { times, values };
  }

  it('scores a burst the series keeps having lower each time, and a record at its full score', () => {
    const { times, values } = bursty(5600);
    const m = new SeriesModel();
    const alarms: { row: number; alarm: number; score: number }[] = [];
    for (let i = 0; i < values.length; i++) {
      const s = m.update(times[i] as number, values[i] as number);
      if (m.last.alarm > 0) alarms.push({ row: i, alarm: m.last.alarm, score: s });
      // Only alarm rows (an opening, or an episode become ten times rarer) have an alarm score.
      if (m.last.transition !== 'open' && m.last.transition !== 'ongoing') expect(m.last.alarm).toBe(0);
    }
    // Every burst opens an episode (the live model never learns an episode as normal)...
    const routine = alarms.filter((a) => a.row < 5200);
    expect(routine.map((a) => a.row)).toEqual(Array.from({ length: 12 }, (_, k) => 400 * (k + 1)));
    expect(routine.every((a) => a.score >= 0.6)).toBe(true);
    // ...but the first keeps its score and the twelfth is no longer rare for this series.
    const first = routine[0] as { alarm: number; score: number };
    const last = routine[routine.length - 1] as { alarm: number; score: number };
    expect(first.alarm).toBeCloseTo(first.score, 3);
    expect(last.alarm).toBeLessThan(first.alarm - 0.05);
    expect(last.alarm).toBeLessThan(last.score - 0.08);
    // The far larger burst is the series' first that severe: its alarm is its score, above every routine one.
    const record = alarms.find((a) => a.row === 5200) as { alarm: number; score: number };
    expect(record.alarm).toBeCloseTo(record.score, 3);
    expect(record.alarm).toBeGreaterThan(Math.max(...routine.map((a) => a.alarm)) + 0.05);
  });

  it('continues its alarm scores identically from its JSON state, taken inside an episode', () => {
    const { times, values } = bursty(3000);
    const a = new SeriesModel();
    for (let i = 0; i < 2002; i++) a.update(times[i] as number, values[i] as number);
    expect(a.last.transition).toBe('ongoing');
    const b = new SeriesModel({}, JSON.parse(JSON.stringify(a.toJSON())));
    for (let i = 2002; i < 3000; i++) {
      a.update(times[i] as number, values[i] as number);
      b.update(times[i] as number, values[i] as number);
      expect(b.last.alarm).toBe(a.last.alarm);
    }
  });
});

describe('SeriesModel escalation', () => {
  /** Alarm rows from row 900 on of a noisy flat series with `extra(i)` added. */
  function alarmsOf(n: number, extra: (i: number) => number): { row: number; alarm: number; transition: string }[] {
    const rng = createRng(7);
    const m = new SeriesModel();
    const alarms: { row: number; alarm: number; transition: string }[] = [];
    for (let i = 0; i < n; i++) {
      m.update(T0 + i * STEP, 100 + 2 * (rng.next() - 0.5) + extra(i));
      if (i >= 900 && m.last.alarm > 0) alarms.push({ row: i, alarm: m.last.alarm, transition: m.last.transition });
    }
    return alarms;
  }

  it('reports an open episode again, once, when it grows ten times rarer', () => {
    // A level step of 4.5 spreads at row 1000 that grows to 40 spreads at row 1010, within the same episode.
    const alarms = alarmsOf(1100, (i) => (i >= 1000 ? (i >= 1010 ? 400 : 45) : 0));
    expect(alarms.map((a) => [a.row, a.transition])).toEqual([
      [1000, 'open'],
      [1010, 'ongoing'],
    ]);
    expect((alarms[1] as { alarm: number }).alarm).toBeGreaterThan((alarms[0] as { alarm: number }).alarm + 0.05);
  });

  it('counts the reports again among the alarms a series has had: a burst that always grows into a second page is paged once', () => {
    // Every 400 rows a burst opens at +45 and grows nearly tenfold on its second row (the ramp of a social media count).
    const alarms = alarmsOf(4500, (i) => (i >= 400 && i % 400 === 0 ? 45 : i >= 400 && i % 400 === 1 ? 400 : 0));
    // Every burst opens an episode (an alarm, lower each time)...
    expect(alarms.filter((a) => a.transition === 'open').map((a) => a.row)).toEqual(Array.from({ length: 9 }, (_, k) => 400 * (k + 3)));
    // ...but its growth on the second row, learned as an alarm the first times, is no longer ten times rarer than
    // the opening: at most two of these nine bursts are reported again (each of them was, when only openings were learned).
    expect(alarms.filter((a) => a.transition === 'ongoing').length).toBeLessThanOrEqual(2);
  });

  it('does not report again an episode already reported as unprecedented, however it grows', () => {
    // A deviation growing by a fifth every row from row 1000: its score creeps toward 1 (0.93 by row 1099).
    const rng = createRng(7);
    const m = new SeriesModel();
    const alarms: [number, string][] = [];
    let score = 0;
    for (let i = 0; i < 1100; i++) {
      score = m.update(T0 + i * STEP, 100 + 2 * (rng.next() - 0.5) + (i >= 1000 ? 10 * 1.2 ** (i - 1000) : 0));
      if (m.last.alarm > 0) alarms.push([i, m.last.transition]);
    }
    expect(m.last.transition).toBe('ongoing');
    expect(score).toBeGreaterThan(0.9);
    // Reported at its opening, again each time it became ten times rarer while it was still routine for the series,
    // and no more once reported as rarer than one episode expected over the prior's horizon.
    expect(alarms).toEqual([
      [1008, 'open'],
      [1013, 'ongoing'],
    ]);
  });
});
