/**
 * Seasonal series with known answers: each is generated here from a stated
 * process (seeded), so the noise-free signal (the expected value at each
 * step) is known and a forecast can be scored against it as well as against
 * the noisy observations. 5-minute steps, daily period of 288 steps, 42 days.
 * The processes cover what request rates do: smooth and sharp daily
 * profiles, weekends, a trend, a level shift, a batch job every 4 hours,
 * count noise (Poisson, small and large), heavy-tailed noise with spikes,
 * and slow day-to-day drift of the level.
 */
import { createRng, poissonSample, type Rng } from '../../../models/stats/index.ts';
import type { EvalSeries } from './forecast-eval.ts';

const DAY = 288;

function normal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

function poisson(rng: Rng, mean: number): number {
  if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(rng)));
  return poissonSample(rng, mean);
}

/** A smooth daily shape in [0, 1]: low at night, a morning and an evening peak. */
function dayShape(t: number): number {
  const x = (2 * Math.PI * (t % DAY)) / DAY;
  return 0.5 - 0.35 * Math.cos(x) - 0.15 * Math.cos(2 * x - 0.6);
}

interface Spec {
  name: string;
  /** The expected value at step t, given the slow state (drift) at t. */
  signal: (t: number, drift: number) => number;
  /** An observation around the expected value. */
  observe: (rng: Rng, mean: number) => number;
  /** Standard deviation of the daily random-walk step of a multiplicative level drift (0: none). */
  drift?: number;
}

const gaussian = (sigma: number) => (rng: Rng, m: number) => m + sigma * normal(rng);

const SPECS: Spec[] = [
  { name: 'smooth-daily-gaussian', signal: (t) => 100 + 80 * dayShape(t), observe: gaussian(6) },
  { name: 'daily-poisson-large', signal: (t) => 200 + 600 * dayShape(t), observe: poisson },
  { name: 'daily-poisson-small', signal: (t) => 1 + 12 * dayShape(t), observe: poisson },
  {
    name: 'daily-weekly-poisson',
    signal: (t) => (Math.floor(t / DAY) % 7 >= 5 ? 0.45 : 1) * (50 + 250 * dayShape(t)),
    observe: poisson,
  },
  { name: 'daily-trend-gaussian', signal: (t) => 100 + (t / DAY) * 3 + 60 * dayShape(t), observe: gaussian(5) },
  { name: 'daily-level-shift', signal: (t) => (t >= DAY * 17 + 100 ? 160 : 100) + 60 * dayShape(t), observe: gaussian(5) },
  { name: 'batch-every-4h', signal: (t) => (t % 48 < 6 ? 400 : 60) + 30 * dayShape(t), observe: poisson },
  {
    name: 'heavy-tailed-spikes',
    signal: (t) => 100 + 80 * dayShape(t),
    // Student-t with 3 degrees of freedom, and a spike of 3 to 8 times the value once in 200 steps.
    observe: (rng, m) => {
      const t3 = normal(rng) / Math.sqrt((normal(rng) ** 2 + normal(rng) ** 2 + normal(rng) ** 2) / 3);
      const spike = rng.next() < 0.005 ? m * (2 + 5 * rng.next()) : 0;
      return m + 5 * t3 + spike;
    },
  },
  { name: 'drifting-level-poisson', signal: (t, d) => d * (80 + 300 * dayShape(t)), observe: poisson, drift: 0.05 },
];

/** The series of {@link SPECS}, seeded from `seed`. */
export function syntheticSeries(seed: number, days = 42): EvalSeries[] {
  return SPECS.map((spec, i) => {
    const rng = createRng(seed * 1000 + i);
    const values: number[] = [];
    const truth: number[] = [];
    let drift = 1;
    let next = 1;
    for (let t = 0; t < days * DAY; t++) {
      if (spec.drift) {
        // The level walks once a day, spread linearly over the day so that it has no steps.
        if (t % DAY === 0) {
          drift = next;
          next = drift * Math.exp(spec.drift * normal(rng));
        }
      }
      const d = spec.drift ? drift + ((next - drift) * (t % DAY)) / DAY : 1;
      const m = spec.signal(t, d);
      truth.push(m);
      values.push(spec.observe(rng, m));
    }
    return { name: `synthetic/${spec.name}`, values, truth, knownPeriod: DAY, stepSeconds: 300 };
  });
}
