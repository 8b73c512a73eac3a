import { defineConfig } from 'vitest/config';

/**
 * The short proving-ground run (three fixable faults, asserted: detected, top
 * root cause, resolved by auto). `make bench-zeroops-short` runs it, and
 * `make test SHORT_RUN=1` runs it alone after the suite (it starts real
 * processes and needs the machine's attention: never beside other files).
 * It prints where its time went and, on failure, one line per broken
 * assertion naming the fault.
 */
export default defineConfig({
  test: {
    include: ['test/bench/zeroops/*.acceptance.ts'],
    testTimeout: 1_500_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
