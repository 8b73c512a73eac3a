/**
 * The lifecycle test every component passes, on the memory bus + PGlite and
 * on Kafka + Postgres: stop before start (twice), stop twice after start, and
 * stop within its deadline while busy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPONENTS } from './components.ts';
import { ENVIRONMENTS, type LifecycleEnv } from './environments.ts';

/** The deadline given to stop() while busy, and what a stop may take beyond it (closing sockets, a last checkpoint). */
const DEADLINE_MS = 2_000;
const SLACK_MS = 1_500;

async function timed(p: Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await p;
  return performance.now() - t0;
}

for (const kind of ENVIRONMENTS) {
  describe(`lifecycle on ${kind.name}`, () => {
    let env: LifecycleEnv;
    beforeAll(async () => {
      env = await kind.open();
    }, 60_000);
    afterAll(async () => {
      await env?.close();
    }, 60_000);

    for (const c of COMPONENTS) {
      describe(c.name, () => {
        it('stop() before start() resolves at once, twice', async () => {
          const component = c.make(env);
          expect(await timed(component.stop(DEADLINE_MS))).toBeLessThan(500);
          expect(await timed(component.stop(DEADLINE_MS))).toBeLessThan(500);
        });

        it('stops within its deadline while busy, and a second stop() is a no-op', async () => {
          const busy = await c.startBusy(env);
          try {
            const took = await timed(busy.component.stop(DEADLINE_MS));
            expect(took).toBeLessThan(DEADLINE_MS + SLACK_MS);
            expect(await timed(busy.component.stop(DEADLINE_MS))).toBeLessThan(500);
          } finally {
            await busy.release();
          }
        }, 90_000);
      });
    }
  });
}
