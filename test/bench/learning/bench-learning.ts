/**
 * Remediation-policy benchmark (`make bench-learning`, or
 * `npx tsx test/bench/learning/bench-learning.ts`): simulated signatures and
 * playbooks with hidden success rates (see simulated-world.ts). For each
 * seed, every policy plays the same episodes; prints each policy's
 * cumulative regret against the best fixed choice per signature (median over
 * the seeds, and the range), and the learned policy's regret as a share of
 * uniform random's (target: below 20%).
 * Options: --episodes 1000 --seeds 7
 */
import { parseArgs } from 'node:util';
import { cumulativeRegret, policyRng, priorityPolicy, randomPolicy, type SimPolicy, thompsonPolicy } from './learning-sim.ts';
import { buildWorld, DEFAULT_WORLD, type SimWorld } from './simulated-world.ts';

const { values } = parseArgs({ options: { episodes: { type: 'string', default: '1000' }, seeds: { type: 'string', default: '7' } } });
const EPISODES = Number(values.episodes);
const SEEDS = Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);

const POLICIES: Record<string, (w: SimWorld, seed: number) => SimPolicy> = {
  'zeroops policy (pooled)': (w, s) => thompsonPolicy(w, policyRng(s)),
  'thompson (no pooling)': (w, s) => thompsonPolicy(w, policyRng(s), { base: 1, maxPooled: 0 }),
  'uniform random': (_w, s) => randomPolicy(policyRng(s)),
  'highest priority wins': (w) => priorityPolicy(w),
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const results: Record<string, number[]> = Object.fromEntries(Object.keys(POLICIES).map((k) => [k, []]));
const ratios: number[] = [];
for (const seed of SEEDS) {
  const world = buildWorld(seed);
  const r: Record<string, number> = {};
  for (const [name, make] of Object.entries(POLICIES)) {
    r[name] = cumulativeRegret(world, make(world, seed), EPISODES, seed);
    results[name]?.push(r[name] as number);
  }
  ratios.push((r['zeroops policy (pooled)'] as number) / (r['uniform random'] as number));
}

const w = DEFAULT_WORLD;
console.log(
  `bench-learning: ${w.services} services x ${w.kinds} kinds = ${w.services * w.kinds} signatures, ${w.playbooks} playbooks (${w.matching} match each signature), ${EPISODES} episodes, seeds ${SEEDS.join(',')}`,
);
console.log('cumulative expected regret against the best fixed choice per signature (median [min..max] over seeds):');
for (const [name, xs] of Object.entries(results)) {
  console.log(`  ${name.padEnd(26)} ${median(xs).toFixed(1).padStart(7)}  [${Math.min(...xs).toFixed(1)}..${Math.max(...xs).toFixed(1)}]`);
}
console.log(`  ${'best fixed choice'.padEnd(26)} ${'0.0'.padStart(7)}  (reference)`);
const share = median(ratios);
console.log(`policy regret / uniform random regret: ${(share * 100).toFixed(1)}% median (target < 20%: ${share < 0.2 ? 'met' : 'NOT met'})`);
const prio = median(results['zeroops policy (pooled)'] as number[]) / median(results['highest priority wins'] as number[]);
console.log(`policy regret / highest-priority-wins regret: ${(prio * 100).toFixed(1)}% (of medians)`);
console.log('recalibration (false-alarm reduction, recall): n/a (another part of issue 14)');
