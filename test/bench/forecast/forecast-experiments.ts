/**
 * Configurations of the forecaster tried against each other (the record of
 * the choice of defaults): every configuration runs the bench-forecast
 * evaluation on the three groups (demo traffic, NAB daily series, synthetic
 * series with known answers) at two horizons, and the choice is made on one
 * group and scored on the others, so no figure is scored on the data that
 * chose it.
 *
 *   npx tsx test/bench/forecast/forecast-experiments.ts [name-filter]
 *
 * Record of the runs that chose the defaults (median reduction vs observed,
 * %, at 1 h / one day; load average 10 to 20). The residual window was 500
 * in the first two blocks, 2000 after.
 *   single model (before): demo 27.6/27.6, synthetic 29.4/27.2, NAB 27.8/23.8
 *   alpha 0.005 / 0.02, gamma 0.05 / 0.2, smoothFraction 0 / 0.01 / 0.04,
 *   clip 2.5 / 8, beta 0.005 (single model): every group within 1.5 points
 *   of the single model, except smoothFraction 0 (4 to 6 points worse)
 *   ensemble select (3 members): demo 27.5/27.5, synthetic 29.5/28.9, NAB 28.3/22.6
 *   ensemble weighted: demo 27.4/27.3, synthetic 29.5/27.1, NAB 29.5/23.7
 *   with a trend member, or 5 members: within 0.1 of select
 *   point median (select / single / weighted): NAB 28.4/20.9, 28.9/22.2, 29.9/20.8
 *   window 2000, select: demo 27.6/27.6, synthetic 29.6/28.9, NAB 27.4/22.7
 *     (NAB coverage at one day 83.4 -> 88.1 %)
 *   window 2000, single: demo 27.6/27.6, synthetic 29.4/27.2, NAB 27.8/23.8
 *   window 2000, weighted: demo 27.4/27.3, synthetic 29.5/27.1, NAB 29.5/23.7
 *   period detection minStrength 0.1: no change
 * Chosen on demo and on synthetic: window 2000 with select (the default);
 * chosen on NAB: window 2000 weighted.
 *
 * Session 14 (issue 18, fc18): log members (learn log(1 + x), point mapped
 * back to the median), three beside the three additive ones; median
 * reduction vs observed at 1 h / one day, load average 14 to 57:
 *   additive only (before): demo 27.6/27.6, synthetic 29.6/28.9, NAB 27.4/22.7
 *   with 3 log members:     demo 27.6/27.6, synthetic 34.3/28.9, NAB 30.9/25.4
 * Chosen on each group alone (demo: a tie within 0.1 point), and it holds on
 * the groups that did not choose it; default since.
 *
 * Session 15 (fc18): the demo group is the load generator's compressed week
 * (4 weeks, periods found on the first 2); the configurations above were
 * chosen on the 8 identical days before it and not re-run here. Season
 * width of each season's own period (vs the shortest's), chosen on the demo
 * group (median at 1/24 day / one day 43.0/32.8 -> 45.0/35.4), held on every
 * other series with two periods (synthetic batch and weekly, NAB CRM and
 * IBM all up 0.3 to 2 points; bench-forecast, load average 6 to 18); the
 * series with one period are unchanged by construction.
 *
 * Session 16 (fc18, the one-day horizon): chosen on the synthetic group's
 * one-day runs, series by series (npx tsx on evaluate(), load average 8 to
 * 15): an additive member with a damped trend whose reach is in cycles
 * (memory 1/2, trend 0.5, reach 4: trend series 29.5 -> 34.1; with reach 1
 * and trend 0.2 no change, the damping held the learnt slope to about a
 * quarter of the true one); the same member on the log scale cost the
 * drifting level 1.8 points and was left out; seasons kept at a mean of 0
 * (normalize: trend 34.1 -> 34.2, level shift 18.0 -> 18.9); a run of 3
 * errors beyond the clip passes unclipped (shiftRun 3: level shift 20.7,
 * shiftRun 8: 19.9, no clip at all 21.2); the mean of the best 2 or 3
 * members (top) left the steady series unchanged and cost the level shift
 * and the drift 0.7 to 1.5 points. The other groups' figures are in the
 * README (bench-forecast).
 *
 * Session 17 (fc18, the one-day horizon again): chosen on the synthetic
 * group's one-day runs (npx tsx on evaluate(), horizon 288, stride 24, load
 * average 8 to 27; about 25 configurations, most of them single members on
 * the level shift and the drifting level): the level jumps by a confirmed
 * shift's mean error (shiftJump; at 3 steps: level shift 22.1 -> 31.8, the
 * other 8 unchanged to the tenth); seasons of up to 20 plain-mean cycles
 * (gamma 0.05: every series +0.0 to +0.9); a log member with a short damped
 * trend (memory 1/8, trend 1/4, reach 1/2 cycle: drift 26.7 -> 28.7); the
 * season read as the mean of the middle third of its slots (large Poisson
 * 29.6 -> 29.9; RMS against the signal 2.73 -> 1.86 with one slow member).
 * NAB was run twice before the final run, and changed two choices: with the
 * jump at 3 steps NAB fell to 27.5 / 16.3 % (bursts taken for shifts), so
 * the jump waits 1/24 cycle and never fires without periods; with the
 * trimmed read art_daily_small_noise fell 24.6 -> 10.2 % at 1 h (its square
 * wave's edges blurred), so the median stays the default.
 *
 * Session 18 (fc18b, period detection; the forecaster's settings unchanged). 12 configurations (11 of the
 * detection), chosen on synthetic series with known answers (the unit tests' and a script's: no cycle, or a
 * weak one), checked to leave the periods found on the demo (10 series) and synthetic (9) groups unchanged,
 * NAB held out (load average 5 to 16):
 *   1. gaps counted in neither sum nor pairs (autocorrelationWithPairs), longest lag at half the lag-0
 *      pairs: NAB occupancy_6005 lost its daily period (a 1,008-step gap in its training part), speed_7578
 *      found 62 steps; 2. longest lag with at least as many pairs as its length (half the series without
 *      gaps): occupancy_6005 288 again;
 *   3. the second look (round periods on hourly-ish block means of ranks) choosing the clearest z: weekly on
 *      AAPL, CRM, CVS; 4. the shortest that passes; 5. the shortest of which the clearest is a multiple
 *      (kept): on 7 kinds of series with no cycle x 100 seeds (white noise, AR(1) 0.9 and 0.99, random walk,
 *      Poisson 0.5, bursty Poisson, AR(1) 0.95 with 30 % gaps; 5-min steps, 14 days), periods found at
 *      minStrength 0.2 and z >= 2.5 / 3 / 3.5: at most 2 / 1 / 0 of 100 per kind (z 0: 8 to 27; minStrength
 *      0.1 at z 3: up to 3); with a daily factor exp(0.3 sin) on Poisson 0.5 the day found in 58 / 58 / 53
 *      of 100: z 3 chosen;
 *   6. z >= 3 asked of every first-look peak: three cycles of a smooth daily rhythm stand 2.8 (two unit
 *      tests fail); 7. asked only of a period that is no round duration, round ones as before: round
 *      bumps of a wandering level pass (z 1.0 to 1.4); 8. round ones at z >= 2 (minZRound, kept);
 *   9. to 11. on NAB (held out, one-day / 1-hour reduction, before -> after): the period known (288 given)
 *      on the six series where none was found: CVS 18.4 -> 19.2, PFE 16.4 -> 21.4, UPS 35.9 -> 40.9,
 *      speed_6005 25.9 -> 27.8, speed_7578 6.4 -> 11.8, speed_t4013 20.2 -> 22.3 (one day); with the
 *      detection kept: AAPL (288 for 1728) 33.4 / 46.0 -> 36.2 / 49.0, PFE (288) 16.4 / 27.4 -> 21.4 /
 *      27.0, CVS (2016) 18.4 / 28.4 -> 23.2 / 25.7; CVS given 288 and 2016: -13.1 % at one day, 20.5 % at
 *      1 hour; given 288: 25.0 % at 1 hour. The speed series' daily period stands 2.0 to 2.6 standard
 *      errors clear in their training part (about 2 days of points), below the z of 3: left undetected.
 *   12. (the forecaster) the seasons learning the clipped error even through a run of errors beyond the
 *      clip that reaches the level whole (a burst then the level's, not a slot's): synthetic one day, the
 *      level shift 32.4, heavy-tailed spikes 38.3, drifting level 28.9 %, each unchanged to the tenth
 *      (npx tsx on evaluate(), load average 12 to 13): not chosen, removed; NAB not run with it.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ForecasterConfig, PeriodDetectionConfig } from '../../../models/forecast/index.ts';
import { demoWeeks } from './demo-traffic.ts';
import { type EvalSeries, evaluate } from './forecast-eval.ts';
import { nabSeries } from './nab-series.ts';
import { syntheticSeries } from './synthetic-series.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');

// The six members of sessions 14 and 15 (the default's first six).
const SESSION_15_MEMBERS = [false, true].flatMap((log) => [2, 0.5, 0.125].map((memory) => ({ memory, trend: 0, log })));
// The seven of session 16 (the default's first seven).
const SESSION_16_MEMBERS = [...SESSION_15_MEMBERS, { memory: 0.5, trend: 0.5, reach: 4 }];
// The defaults of session 16 where session 17 changed them.
const SESSION_16: Partial<ForecasterConfig> = { members: SESSION_16_MEMBERS, gamma: 0.1, seasonRead: 'median', shiftJump: 0 };

// Each: [name, forecaster settings, period detection settings]. 'defaults' is re-run with every filter, as the reference.
const CONFIGS: Array<[string, Partial<ForecasterConfig>, Partial<PeriodDetectionConfig>?]> = [
  ['defaults', {}],
  ['season width of the shortest period (before session 15)', { seasonWidth: 'shortest' }],
  ['additive only (before log members)', { members: [2, 0.5, 0.125].map((memory) => ({ memory, trend: 0 })) }],
  ['log only', { members: [2, 0.5, 0.125].map((memory) => ({ memory, trend: 0, log: true })) }],
  ['single (before)', { members: [{ memory: 2, trend: 0 }] }],
  ['weighted', { combine: 'weighted' }],
  [
    'select +trend',
    {
      members: [
        { memory: 2, trend: 0 },
        { memory: 0.5, trend: 0 },
        { memory: 0.125, trend: 0 },
        { memory: 0.5, trend: 0.1 },
      ],
    },
  ],
  ['select 2,1,.5,.25,.125', { members: [2, 1, 0.5, 0.25, 0.125].map((memory) => ({ memory, trend: 0 })) }],
  ['med select', { point: 'median' }],
  ['med single', { point: 'median', members: [{ memory: 2, trend: 0 }] }],
  ['med weighted', { point: 'median', combine: 'weighted' }],
  ['win2000 select', { residualWindow: 2000 }],
  ['win2000 single', { residualWindow: 2000, members: [{ memory: 2, trend: 0 }] }],
  ['win2000 weighted', { residualWindow: 2000, combine: 'weighted' }],
  ['detect minStrength 0.1', {}, { minStrength: 0.1 }],
  ['detect minStrength 0.1 weighted', { combine: 'weighted' }, { minStrength: 0.1 }],
  ['select 4,1,.25', { members: [4, 1, 0.25].map((memory) => ({ memory, trend: 0 })) }],
  ['before session 16 (no trend member, no normalize, always clip)', { ...SESSION_16, members: SESSION_15_MEMBERS, normalize: false, shiftRun: 0 }],
  ['session 16 without normalize', { ...SESSION_16, normalize: false }],
  ['session 16 without shiftRun', { ...SESSION_16, shiftRun: 0 }],
  ['session 16 with a log trend member too', { ...SESSION_16, members: [...SESSION_16_MEMBERS, { memory: 0.5, trend: 0.5, reach: 4, log: true }] }],
  ['session 16 top 2', { ...SESSION_16, top: 2 }],
  ['before session 17', SESSION_16],
  ['session 17 without shiftJump', { shiftJump: 0 }],
  ['session 17 with the jump at shiftRun (3 steps)', { shiftJump: 1e-6 }],
  ['session 17 with the median read', { seasonRead: 'median' }],
  ['session 17 with gamma 0.1', { gamma: 0.1 }],
  ['session 17 without the log trend member', { members: SESSION_16_MEMBERS }],
  ['session 18 without the second look (first look alone)', {}, { robust: false }],
  ['session 18 with the second look at z 2.5', {}, { minZ: 2.5 }],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

interface Group {
  name: string;
  series: EvalSeries[];
  train: number;
}

async function groups(): Promise<Group[]> {
  // The demo's traffic as bench-forecast scores it (since session 15: the load generator's compressed week).
  const demo = demoWeeks(1).filter((s) => !s.values.every((v, i) => i < s.knownPeriod || v === s.values[i - s.knownPeriod]));
  const out: Group[] = [
    { name: 'demo', series: demo, train: 0.5 },
    { name: 'synthetic', series: syntheticSeries(1), train: 1 / 3 },
  ];
  const nabDir = resolve(process.env.ZEROOPS_NAB_DIR ?? join(REPO_ROOT, '../shared/datasets/nab'));
  if (existsSync(nabDir)) {
    out.push({
      name: 'nab',
      series: [
        ...(await nabSeries(nabDir, 'realTweets', /^Twitter_volume_/)),
        ...(await nabSeries(nabDir, 'realTraffic', /^(occupancy|speed)_/)),
        ...(await nabSeries(nabDir, 'artificialNoAnomaly', /^art_daily_small_noise/)),
      ],
      train: 0.4,
    });
  }
  return out;
}

interface Score {
  hour: number;
  day: number;
  coverHour: number;
  coverDay: number;
  truthHour: number;
}

function score(g: Group, config: Partial<ForecasterConfig>, detection: Partial<PeriodDetectionConfig> = {}): Score {
  const at = (h: (p: number) => number) =>
    g.series.map((s) => evaluate(s, { train: g.train, horizon: h(s.knownPeriod), stride: Math.max(1, Math.round(s.knownPeriod / 12)), config, detection }));
  const hour = at((p) => Math.max(1, Math.round(p / 24)));
  const day = at((p) => p);
  const truth = hour.map((r) => r.reductionVsTruth).filter((x): x is number => x !== undefined);
  return {
    hour: median(hour.map((r) => r.reduction)),
    day: median(day.map((r) => r.reduction)),
    coverHour: median(hour.map((r) => r.coverage)),
    coverDay: median(day.map((r) => r.coverage)),
    truthHour: truth.length > 0 ? median(truth) : Number.NaN,
  };
}

async function main(): Promise<void> {
  const filter = process.argv[2];
  const gs = await groups();
  const configs = CONFIGS.filter(([name]) => !filter || name.includes(filter) || name === 'defaults');
  const table: Record<string, Record<string, Score>> = {};
  const pct = (x: number) => `${(100 * x).toFixed(1)}`;
  for (const [name, config, detection] of configs) {
    table[name] = {};
    for (const g of gs) (table[name] as Record<string, Score>)[g.name] = score(g, config, detection);
    const row = table[name] as Record<string, Score>;
    console.log(
      [
        name.padEnd(28),
        ...gs.map((g) => {
          const s = row[g.name] as Score;
          return `${g.name} h ${pct(s.hour)} d ${pct(s.day)} cov ${pct(s.coverHour)}/${pct(s.coverDay)}${Number.isNaN(s.truthHour) ? '' : ` truth ${pct(s.truthHour)}`}`;
        }),
      ].join(' | '),
    );
  }
  // Choose on one group (the mean of its two horizons' median reductions), score on the others.
  for (const chooser of gs) {
    const best = configs
      .map(([name]) => name)
      .sort((a, b) => {
        const s = (n: string) => (table[n] as Record<string, Score>)[chooser.name] as Score;
        return s(b).hour + s(b).day - (s(a).hour + s(a).day);
      })[0] as string;
    const others = gs
      .filter((g) => g !== chooser)
      .map((g) => {
        const s = (table[best] as Record<string, Score>)[g.name] as Score;
        return `${g.name} h ${pct(s.hour)} d ${pct(s.day)}`;
      });
    console.log(`chosen on ${chooser.name}: ${best} -> ${others.join('; ')}`);
  }
}

await main();
