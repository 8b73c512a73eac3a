/**
 * ZEROOPS_DETECTOR_WARMUP_WINDOWS on a running detector: a fault in a
 * service's 21st window is reported as warming up (`info`, model state
 * `warming_up`) under the default 30-window warm-up, and as a real anomaly
 * (not `info`, no warm-up mark) under a 15-window one; the baselines'
 * registered parameters carry the setting.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { anomalies, modelVersions } from '../../../services/store/index.ts';
import { fleetModes, type Injection, publishWindows, startDetector, WINDOW_MS, waitForRollups } from './fleet-fixture.ts';

const SERVICE = 'orders';
const WINDOWS = 32;
const FAULT: Injection[] = [{ service: SERVICE, from: 20, to: 28, kind: 'errors' }];

describe.each(fleetModes('warmup'))('detector warm-up setting: $name', (mode) => {
  const firstEvent = async (warmupWindows: string | undefined) => {
    const env = await mode.env();
    // fleetModes' settings apply to every env of the file; this one is per run.
    if (warmupWindows) env.config.detectorWarmupWindows = Number(warmupWindows);
    const { detector } = await startDetector(env);
    try {
      const first = Math.floor((Date.now() - 300_000) / WINDOW_MS) * WINDOW_MS;
      await publishWindows(env.bus, env.topics.traces, [SERVICE], 0, WINDOWS, first, FAULT);
      await waitForRollups(env.store, WINDOWS - 1, 90_000);
      await detector.flush();
      const events = await env.store.db.select().from(anomalies).where(eq(anomalies.service, SERVICE));
      const opened = events.find((e) => e.episodeState === 'open' && e.windowStart.getTime() >= first + 20 * WINDOW_MS);
      const [baselines] = await env.store.db.select().from(modelVersions).where(eq(modelVersions.kind, 'baselines'));
      return { opened, baselines };
    } finally {
      await detector.stop();
    }
  };

  it('pages a fault after the configured warm-up, and not before the default one', async () => {
    const short = await firstEvent('15');
    expect(short.opened, 'the fault opened an episode').toBeDefined();
    expect(short.opened?.attributes['zeroops.model_state']).toBeUndefined();
    expect(short.opened?.severity).not.toBe('info');
    expect(JSON.stringify(short.baselines?.params ?? short.baselines)).toContain('"warmupWindows":15');

    const usual = await firstEvent(undefined);
    expect(usual.opened, 'the fault opened an episode').toBeDefined();
    expect(usual.opened?.attributes['zeroops.model_state']).toBe('warming_up');
    expect(usual.opened?.severity).toBe('info');
  }, 240_000);
});
