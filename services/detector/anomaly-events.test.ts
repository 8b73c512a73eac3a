import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { WindowBands } from '../../models/fleet/expected-bands.ts';
import { NeuralScorer, ServiceModels, type ServiceModelsOptions, type ServiceScore, type WindowInput } from '../../models/fleet/index.ts';
import { createRng } from '../../models/stats/index.ts';
import { anomalyEvent, DEMAND_ATTRIBUTE, demandOf, kindFeature, kindOf, MODEL_STATE_ATTRIBUTE } from './anomaly-events.ts';

/** The detector's own episode settings for 10 s windows (services/detector/detector-state.ts). */
const WINDOW_MS = 10_000;
const EPISODE = { openLevel: 0.7, closeLevel: 0.5, minOpenMs: 0, minCloseMs: WINDOW_MS, flapWindowMs: 60 * WINDOW_MS, flapOpenings: 3 };
const T0 = Date.UTC(2026, 0, 5, 9);

/** Window `i` of a steady service with noisy traffic, latency and error ratio; `errorShare` replaces the error ratio during a fault. */
function windowOf(i: number, errorShare?: number): WindowInput {
  const rng = createRng(500 + i);
  const jitter = () => 1 + (rng.next() - 0.5) * 0.2;
  const endMs = T0 + (i + 1) * WINDOW_MS;
  return {
    service: 'cart',
    startMs: endMs - WINDOW_MS,
    endMs,
    callees: [],
    features: {
      request_rate: 20 * jitter(),
      error_ratio: errorShare ?? 0.01 * jitter(),
      latency_p50_ms: 20 * jitter(),
      latency_p99_ms: 60 * jitter(),
    },
  };
}

/** Feeds windows `from`..`to`-1 (a 70% error fault where `fault(i)`), one round each. */
function run(m: ServiceModels, from: number, to: number, fault: (i: number) => boolean): ServiceScore[] {
  const out: ServiceScore[] = [];
  for (let i = from; i < to; i++) out.push(m.scoreBatch([windowOf(i, fault(i) ? 0.7 : undefined)])[0] as ServiceScore);
  return out;
}

function models(extra: Partial<ServiceModelsOptions> = {}): ServiceModels {
  return new ServiceModels({ episode: EPISODE, ...extra });
}

describe('an ongoing fault is never learned as normal', () => {
  it('a fault left unfixed for two hours of 10 s windows keeps one episode open, closes when it stops, and opens a new one when it returns', () => {
    const m = models();
    const warm = run(m, 0, 100, () => false);
    expect(warm.filter((r) => r.transition !== 'none')).toEqual([]);
    // 720 windows of 10 s: two hours of 70% errors that nobody fixes.
    const fault = run(m, 100, 820, () => true);
    expect(fault[0]).toMatchObject({ transition: 'open', severity: 'critical', warmingUp: false });
    expect(fault.slice(1).every((r) => r.transition === 'ongoing')).toBe(true);
    expect(new Set(fault.map((r) => r.episodeId)).size).toBe(1);
    expect(fault.every((r) => r.severity === 'critical')).toBe(true);
    // Healed: the features are back within the pre-fault expectation, so it closes within two windows, mildly.
    const healed = run(m, 820, 829, () => false);
    const closing = healed.find((r) => r.transition === 'closed');
    expect(healed.findIndex((r) => r.transition === 'closed')).toBeLessThanOrEqual(1);
    expect(closing).toMatchObject({ severity: 'info', episodeId: fault[0]?.episodeId });
    expect(anomalyEvent(closing as ServiceScore, [], 'v', 0).severity).toBe('info');
    // The same fault 90 s later: a new episode at its first window.
    const again = run(m, 829, 835, () => true);
    expect(again[0]).toMatchObject({ transition: 'open', severity: 'critical' });
    expect(again[0]?.episodeId).not.toBe(fault[0]?.episodeId);
  });

  it('a fault that starts before the likelihood has its history (past warm-up) stays one episode too', () => {
    const m = models();
    run(m, 0, 40, () => false);
    const fault = run(m, 40, 240, () => true);
    expect(fault[0]).toMatchObject({ transition: 'open', warmingUp: false });
    expect(fault.slice(1).every((r) => r.transition === 'ongoing')).toBe(true);
  });

  it('models do not move while an episode is open (the pre-fault baselines stay the reference)', () => {
    const m = models();
    run(m, 0, 100, () => false);
    run(m, 100, 101, () => true);
    const held = m.snapshot();
    run(m, 101, 300, () => true);
    const after = m.snapshot();
    // Only the bookkeeping of the opening window (held until the episode proves a blip or a fault) may change.
    const learned = (s: typeof after.cart) => ({ ...s?.seasonal, held: undefined, heldRun: undefined });
    expect(learned(after.cart)).toEqual(learned(held.cart));
    // The likelihood's history (its reference) stays; its short ring holds the latest raw scores by design.
    const history = (s: typeof after.cart) => {
      const l = s?.likelihood as { config: { shortWindow: number }; buffer: number[]; history: number[] };
      return { history: l.history, values: l.buffer.slice(l.config.shortWindow) };
    };
    expect(history(after.cart)).toEqual(history(held.cart));
    expect(after.cart?.neural).toEqual(held.cart?.neural);
  });

  it('a service still warming up says so: info events marked warming_up', () => {
    const m = models({ warmupWindows: 30 });
    run(m, 0, 10, () => false);
    const early = run(m, 10, 40, () => true);
    expect(early[0]).toMatchObject({ transition: 'open', warmingUp: true, severity: 'info' });
    const ev = anomalyEvent(early[0] as ServiceScore, [], 'v', 0);
    expect(ev.attributes[MODEL_STATE_ATTRIBUTE]).toBe('warming_up');
    expect(ev.severity).toBe('info');
    // Past warm-up the same deviation is critical, and the event no longer carries the warm-up mark.
    const later = models({ warmupWindows: 30 });
    run(later, 0, 40, () => false);
    const [opened] = run(later, 40, 41, () => true);
    expect(opened).toMatchObject({ transition: 'open', warmingUp: false, severity: 'critical' });
    expect(anomalyEvent(opened as ServiceScore, [], 'v', 0).attributes).not.toHaveProperty(MODEL_STATE_ATTRIBUTE);
  });

  it('emits an event when the deviation grows beyond noise (a fault that starts within a window), not when it wobbles', () => {
    const m = models();
    run(m, 0, 100, () => false);
    // A third of the first window fails, then 70%, then 70% give or take a few points.
    const out = [0.25, 0.7, 0.72, 0.68, 0.71].map((e, k) => m.scoreBatch([windowOf(100 + k, e)])[0] as ServiceScore);
    expect(out.map((r) => [r.transition, r.emit])).toEqual([
      ['open', true],
      ['ongoing', true],
      ['ongoing', false],
      ['ongoing', false],
      ['ongoing', false],
    ]);
    expect(out[1]?.severity).toBe('critical');
  });

  it('severity follows the deviation: a mild rise is info or warning, a large one critical', () => {
    const m = models({ warmupWindows: 10 });
    run(m, 0, 60, () => false);
    // Error ratio 0.01 expected with a spread floor of 0.02: 0.13 is 6 spreads, 0.7 is 34.
    const mild = m.scoreBatch([windowOf(60, 0.13)])[0] as ServiceScore;
    expect(mild.deviation).toBeGreaterThan(5);
    expect(mild.deviation).toBeLessThan(8);
    expect(mild.severity).toBe('warning');
    const strong = m.scoreBatch([windowOf(61, 0.7)])[0] as ServiceScore;
    expect(strong.severity).toBe('critical');
  });

  it('runtime metrics alone keep a window info; a fault users feel is named after its symptom and rated by it', () => {
    const m = models({ warmupWindows: 10 });
    // An event-loop delay of about 5 ms with a little noise, beside the span features.
    const withDelay = (i: number, delayMs: number, errorShare?: number): WindowInput => {
      const w = windowOf(i, errorShare);
      return { ...w, features: { ...w.features, 'metric:nodejs.eventloop.delay.p99': delayMs * (1 + ((i * 7) % 5) / 100) } };
    };
    for (let i = 0; i < 60; i++) m.scoreBatch([withDelay(i, 5)]);
    // The machine gets busy: the delay jumps tenfold while traffic, errors and latency stay as expected.
    const busy = m.scoreBatch([withDelay(60, 50)])[0] as ServiceScore;
    expect(busy.evidence[0]?.feature).toBe('metric:nodejs.eventloop.delay.p99');
    expect(busy.deviation).toBeGreaterThan(8);
    expect(busy.severity).toBe('info');
    // A real fault: 70% errors, with the delay even further out. Severity and kind follow the errors.
    const fault = m.scoreBatch([withDelay(61, 500, 0.7)])[0] as ServiceScore;
    expect(fault.severity).toBe('critical');
    expect(Math.abs(fault.evidence[0]?.deviation ?? 0)).toBeGreaterThan(Math.abs(fault.evidence.find((e) => e.feature === 'error_ratio')?.deviation ?? 0));
    expect(anomalyEvent({ ...fault, episodeId: 'cart:1:1', transition: 'open' }, [], 'v', 0).kind).toBe('errors');
    // A service that reports only metrics is judged by them.
    const metricsOnly = models({ warmupWindows: 10 });
    const onlyMetric = (i: number, v: number): WindowInput => ({ ...withDelay(i, v), features: { 'metric:queue.depth': v * (1 + ((i * 7) % 5) / 100) } });
    for (let i = 0; i < 60; i++) metricsOnly.scoreBatch([onlyMetric(i, 5)]);
    expect((metricsOnly.scoreBatch([onlyMetric(60, 50)])[0] as ServiceScore).severity).toBe('critical');
  });

  it('more requests than expected, served as usual, are demand; fewer are an anomaly', () => {
    const m = models({ warmupWindows: 10 });
    run(m, 0, 60, () => false);
    const withRate = (i: number, rate: number): WindowInput => {
      const w = windowOf(i);
      return { ...w, features: { ...w.features, request_rate: rate } };
    };
    // Four times the usual 20 requests/s for 30 windows, at the usual latency and error ratio (a surge that enough replicas absorb).
    const surge = run(m, 60, 90, () => false).map((_, k) => m.scoreBatch([withRate(90 + k, 80)])[0] as ServiceScore);
    expect(surge.filter((r) => r.transition !== 'none')).toEqual([]);
    expect(surge.every((r) => r.evidence.length === 0)).toBe(true);
    // Back to the usual demand: not a drop (the surge was learned only up to the top of the normal band).
    const after = run(m, 120, 130, () => false);
    expect(after.filter((r) => r.transition !== 'none')).toEqual([]);
    // A fifth of the usual: callers cannot reach it.
    const drop = m.scoreBatch([withRate(130, 4)])[0] as ServiceScore;
    expect(drop.transition).toBe('open');
    expect(drop.evidence[0]?.feature).toBe('request_rate');
    expect(anomalyEvent(drop, [], 'v', 0).kind).toBe('traffic');
  });
});

describe('with the shared neural model', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('the neural model neither trains on nor calibrates against windows of an open episode', () => {
    const neural = new NeuralScorer(tf);
    const m = models({ neural });
    run(m, 0, 120, () => false);
    const seen = () => neural.model.toJSON().seen;
    expect(seen()).toBeGreaterThan(0);
    run(m, 120, 121, () => true);
    const rows = seen();
    const held = m.snapshot().cart?.neural;
    const fault = run(m, 121, 260, () => true);
    expect(fault.every((r) => r.transition === 'ongoing')).toBe(true);
    expect(seen()).toBe(rows);
    expect({ ...m.snapshot().cart?.neural, last: 0 }).toEqual({ ...held, last: 0 });
    neural.model.dispose();
  });
});

describe('the kind of an anomaly', () => {
  const ev = (feature: string, deviation: number) => ({ feature, observed: 0, expected: 0, deviation });

  it('is its most specific clear symptom: errors before latency, even when the latency deviates more', () => {
    const badDeploy = [ev('latency_p95_ms', 430), ev('latency_p50_ms', 300), ev('error_ratio', 28)];
    expect(kindOf(kindFeature(badDeploy, undefined))).toBe('errors');
    // A slight rise of the error ratio does not name a latency fault.
    expect(kindOf(kindFeature([ev('latency_p99_ms', 40), ev('error_ratio', 2)], undefined))).toBe('latency');
    // 60 % failing against a noisy 10 % (4 spreads of that noise) does: its spread counts at most 5 points.
    const noisy = { feature: 'error_ratio', observed: 0.6, expected: 0.1, deviation: 4 };
    expect(kindOf(kindFeature([ev('latency_p99_ms', 40), noisy], undefined))).toBe('errors');
    expect(kindOf(kindFeature([ev('latency_p99_ms', 40), { ...noisy, observed: 0.3, deviation: 1.6 }], undefined))).toBe('latency');
    // Runtime metrics name it only when no symptom deviates.
    expect(kindOf(kindFeature([ev('metric:nodejs.eventloop.delay.p99', 90), ev('latency_p99_ms', 6)], undefined))).toBe('latency');
    expect(kindOf(kindFeature([ev('metric:nodejs.eventloop.delay.p99', 90)], undefined))).toBe('saturation');
    expect(kindOf(kindFeature([], 'request_rate'))).toBe('traffic');
  });

  it('counts a symptom only in the direction that hurts: a traffic drop whose few requests came out faster is traffic', () => {
    // Traffic at its night level at the hour of the daily peak; the quantiles of the few requests left are a little lower.
    const drop = [ev('request_rate', -45), ev('latency_p50_ms', -6.5), ev('latency_p95_ms', -3.8)];
    expect(kindOf(kindFeature(drop, undefined))).toBe('traffic');
    // Slower is latency, whatever the traffic does; fewer errors than usual name nothing.
    expect(kindOf(kindFeature([ev('request_rate', -45), ev('latency_p50_ms', 6.5)], undefined))).toBe('latency');
    expect(kindOf(kindFeature([ev('error_ratio', -6), ev('request_rate', -9)], undefined))).toBe('traffic');
    // More requests than expected is demand, not a clear traffic symptom.
    expect(kindOf(kindFeature([ev('request_rate', 12), ev('latency_p99_ms', 5.5)], undefined))).toBe('latency');
  });
});

describe('the demand attribute of an anomaly', () => {
  const ev = (feature: string, deviation: number) => ({ feature, observed: 0, expected: 0, deviation });
  /** A scored window of `rate` requests/s whose baseline expected `expected` (band: expected +- 20 %). */
  const scored = (rate: number, expected: number, evidence: ReturnType<typeof ev>[] = []) =>
    ({
      input: { ...windowOf(1), features: { ...windowOf(1).features, request_rate: rate } },
      expected: new WindowBands(['request_rate'], [expected, expected * 0.8, expected * 1.2], 0, 1),
      episodeId: 'cart:1',
      score: 0.9,
      likelihood: 0.99,
      severity: 'warning',
      evidence,
      transition: 'open',
      warmingUp: false,
      flapping: false,
    }) as unknown as ServiceScore;

  it("says above or below from the window's rate against its band and expectation, nothing otherwise", () => {
    expect(demandOf(scored(4, 1))).toBe('above');
    expect(demandOf(scored(1.5, 1))).toBe('above');
    // Above the band but not 1.5 times the expectation: ordinary variation of demand.
    expect(demandOf(scored(1.4, 1))).toBeUndefined();
    expect(demandOf(scored(0.5, 1))).toBe('below');
    expect(demandOf(scored(0.7, 1))).toBeUndefined();
    expect(demandOf({ input: scored(4, 1).input, expected: undefined })).toBeUndefined();
  });

  it("is set on a surge's event although a rate above expectation is never evidence (the rate is bad only downward)", () => {
    // What a surge showed live: queueing, shed requests and a busy loop, and no request_rate in the evidence.
    const surge = scored(4, 1, [ev('latency_p50_ms', 213), ev('metric:v8js.resource.active', 61), ev('error_ratio', 12.6)]);
    const e = anomalyEvent(surge, [], 'v', 0, { 'service.version': '1.0.0' });
    expect(e.attributes).toMatchObject({ [DEMAND_ATTRIBUTE]: 'above', 'service.version': '1.0.0' });
    expect(anomalyEvent(scored(1, 1, [ev('error_ratio', 9)]), [], 'v', 0).attributes).not.toHaveProperty(DEMAND_ATTRIBUTE);
  });
});
