import { defineConfig } from 'vitest/config';

/**
 * The short proving-ground run (three fixable faults, asserted: detected, top
 * root cause, resolved by auto). `make bench-zeroops-short` runs it; it is not
 * in `make test` until it passes reliably (see the README's bench-zeroops
 * section for where it stands).
 */
export default defineConfig({
  test: {
    include: ['test/bench/zeroops/*.acceptance.ts'],
    testTimeout: 1_500_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
