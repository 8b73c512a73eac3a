/**
 * Recalibration from labels, end to end on both buses and both stores: a
 * service with a harmless recurring pattern (a latency bump of three windows
 * every fifteen) alarms; an operator labels those incidents false positive
 * through the API; the trainer folds the labels into the service's
 * calibration; the running detector picks it up without a restart. On a
 * replay of the same pattern it alarms on almost none of the bumps, while an
 * unlabelled twin with the same pattern keeps alarming on almost all of them
 * (the drop is the labels' doing), and an injected real fault (60% errors) on
 * the labelled service is still detected.
 */
import { and, eq, gte, lt } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { BLIP_WINDOWS } from '../../../models/fleet/seasonal-scorer.ts';
import { type ApiApp, buildApiApp } from '../../../services/api/app.ts';
import type { Component } from '../../../services/core/component.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { anomalies, detectorCalibrations, incidents, type Store } from '../../../services/store/index.ts';
import { createTrainer } from '../../../services/trainer/index.ts';
import { runModes } from '../../helpers/run-modes.ts';
import { type Env, type Injection, openEnv, publishWindows, startDetector, WINDOW_MS, waitForRollups } from './fleet-fixture.ts';

const SVC = 'checkout';
/**
 * The same pattern on a service nobody labels: it keeps alarming in phase B, so the drop on SVC is the labels'
 * doing. A bump of three anomalous windows is longer than a blip (BLIP_WINDOWS, models/fleet/seasonal-scorer.ts),
 * so the model never learns it as routine by itself, however often it recurs: only a label teaches that.
 */
const CONTROL = 'checkout-eu';
const SERVICES = [SVC, 'inventory', CONTROL];
/** Clean windows first: past the warm-up (30 windows) and the likelihood's history (60). */
const CLEAN = 80;
const PHASE = 120;
const PERIOD = 15;
/** Windows of one bump: one more than a blip may have, so it is never learned without labels. */
const BUMP = BLIP_WINDOWS + 1;
const FAULT_AT = CLEAN + 2 * PHASE + 10;
const END = FAULT_AT + 16;

function bumps(from: number, to: number, service = SVC): Injection[] {
  const out: Injection[] = [];
  for (let w = from + 5; w + BUMP <= to; w += PERIOD) out.push({ service, from: w, to: w + BUMP, kind: 'bump' });
  return out;
}
const INJECTIONS: Injection[] = [
  ...bumps(CLEAN, CLEAN + 2 * PHASE),
  ...bumps(CLEAN, CLEAN + 2 * PHASE, CONTROL),
  { service: SVC, from: FAULT_AT, to: FAULT_AT + 4, kind: 'errors' },
];
/** "Almost all" of `n` bumps: three quarters (6 of 8). */
const MOST = (n: number) => Math.ceil((3 * n) / 4);
const FIRST = Math.floor((Date.now() - 3_600_000) / WINDOW_MS) * WINDOW_MS;
const at = (w: number) => new Date(FIRST + w * WINDOW_MS);

async function openedBetween(store: Store, from: number, to: number, service = SVC) {
  return store.db
    .select()
    .from(incidents)
    .where(and(eq(incidents.service, service), gte(incidents.openedAt, at(from)), lt(incidents.openedAt, at(to))));
}

/** The bumps of `service` in windows [from, to) during which one of its incidents was open (an episode may span several bumps). */
async function bumpsAlarmed(store: Store, service: string, from: number, to: number): Promise<number> {
  const all = await store.db.select().from(incidents).where(eq(incidents.service, service));
  const open = (b: Injection) => all.some((i) => i.openedAt <= at(b.to + 1) && (i.closedAt ?? new Date(8.64e15)) >= at(b.from + 1));
  return bumps(from, to, service).filter(open).length;
}

async function until(what: string, ok: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each(runModes('recal'))('recalibration from false-positive labels, $name', (mode) => {
  const parts: Component[] = [];
  let env: Env | undefined;
  let app: ApiApp | undefined;
  let cleanup: () => Promise<void> = async () => undefined;

  afterAll(async () => {
    for (const p of parts.reverse()) await p.stop();
    await app?.close();
    await env?.close();
    await cleanup();
  });

  it('silences a labelled harmless pattern that an unlabelled twin keeps alarming on, and still detects a real fault', async () => {
    const setup = await mode.setup();
    cleanup = setup.cleanup;
    env = await openEnv({ ...setup.env, ZEROOPS_CALIBRATION_POLL_SECONDS: '0.5' });
    const e = env;
    const base = { bus: e.bus, store: e.store, logger: silentLogger(), telemetry: createTelemetry(), topics: e.topics };
    const trainer = createTrainer(base, e.config);
    await trainer.start();
    parts.push(trainer);
    const { detector } = await startDetector(e);
    parts.push(detector);
    app = await buildApiApp({ ...base, config: e.config });

    // Phase A: the pattern alarms.
    await publishWindows(e.bus, e.topics.traces, SERVICES, 0, CLEAN + PHASE + 1, FIRST, INJECTIONS);
    await waitForRollups(e.store, SERVICES.length * (CLEAN + PHASE), 120_000);
    await detector.flush();
    const before = await openedBetween(e.store, CLEAN, CLEAN + PHASE);
    const patternBumps = bumps(CLEAN, CLEAN + PHASE).length;
    const alarmedBefore = await bumpsAlarmed(e.store, SVC, CLEAN, CLEAN + PHASE);
    const controlBefore = await bumpsAlarmed(e.store, CONTROL, CLEAN, CLEAN + PHASE);
    console.log(`recalibration (${mode.name}) phase A: ${alarmedBefore} / ${controlBefore} of ${patternBumps}, ${before.length} incidents`);
    expect(alarmedBefore).toBeGreaterThanOrEqual(MOST(patternBumps));
    expect(controlBefore).toBeGreaterThanOrEqual(MOST(patternBumps));

    // An operator labels every one of them false positive.
    for (const inc of before) {
      const r = await app.inject({ method: 'POST', url: `/api/v1/incidents/${encodeURIComponent(inc.id)}/feedback`, payload: { label: 'false_positive' } });
      expect(r.statusCode, r.body).toBe(201);
    }
    await until(
      'the trainer to fold every label in',
      async () => {
        const [row] = await e.store.db.select().from(detectorCalibrations).where(eq(detectorCalibrations.service, SVC));
        return (row?.version ?? 0) >= before.length;
      },
      60_000,
    );
    // The detector polls every 0.5 s: give it a few polls.
    await new Promise((r) => setTimeout(r, 2_000));

    // Phase B: the same pattern again.
    await publishWindows(e.bus, e.topics.traces, SERVICES, CLEAN + PHASE + 1, CLEAN + 2 * PHASE + 1, FIRST, INJECTIONS);
    await waitForRollups(e.store, SERVICES.length * (CLEAN + 2 * PHASE), 120_000);
    await detector.flush();
    const after = await openedBetween(e.store, CLEAN + PHASE, CLEAN + 2 * PHASE);
    const alarmedAfter = await bumpsAlarmed(e.store, SVC, CLEAN + PHASE, CLEAN + 2 * PHASE);
    const control = await bumpsAlarmed(e.store, CONTROL, CLEAN + PHASE, CLEAN + 2 * PHASE);
    console.log(`recalibration (${mode.name}) phase B: ${alarmedAfter} / ${control} of ${patternBumps}, ${after.length} incidents`);
    // The labelled service alarms on almost none of the bumps; the unlabelled twin still on almost all of them.
    expect(alarmedAfter).toBeLessThanOrEqual(1);
    expect(after.length).toBeLessThanOrEqual(1);
    expect(control).toBeGreaterThanOrEqual(MOST(patternBumps));

    // A real fault on the same service is still detected, by the calibrated model.
    await publishWindows(e.bus, e.topics.traces, SERVICES, CLEAN + 2 * PHASE + 1, END, FIRST, INJECTIONS);
    await waitForRollups(e.store, SERVICES.length * (END - 1), 120_000);
    await detector.flush();
    const fault = await openedBetween(e.store, FAULT_AT, FAULT_AT + 4);
    expect(fault.length).toBe(1);
    const events = await e.store.db
      .select()
      .from(anomalies)
      .where(eq(anomalies.episodeId, fault[0]?.id as string));
    expect(events.some((a) => a.evidence.some((ev) => ev.feature === 'error_ratio'))).toBe(true);
    expect(events[0]?.modelVersion).toMatch(/\+cal\.\d+$/);
    // The other service never alarmed and was never calibrated.
    expect(await e.store.db.select().from(incidents).where(eq(incidents.service, 'inventory'))).toEqual([]);
    console.log(
      `recalibration (${mode.name}): bumps alarmed ${alarmedBefore} of ${patternBumps} before labels (${before.length} incidents), ${alarmedAfter} after (${after.length} incidents; unlabelled twin: ${control})`,
    );
  }, 420_000);
});
