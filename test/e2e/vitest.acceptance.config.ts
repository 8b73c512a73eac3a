import { defineConfig } from 'vitest/config';

/**
 * Acceptance runs that are not yet reliable enough for `make test`: the live
 * feedback loop (20 fault episodes through OTLP with 1-second windows). It
 * passed on this machine when run on its own (10 of the last 10 episodes in
 * both modes) but failed in fresh-clone runs: no incident opened within 45 s
 * of the first fault. `make test-live-loop` runs it.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/*.acceptance.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
