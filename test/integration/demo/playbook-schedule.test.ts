/**
 * When `zeroops demo run` applies its playbooks: the warm-up counts from the
 * command's start, never before every demo service is past the detector's
 * warm-up. The zeroops API is stood in for by a real HTTP server answering
 * GET /api/v1/services with the services' first sightings.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_WARMUP_WINDOWS, demoWarmup, type PlaybookSchedule, playbooksDueAt, schedulePlaybooks } from '../../../infra/demo/playbook-schedule.ts';
import { loadConfig } from '../../../services/core/config.ts';

const MIN = 60_000;

describe('playbooksDueAt', () => {
  const t = { commandStartMs: 0, warmupMinutes: 5, serviceWarmupMs: 4 * MIN };

  it('counts the warm-up from the command, not from the shop being up', () => {
    // The shop came up 48 s after the command (a busy host): still 5 min after the command, not 5 min 48 s.
    expect(playbooksDueAt(t, [10_000, 48_000])).toBe(5 * MIN);
  });

  it('waits for the last service to be past its warm-up, and for every service to be seen', () => {
    expect(playbooksDueAt(t, [10_000, 90_000])).toBe(90_000 + 4 * MIN);
    expect(playbooksDueAt(t, [10_000, undefined])).toBeUndefined();
  });
});

describe('schedulePlaybooks', () => {
  let server: Server | undefined;
  let schedule: PlaybookSchedule | undefined;
  afterEach(async () => {
    schedule?.stop();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  /** Serves `firstSeen` (name -> epoch ms) as GET /api/v1/services; returns its base URL. */
  async function api(firstSeen: Map<string, number>): Promise<string> {
    const srv = createServer((_req, res) => {
      const items = [...firstSeen].map(([name, ms]) => ({ name, firstSeen: new Date(ms).toISOString() }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ items, tracking: {} }));
    });
    server = srv;
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
  }

  function start(url: string, commandStartMs: number, lines: string[], warmupMinutes = 1 / 60): Promise<number> {
    return new Promise((resolve) => {
      schedule = schedulePlaybooks({
        api: url,
        token: undefined,
        services: ['frontend', 'cart'],
        commandStartMs,
        warmupMinutes,
        serviceWarmupMs: 1_000,
        pollMs: 100,
        apply: async () => resolve(Date.now()),
        print: (line) => lines.push(line),
      });
    });
  }

  it('applies them the warm-up after the command started once every service is warmed up', async () => {
    const now = Date.now();
    const url = await api(
      new Map([
        ['frontend', now - 5_000],
        ['cart', now - 5_000],
      ]),
    );
    const lines: string[] = [];
    const commandStartMs = now - 2_500; // the command started 2.5 s ago; the warm-up is 3 s
    const appliedAt = await start(url, commandStartMs, lines, 3 / 60);
    expect(appliedAt).toBeGreaterThanOrEqual(commandStartMs + 3_000);
    // Counted from the schedule's start (the shop being up) it would be 3 s from now.
    expect(appliedAt).toBeLessThan(now + 2_500);
    expect(lines).toEqual([]);
  });

  it('waits for a service not seen yet, then for its warm-up, and says so', async () => {
    const now = Date.now();
    const seen = new Map([['frontend', now - 5_000]]);
    const url = await api(seen);
    const lines: string[] = [];
    const applied = start(url, now - 1_000, lines); // the warm-up is already over
    await new Promise((r) => setTimeout(r, 300));
    expect(lines).toEqual(['playbooks wait: not seen yet: cart']);
    const cartSeen = Date.now();
    seen.set('cart', cartSeen);
    const appliedAt = await applied;
    expect(appliedAt).toBeGreaterThanOrEqual(cartSeen + 1_000);
    expect(lines[1]).toMatch(/^playbooks wait: the detector's warm-up of the last service started ends at \d\d:\d\d:\d\d UTC$/);
  });

  it('applies nothing once stopped', async () => {
    const url = await api(new Map([['frontend', 0]]));
    let applied = false;
    schedule = schedulePlaybooks({
      api: url,
      token: undefined,
      services: ['frontend'],
      commandStartMs: Date.now(),
      warmupMinutes: 1 / 200,
      serviceWarmupMs: 0,
      apply: async () => {
        applied = true;
      },
      print: () => {},
    });
    schedule.stop();
    await new Promise((r) => setTimeout(r, 600));
    expect(applied).toBe(false);
  });
});

describe('demoWarmup', () => {
  it('warms the demo up over 20 windows, the services as long, so the playbooks are due 5 minutes after the command', () => {
    const w = demoWarmup({}, 10);
    expect(w).toEqual({ detectorWarmupWindows: DEMO_WARMUP_WINDOWS, serviceWarmupSeconds: DEMO_WARMUP_WINDOWS * 10 });
    const config = loadConfig({}, w);
    expect(config.detectorWarmupWindows).toBe(20);
    // The shop's last service first seen 60 s after the command (a busy host): due at 5 min, not 6.
    const timing = { commandStartMs: 0, warmupMinutes: 5, serviceWarmupMs: config.serviceWarmupSeconds * 1000 };
    expect(playbooksDueAt(timing, [20_000, 60_000])).toBe(5 * MIN);
    // With the detector's default 30 windows the same shop was due at 6 min.
    expect(playbooksDueAt({ ...timing, serviceWarmupMs: loadConfig({}).serviceWarmupSeconds * 1000 }, [20_000, 60_000])).toBe(6 * MIN);
  });

  it('leaves what the environment sets, and times the services by the windows it sets', () => {
    expect(demoWarmup({ ZEROOPS_DETECTOR_WARMUP_WINDOWS: '25' }, 10)).toEqual({ serviceWarmupSeconds: 250 });
    expect(demoWarmup({ ZEROOPS_SERVICE_WARMUP_SECONDS: '90' }, 2)).toEqual({ detectorWarmupWindows: 20 });
    expect(demoWarmup({ ZEROOPS_DETECTOR_WARMUP_WINDOWS: '25', ZEROOPS_SERVICE_WARMUP_SECONDS: '90' }, 10)).toEqual({});
  });
});
