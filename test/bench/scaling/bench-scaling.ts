/**
 * `make bench-scaling`: predictive scaling (a forecast-triggered playbook on
 * top of a reactive autoscaler) against the reactive autoscaler alone, on a
 * demo service under a surge at the same time of every compressed day.
 * Prints, over the measured days, the minutes whose p99 latency is above the
 * objective and the replica-minutes, per seed and as medians. A simulation
 * (see scaling-sim.ts for what is real and what is modelled), not a demo run.
 *
 * Options: --seeds N (default 5), --days N measured days (default 4),
 * --warmup N days of history first (default 3), --lead S (default 120),
 * --objective-ms N (default 1000), --reactive-delay S extra lag of the
 * reactive autoscaler (default 0; e.g. 30 for an anomaly detector's time to
 * detect), --missing-surge-every N (every Nth day the surge does not come;
 * default 0: it always does).
 *
 * --day-minutes (60), --surge-at (minute of the day, 40), --surge-minutes
 * (5) and --surge-magnitude (4) set the compressed day and its surge (for
 * both the simulation and --live).
 *
 * --live: the same comparison on real processes instead (live.ts): zeroops
 * embedded and a slice of the demo shop (sessions-db sized so that the surge
 * saturates cart, not its datastore: slice-capacity.ts), one surge, both
 * sides at once (about 20 minutes). Its other options: --rps (12),
 * --startup-minutes (1: from both sides running, demo slice up, to the
 * measured span), --before-minutes (3: the playbook scales about 2 minutes
 * ahead), --after-minutes (7: both sides are back at one replica by then),
 * --cycles (1: surges measured, one day apart; e.g. 2 with --day-minutes 30
 * --surge-at 20),
 * --history-hours (4), --objective-ms, --seed (1), --sequential (one side
 * after the other; --predictive-first: that side first),
 * --zeroops-in-process (zeroops in each side's process, beside the demo's
 * load balancers and load generator, as before; by default it runs in a
 * process of its own: live-zeroops.ts), --out (JSON file; default
 * $TMPDIR/bench-scaling-live.json).
 * Replica-minutes are printed over the measured span and over the whole
 * day (the rest of the day at one replica on both sides, printed only when
 * both sides are at one replica at both ends of the span).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { capacityFor } from '../../../infra/demo/load-generator.ts';
import { SHOP } from '../../../infra/demo/topology.ts';
import type { ForecastTrigger } from '../../../services/playbooks/index.ts';
import { runLive } from './live.ts';
import { type SimOptions, type SimResult, simulate } from './scaling-sim.ts';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '5' },
    days: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '3' },
    lead: { type: 'string', default: '120' },
    'objective-ms': { type: 'string', default: '1000' },
    'reactive-delay': { type: 'string', default: '0' },
    'missing-surge-every': { type: 'string', default: '0' },
    live: { type: 'boolean', default: false },
    rps: { type: 'string', default: '12' },
    'day-minutes': { type: 'string', default: '60' },
    'surge-minutes': { type: 'string', default: '5' },
    'surge-at': { type: 'string', default: '40' },
    'surge-magnitude': { type: 'string', default: '4' },
    'startup-minutes': { type: 'string', default: '1' },
    'before-minutes': { type: 'string', default: '3' },
    'after-minutes': { type: 'string', default: '7' },
    cycles: { type: 'string', default: '1' },
    'history-hours': { type: 'string', default: '4' },
    seed: { type: 'string', default: '1' },
    sequential: { type: 'boolean', default: false },
    'predictive-first': { type: 'boolean', default: false },
    'zeroops-in-process': { type: 'boolean', default: false },
    out: { type: 'string', default: join(tmpdir(), 'bench-scaling-live.json') },
  },
});
const SERVICE = 'cart';
const RPS = 12;
const DAY_MINUTES = Number(values['day-minutes']);
const SURGE_AT = Number(values['surge-at']);
const SURGE_MINUTES = Number(values['surge-minutes']);
const capacity = capacityFor(SHOP, RPS)[SERVICE] as number;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

function simulation(): void {
  const trigger: ForecastTrigger = {
    type: 'forecast',
    leadSeconds: Number(values.lead),
    // What one replica serves within the objective: 80 % of its capacity.
    capacity: { perReplica: Math.floor(capacity * 0.8), metricWindowSeconds: 300 },
    minReplicas: 1,
    maxReplicas: 6,
    scaleIn: { afterSeconds: 300, belowUtilization: 0.7 },
  };
  const base: Omit<SimOptions, 'predictive' | 'seed'> = {
    service: SERVICE,
    rps: RPS,
    dayMinutes: DAY_MINUTES,
    surge: { service: SERVICE, magnitude: Number(values['surge-magnitude']), everyMinutes: DAY_MINUTES, atMinute: SURGE_AT, durationMinutes: SURGE_MINUTES },
    missingSurgeEvery: Number(values['missing-surge-every']),
    warmupDays: Number(values.warmup),
    measuredDays: Number(values.days),
    capacityRps: capacity,
    objectiveMs: Number(values['objective-ms']),
    startupSeconds: 5,
    reactive: {
      targetUtilization: 0.8,
      metricSeconds: 60,
      everySeconds: 15,
      stabilizationSeconds: 300,
      maxReplicas: 6,
      delaySeconds: Number(values['reactive-delay']),
    },
  };
  const predictive = { trigger, everySeconds: 30, cooldownSeconds: 60, historySeconds: 4 * 3600, coverage: 0.9 };

  console.log(
    `service ${SERVICE}: ${capacity.toFixed(1)} req/s per replica; a ${base.surge.magnitude}x surge for ${base.surge.durationMinutes} min at minute ${base.surge.atMinute} of every ${DAY_MINUTES}-min day; ` +
      `${base.warmupDays} days of history, ${base.measuredDays} measured; objective p99 <= ${base.objectiveMs} ms` +
      (base.missingSurgeEvery > 0 ? `; every ${base.missingSurgeEvery}th day the surge does not come` : ''),
  );
  console.log(
    `reactive: desired = ceil(rate of the last ${base.reactive.metricSeconds} s / (${(base.reactive.targetUtilization * 100).toFixed(0)} % of capacity)) every ${base.reactive.everySeconds} s${base.reactive.delaySeconds ? ` (acting ${base.reactive.delaySeconds} s late)` : ''}, scale-in after ${base.reactive.stabilizationSeconds} s; replicas serve ${base.startupSeconds} s after being asked for`,
  );
  console.log(
    `predictive: reactive + trigger { leadSeconds: ${trigger.leadSeconds}, perReplica: ${trigger.capacity.perReplica}, scaleIn: ${JSON.stringify(trigger.scaleIn)} } every ${predictive.everySeconds} s, cooldown ${predictive.cooldownSeconds} s`,
  );
  const rows: Array<{ seed: number; reactive: SimResult; predictive: SimResult }> = [];
  const t0 = Date.now();
  for (let seed = 1; seed <= Number(values.seeds); seed++) {
    rows.push({ seed, reactive: simulate({ ...base, predictive: null, seed }), predictive: simulate({ ...base, predictive, seed }) });
  }
  console.table(
    rows.map((r) => ({
      seed: r.seed,
      'reactive: min above objective': r.reactive.minutesAboveObjective,
      'predictive: min above objective': r.predictive.minutesAboveObjective,
      'reactive: replica-min': r.reactive.replicaMinutes.toFixed(0),
      'predictive: replica-min': r.predictive.replicaMinutes.toFixed(0),
      'refused (r / p)': `${r.reactive.refused} / ${r.predictive.refused}`,
      'predictive changes': r.predictive.predictiveChanges,
    })),
  );
  const above = (k: 'reactive' | 'predictive') => median(rows.map((r) => r[k].minutesAboveObjective));
  const rm = (k: 'reactive' | 'predictive') => median(rows.map((r) => r[k].replicaMinutes));
  const cut = above('reactive') === 0 ? 0 : 1 - above('predictive') / above('reactive');
  console.log(
    `median minutes above objective: reactive ${above('reactive')}, predictive ${above('predictive')} (${(cut * 100).toFixed(0)} % fewer; target >= 80 %)`,
  );
  console.log(
    `median replica-minutes: reactive ${rm('reactive').toFixed(0)}, predictive ${rm('predictive').toFixed(0)} (${(rm('predictive') / rm('reactive')).toFixed(2)}x; target <= 1.2x)`,
  );
  console.log(`(${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}

if (values.live) {
  const num = (name: keyof typeof values) => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got "${values[name]}"`);
    return n;
  };
  const rps = num('rps');
  await runLive({
    rps,
    dayMinutes: num('day-minutes'),
    surgeMagnitude: num('surge-magnitude'),
    surgeMinutes: num('surge-minutes'),
    surgeAtMinute: num('surge-at'),
    startupMinutes: num('startup-minutes'),
    beforeMinutes: num('before-minutes'),
    afterMinutes: num('after-minutes'),
    cycles: Math.max(1, Math.floor(num('cycles'))),
    historyHours: num('history-hours'),
    capacityRps: capacityFor(SHOP, rps)[SERVICE] as number,
    objectiveMs: num('objective-ms'),
    seed: num('seed'),
    sequential: values.sequential === true,
    predictiveFirst: values['predictive-first'] === true,
    zeroopsInProcess: values['zeroops-in-process'] === true,
    out: String(values.out),
  });
  process.exit(0);
} else simulation();
