/**
 * Remediation-policy benchmark (`make bench-learning`, or
 * `npx tsx test/bench/learning/bench-learning.ts`): simulated signatures and
 * playbooks with hidden success rates (see simulated-world.ts). For each
 * seed, every policy plays the same episodes; prints each policy's
 * cumulative regret against the best fixed choice per signature (median over
 * the seeds, and the range), and the learned policy's regret as a share of
 * uniform random's (target: below 20%).
 * Options: --episodes 500,1000 (the checkpoints printed; the last is how many
 * are played) --seeds 7
 */
import { parseArgs } from 'node:util';
import { cumulativeRegret, policyRng, priorityPolicy, randomPolicy, type SimPolicy, thompsonPolicy } from './learning-sim.ts';
import { buildWorld, DEFAULT_WORLD, type SimWorld } from './simulated-world.ts';

const { values } = parseArgs({ options: { episodes: { type: 'string', default: '500,1000' }, seeds: { type: 'string', default: '7' } } });
/** The episode counts at which the regrets are printed (the last is how many are played). */
const CHECKPOINTS = values.episodes
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0)
  .sort((a, b) => a - b);
const SEEDS = Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);
const OURS = 'zeroops policy (pooled)';

const POLICIES: Record<string, (w: SimWorld, seed: number) => SimPolicy> = {
  [OURS]: (w, s) => thompsonPolicy(w, policyRng(s)),
  'thompson (no pooling)': (w, s) => thompsonPolicy(w, policyRng(s), { base: 1, maxPooled: 0 }),
  'uniform random': (_w, s) => randomPolicy(policyRng(s)),
  'highest priority wins': (w) => priorityPolicy(w),
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** regrets[policy][checkpoint index] = one regret per seed. */
const regrets: Record<string, number[][]> = Object.fromEntries(Object.keys(POLICIES).map((k) => [k, CHECKPOINTS.map(() => [])]));
for (const seed of SEEDS) {
  const world = buildWorld(seed);
  for (const [name, make] of Object.entries(POLICIES)) {
    const rs = cumulativeRegret(world, make(world, seed), CHECKPOINTS, seed);
    for (const [c, r] of rs.entries()) regrets[name]?.[c]?.push(r);
  }
}

const w = DEFAULT_WORLD;
console.log(
  `bench-learning: ${w.services} services x ${w.kinds} kinds = ${w.services * w.kinds} signatures, ${w.playbooks} playbooks (${w.matching} match each signature), seeds ${SEEDS.join(',')}`,
);
CHECKPOINTS.forEach((episodes, c) => {
  const of = (name: string) => regrets[name]?.[c] as number[];
  console.log(`after ${episodes} episodes: cumulative expected regret against the best fixed choice per signature (median [min..max] over seeds):`);
  for (const name of Object.keys(POLICIES)) {
    const xs = of(name);
    console.log(`  ${name.padEnd(26)} ${median(xs).toFixed(1).padStart(7)}  [${Math.min(...xs).toFixed(1)}..${Math.max(...xs).toFixed(1)}]`);
  }
  console.log(`  ${'best fixed choice'.padEnd(26)} ${'0.0'.padStart(7)}  (reference)`);
  const share = median(of(OURS).map((r, i) => r / (of('uniform random')[i] as number)));
  console.log(`  policy regret / uniform random regret: ${(share * 100).toFixed(1)}% median over seeds (target < 20%: ${share < 0.2 ? 'met' : 'NOT met'})`);
  const prio = median(of(OURS)) / median(of('highest priority wins'));
  console.log(`  policy regret / highest-priority-wins regret: ${(prio * 100).toFixed(1)}% (of medians)`);
});
console.log('recalibration (false-alarm reduction, recall): n/a (another part of issue 14)');
