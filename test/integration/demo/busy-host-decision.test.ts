/**
 * What the demo playbooks do when one service slows alone, from windows
 * scored by the fleet models (ServiceModels without the neural model) and
 * emitted by the window round with its root-cause ranking: on a busy host a
 * service slows for a window or two with nothing downstream slower (the
 * bench saw catalog p95 +71 ms, sessions-db p95 +67 ms, cart p50 +95 ms), and
 * `demo-latency` restarted or scaled it. Such a blip is detected (an `info`
 * event) but starts no playbook; a delay that lasts gets `demo-latency`
 * once it has lasted 30 s (models/fleet/sustained-latency.ts).
 */
import { describe, expect, it } from 'vitest';
import { demoPlaybookBundle } from '../../../infra/demo/playbook-bundle.ts';
import { type FeatureVector, ServiceModels, type WindowInput } from '../../../models/fleet/index.ts';
import { createRng } from '../../../models/stats/index.ts';
import type { AnomalyEvent } from '../../../services/bus/messages.ts';
import { emitAll } from '../../../services/detector/window-round.ts';
import { CompiledPlaybook, parseBundle, validateBundle } from '../../../services/playbooks/index.ts';
import { fakeDetectorState } from '../../helpers/detector-state.ts';

const W = 10_000;
const T0 = Date.UTC(2026, 11, 7);
/** The window from which the fault-free history ends (40 minutes of 10 s windows of history before it). */
const AT = 240;

const playbooks = validateBundle(parseBundle(demoPlaybookBundle('http://127.0.0.1:9999')), {
  secrets: {},
  commandAllowlist: [],
  httpAllowlist: ['127.0.0.1'],
}).map((spec, i) => new CompiledPlaybook({ id: `pb_${i}`, name: spec.name, version: 1, spec }));
const matching = (e: AnomalyEvent) => playbooks.filter((p) => p.matches(e)).map((p) => p.ref.name);

/**
 * Scores catalog (18 requests/s, p95 90 ms) and products-db under it (22 queries/s, p95 30 ms) window by window,
 * `slow(k)` ms added to catalog's quantiles in window k, and emits the windows from a little before {@link AT} on
 * through the window round. Returns catalog's events.
 */
async function catalogEvents(slow: (k: number) => number, windows: number): Promise<AnomalyEvent[]> {
  const models = new ServiceModels({ episode: {} });
  const rng = createRng(17);
  const g = (): number => Math.sqrt(-2 * Math.log(Math.max(1e-12, rng.next()))) * Math.cos(2 * Math.PI * rng.next());
  const { s, events } = fakeDetectorState(W, T0 + (AT - 10) * W);
  const win = (service: string, k: number, features: FeatureVector, callees: string[]): WindowInput => ({
    service,
    startMs: T0 + (k - 1) * W,
    endMs: T0 + k * W,
    features,
    callees,
  });
  for (let k = 0; k < windows; k++) {
    const results = models.scoreBatch([
      win('catalog', k, { request_rate: 18 + 0.5 * g(), error_ratio: 0, latency_p50_ms: 40 + 2 * g() + slow(k), latency_p95_ms: 90 + 4 * g() + slow(k) }, [
        'products-db',
      ]),
      win('products-db', k, { request_rate: 22 + 0.5 * g(), error_ratio: 0, latency_p50_ms: 12 + g(), latency_p95_ms: 30 + 2 * g() }, []),
    ]);
    if (k >= AT - 5) await emitAll(s, results);
  }
  return events.filter((e) => e.service === 'catalog');
}

describe('the demo playbooks and a service that slows alone', () => {
  it('run nothing for catalog slowing alone for two windows (p95 +150 ms, nothing downstream slower); it is still detected', async () => {
    const events = await catalogEvents((k) => (k === AT || k === AT + 1 ? 150 : 0), AT + 20);
    const opened = events.find((e) => e.episodeState === 'open');
    expect(opened?.windowEndUnixMs).toBe(T0 + AT * W);
    expect(opened?.kind).toBe('latency');
    // Ranked its own cause (nothing downstream explains it), and yet no playbook: it did not last.
    expect(opened?.rootCauses[0]?.service).toBe('catalog');
    expect(events.every((e) => e.severity === 'info')).toBe(true);
    expect(events.flatMap(matching)).toEqual([]);
  });

  it('run demo-latency on catalog once an injected delay (+400 ms) has lasted 30 s', async () => {
    const events = await catalogEvents((k) => (k >= AT ? 400 : 0), AT + 10);
    expect(events[0]?.windowEndUnixMs).toBe(T0 + AT * W);
    const acted = events.find((e) => matching(e).length > 0);
    expect(acted && matching(acted)).toEqual(['demo-latency']);
    // The third slow window: 30 s after the delay began.
    expect(acted?.windowEndUnixMs).toBe(T0 + (AT + 2) * W);
  });
});
