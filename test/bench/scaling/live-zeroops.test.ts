import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startZeroopsInProcess, startZeroopsProcess, type ZeroopsProcess } from './live-zeroops.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// Starting a runtime (PGlite) takes 20 to 30 s on a loaded host.
const START_TIMEOUT_MS = 180_000;

describe('zeroops in a process of its own (bench-scaling --live)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'live-zeroops-'));
  let zo: ZeroopsProcess | undefined;
  afterAll(async () => {
    await zo?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'serves from another process, keeps the back-filled history in its store, and exits on stop',
    async () => {
      zo = await startZeroopsProcess({
        ZEROOPS_DATA_DIR: dataDir,
        ZEROOPS_API_PORT: '0',
        ZEROOPS_OTLP_HTTP_PORT: '0',
        ZEROOPS_OTLP_GRPC_PORT: '0',
        ZEROOPS_DETECTOR_NEURAL: 'false',
      });
      expect(zo.pid).not.toBe(process.pid);
      expect(alive(zo.pid)).toBe(true);
      expect((await fetch(`${zo.api}/healthz`)).status).toBe(200);

      const t0 = Date.UTC(2026, 0, 1);
      await zo.backfill(
        'cart',
        [1, 2, 3].map((i) => ({ endMs: t0 + i * 10_000, rate: i * 1.5 })),
        t0 + 30_000,
      );
      // A second back-fill replaces the windows up to its end (what the detector wrote of the start-up goes).
      await zo.backfill('cart', [{ endMs: t0 + 20_000, rate: 9 }], t0 + 20_000);
      expect(await zo.rollupsAfter('cart', t0)).toEqual([
        { endMs: t0 + 20_000, rate: 9 },
        { endMs: t0 + 30_000, rate: 4.5 },
      ]);
      expect(await zo.rollupsAfter('cart', t0 + 20_000)).toEqual([{ endMs: t0 + 30_000, rate: 4.5 }]);
      expect(await zo.rollupsAfter('checkout', t0)).toEqual([]);

      const pid = zo.pid;
      await zo.stop();
      zo = undefined;
      expect(alive(pid)).toBe(false);
      expect(existsSync(dataDir)).toBe(true);
    },
    START_TIMEOUT_MS,
  );

  it(
    '--zeroops-in-process: the same store requests on a runtime in this process',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'live-zeroops-in-'));
      const z = await startZeroopsInProcess({
        ZEROOPS_DATA_DIR: dir,
        ZEROOPS_API_PORT: '0',
        ZEROOPS_OTLP_HTTP_PORT: '0',
        ZEROOPS_OTLP_GRPC_PORT: '0',
        ZEROOPS_DETECTOR_NEURAL: 'false',
      });
      try {
        expect(z.pid).toBe(process.pid);
        await z.backfill('cart', [{ endMs: 10_000, rate: 2 }], 10_000);
        expect(await z.rollupsAfter('cart', 0)).toEqual([{ endMs: 10_000, rate: 2 }]);
      } finally {
        await z.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
    START_TIMEOUT_MS,
  );
});
