/**
 * Managed rollouts through a running zeroops (collector, real detector with
 * 1 s windows, executor, API) on the demo's real `cart` processes, which
 * export their telemetry to it: a good version (1.6.0) deployed through the
 * demo control plane's rolling switch is kept (a fresh process's first slow
 * windows are no regression), and the switch fails no request; then a bad
 * one (1.5.0, its bug fails 60 % of requests) is rolled back within two
 * minutes, judged by the detector's windows of cart, and the KPIs count it
 * as a change failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoRollouts, startDemoRollouts, until } from '../helpers/demo-rollout.ts';

describe('managed rollouts on the demo, judged by the real detector', () => {
  let rig: DemoRollouts;
  const started = Date.now();

  beforeAll(async () => {
    // A baseline: the detector's windows of cart over its first half minute.
    rig = await startDemoRollouts({ rps: 8, baselineWindows: 30 });
  }, 300_000);

  afterAll(async () => {
    await rig?.stop();
  }, 60_000);

  /** On a failure, what the detector saw of cart since the change ([rate, error ratio, p99] per window) says why. */
  const windowsSinceChange = async (appliedAt: string | null | undefined) =>
    JSON.stringify((await rig.windowsOf(Date.parse(appliedAt ?? '0') - 3_000)).map((w) => [w.request_rate, w.error_ratio, w.latency_p99_ms]));

  it('keeps a good version, and the switch to it drops no request', async () => {
    const id = await rig.requestChange('1.6.0', 30);
    const c = await rig.finished(id, 150_000);
    const seen = c.state === 'kept' ? '' : await windowsSinceChange(c.appliedAt);
    expect(c.state, `${c.reason}\ncart windows [rate, error ratio, p99]: ${seen}`).toBe('kept');
    expect(c.reason).toMatch(/no regression within the 30 s watch/);
    // Judged by detector windows of the new version, not for want of them.
    expect(c.verdict?.windows ?? 0).toBeGreaterThanOrEqual(10);
    expect(await rig.cartVersion()).toBe('1.6.0');
    const applied = Date.parse(c.appliedAt as string);
    const during = rig.answers.filter((a) => a.at >= applied && a.at <= Date.parse(c.finishedAt as string));
    // Enough answers for the check below to mean something (8 req/s for 30 s; a very loaded host answers fewer).
    expect(during.length).toBeGreaterThan(30);
    // The old process left the balancer and drained before it stopped: no request met a replica gone (502) or a dropped connection.
    expect(during.filter((a) => a.status === 502 || a.status === 0)).toEqual([]);
  }, 200_000);

  it('rolls a bad version back within two minutes, judged by the detector windows, and counts a change failure', async () => {
    const id = await rig.requestChange('1.5.0', 120);
    const c = await rig.finished(id, 180_000);
    const after = c.state === 'rolled_back' ? '' : await windowsSinceChange(c.appliedAt);
    expect(c.state, `${c.reason}\ncart windows [rate, error ratio, p99]: ${after}`).toBe('rolled_back');
    expect(c.reason).toMatch(/^regression: (error_ratio|latency_p9[59]_ms|service score)/);
    const applied = Date.parse(c.appliedAt as string);
    expect(Date.parse(c.finishedAt as string) - applied).toBeLessThan(120_000);
    // The detector saw the bug: windows of cart with most requests failing after the change.
    const failing = await until(
      'a window of cart with most requests failing',
      async () => (await rig.windowsOf(applied)).some((w) => (w.error_ratio ?? 0) > 0.3),
      30_000,
    ).catch(async () => false);
    const seen = failing ? '' : JSON.stringify((await rig.windowsOf(applied - 2_000)).map((w) => [w.request_rate, w.error_ratio, w.latency_p99_ms]));
    expect(failing, `${c.reason}; cart windows [rate, error ratio, p99]: ${seen}`).toBe(true);
    // The undo put back the version before the change.
    await until('cart to run 1.6.0 again', async () => (await rig.cartVersion()) === '1.6.0', 60_000);
    // Two managed deployments of cart since the start, one failed (its telemetry's new versions are the same deployments).
    const from = new Date(started - 60_000).toISOString();
    const kpis = (await (await fetch(`${rig.api}/api/v1/kpis?service=cart&from=${encodeURIComponent(from)}`)).json()) as {
      totals: { deployments: number; changeFailureRate: number | null };
    };
    expect(kpis.totals).toMatchObject({ deployments: 2, changeFailureRate: 0.5 });
  }, 200_000);
});
