/**
 * `make bench-forecast`: load forecasts against seasonal-naive on the demo's
 * traffic (made by the demo load generator's own rate in its default
 * compressed week, no processes), on
 * synthetic seasonal series with known answers (`synthetic-series.ts`: the
 * noise-free signal is known) and on public NAB series with daily
 * seasonality (Twitter mention counts per 5 minutes; road traffic). Error measure: MASE (mean absolute error scaled by
 * the in-sample one-day seasonal-naive error); the reduction is
 * 1 - MAE(ours) / MAE(seasonal-naive) on the same forecasts. Seasonal-naive's
 * period is one day on every series (the value one day before), also where
 * our forecaster finds a weekly period too.
 *
 *   npx tsx test/bench/forecast/bench-forecast.ts [demo,synthetic,nab]
 *
 * NAB dir: $ZEROOPS_NAB_DIR, else ../shared/datasets/nab from the repo root.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { demoWeeks } from './demo-traffic.ts';
import { type EvalResult, type EvalSeries, evaluate } from './forecast-eval.ts';
import { nabSeries } from './nab-series.ts';
import { syntheticSeries } from './synthetic-series.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const pct = (x: number | undefined) => (x === undefined ? '' : `${(100 * x).toFixed(1)} %`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function print(title: string, rows: EvalResult[]): void {
  console.log(`\n${title}`);
  console.table(
    rows.map((r) => ({
      series: r.name,
      points: r.points,
      'periods found': r.periodsFound.join(', '),
      horizon: r.horizon,
      origins: r.origins,
      'MASE ours': r.maseOurs.toFixed(3),
      'MASE s-naive': r.maseNaive.toFixed(3),
      reduction: pct(r.reduction),
      'signal as forecast': pct(r.ceiling),
      'vs signal': pct(r.reductionVsTruth),
      '90% PI coverage': pct(r.coverage),
      'vs weekly naive': pct(r.reductionVsWeekNaive),
    })),
  );
  const red = rows.map((r) => r.reduction);
  const pooled = 1 - rows.reduce((a, r) => a + r.maseOurs, 0) / rows.reduce((a, r) => a + r.maseNaive, 0);
  console.log(
    `  median reduction ${pct(median(red))}; mean-MASE reduction ${pct(pooled)}; series at >= 30 %: ${red.filter((x) => x >= 0.3).length}/${rows.length}`,
  );
  const ceil = rows.map((r) => r.ceiling).filter((x): x is number => x !== undefined);
  if (ceil.length > 0)
    console.log(
      `  the noise-free signal itself as the forecast (the expected value known exactly; what is left is each observation's own noise): median reduction ${pct(median(ceil))}; series at >= 30 %: ${ceil.filter((x) => x >= 0.3).length}/${ceil.length}`,
    );
  const vs = rows.map((r) => r.reductionVsTruth).filter((x): x is number => x !== undefined);
  if (vs.length > 0)
    console.log(
      `  against the noise-free signal (the known answer): median reduction ${pct(median(vs))}; series at >= 30 %: ${vs.filter((x) => x >= 0.3).length}/${vs.length}`,
    );
  const wk = rows.map((r) => r.reductionVsWeekNaive).filter((x): x is number => x !== undefined);
  if (wk.length > 0)
    console.log(
      `  against seasonal-naive of one week (the same window 7 days before; a second baseline): median reduction ${pct(median(wk))}; series at >= 30 %: ${wk.filter((x) => x >= 0.3).length}/${wk.length}`,
    );
  console.log(`  median 90 % interval coverage ${pct(median(rows.map((r) => r.coverage)))}`);
}

function run(title: string, all: EvalSeries[], horizonOf: (s: EvalSeries) => number, train: number): EvalResult[] {
  // A series that repeats itself exactly (the demo paces its frontend deterministically) leaves seasonal-naive no error to beat.
  const exact = all.filter((s) => s.values.every((v, i) => i < s.knownPeriod || v === s.values[i - s.knownPeriod]));
  const series = all.filter((s) => !exact.includes(s));
  if (exact.length > 0) console.log(`\n(left out, exactly periodic so seasonal-naive is exact: ${exact.map((s) => s.name).join(', ')})`);
  const rows = series.map((s) => evaluate(s, { train, horizon: horizonOf(s), stride: Math.max(1, Math.round(s.knownPeriod / 12)) }));
  print(title, rows);
  return rows;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  // Which groups to run (default all): demo, synthetic, nab.
  const only = process.argv[2]?.split(',');
  const wanted = (g: string) => !only || only.includes(g);
  if (wanted('demo')) {
    const demo = demoWeeks(1);
    const title =
      'Demo shop traffic (the load generator in its default compressed week: 28 simulated days of 60 min from a Monday, 10 s windows; periods found on the first 14 days; seasonal-naive repeats the same window one day (360 windows) before)';
    run(`${title}: horizon 1 h of a day (1/24)`, demo, (s) => Math.round(s.knownPeriod / 24), 0.5);
    run('Demo shop traffic: horizon one full day', demo, (s) => s.knownPeriod, 0.5);
  }
  if (!wanted('synthetic') && !wanted('nab')) return;
  const synthetic = syntheticSeries(1);
  if (wanted('synthetic')) {
    run(
      'Synthetic series with known answers (42 days of 5-min steps; periods found on the first 14 days): horizon 1 h',
      synthetic,
      (s) => Math.round(s.knownPeriod / 24),
      1 / 3,
    );
    run('Synthetic series: horizon one day', synthetic, (s) => s.knownPeriod, 1 / 3);
  }
  if (!wanted('nab')) return;
  const nabDir = resolve(process.env.ZEROOPS_NAB_DIR ?? join(REPO_ROOT, '../shared/datasets/nab'));
  if (!existsSync(nabDir)) {
    console.log(`\nNAB not found at ${nabDir}: set ZEROOPS_NAB_DIR`);
    return;
  }
  const nab = [
    ...(await nabSeries(nabDir, 'realTweets', /^Twitter_volume_/)),
    ...(await nabSeries(nabDir, 'realTraffic', /^(occupancy|speed)_/)),
    ...(await nabSeries(nabDir, 'artificialNoAnomaly', /^art_daily_small_noise/)),
  ];
  run('NAB series with daily seasonality (periods found on the first 40 %): horizon 1 h', nab, (s) => Math.max(1, Math.round(s.knownPeriod / 24)), 0.4);
  run('NAB series: horizon one day', nab, (s) => s.knownPeriod, 0.4);
  console.log(`\n(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

await main();
