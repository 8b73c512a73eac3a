/**
 * The live feedback loop, end to end (issue 14): two playbooks match the same
 * errors fault on one service; one really fixes it (the fault stops when its
 * http step is called), the other does nothing. Traffic goes through the OTel
 * SDK's OTLP exporter into a full runtime with 1-second windows; after 20
 * fault episodes the fixing playbook must have been chosen in 9 of the last 10.
 *
 * The traffic follows one fixed schedule from 40 s in the past to the end of
 * the test (27..33 requests per window): the backfill and the live pump are
 * the same stream, so no window is left partly empty between them. (A gap
 * there made a half-empty first live window, which opened a `traffic`
 * episode; a fault starting while it was open became part of that episode and
 * no `errors` incident opened: the failure once seen in fresh clones.) Before
 * each fault the service has no open incident of any kind.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runtime, SERVICE_NAMES, startRuntime } from '../../services/cli/runtime.ts';
import { loadConfig } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { eventually } from '../helpers/http-target.ts';
import { serviceTracerProvider } from '../helpers/otlp-traffic.ts';
import { runModes } from '../helpers/run-modes.ts';
import { testRuntimeEnv } from '../helpers/zeroops-process.ts';

const WINDOW_MS = 1000;
/** Requests per window: 27..33, varying by window so the baseline has a spread. */
const perWindow = (windowStartMs: number) => 27 + (Math.floor(windowStartMs / WINDOW_MS) % 7);
const EPISODES = 20;
const SERVICE = 'orders';

interface Incident {
  id: string;
  kind: string;
  state: string;
  openedAt: string;
}
interface Execution {
  episodeId: string;
  playbookId: string;
  outcome: string | null;
  id: string;
}

const modes = runModes('loop');

describe.each(modes)('live loop: the policy learns which playbook fixes a recurring fault ($name)', (mode) => {
  let rt: Runtime;
  let target: Server;
  let targetUrl = '';
  let cleanup: () => Promise<void> = async () => undefined;
  let provider: BasicTracerProvider;
  let faulty = false;
  let stopTraffic: () => void = () => undefined;

  beforeAll(async () => {
    target = createServer((req, res) => {
      req.resume();
      if (req.url === '/fix') faulty = false;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
    const m = await mode.setup();
    cleanup = m.cleanup;
    // Two seconds of lateness: a starved test process (other suites run beside this one) does not see its windows close early.
    const config = loadConfig({ ...m.env, ...testRuntimeEnv(WINDOW_MS, 2) });
    rt = await startRuntime(config, silentLogger(), SERVICE_NAMES);
    provider = serviceTracerProvider(new OTLPTraceExporter({ url: `${rt.addresses.otlpHttp}/v1/traces` }), { 'service.name': SERVICE });
  }, 300_000); // a full runtime starting on a loaded machine (in make test other suites run beside it)

  afterAll(async () => {
    stopTraffic();
    await provider?.shutdown();
    await rt?.stop();
    await new Promise<void>((r) => (target ? target.close(() => r()) : r()));
    await cleanup();
  }, 300_000);

  const span = (startMs: number, failed: boolean) => {
    const s = provider.getTracer('loop').startSpan('POST /order', { kind: SpanKind.SERVER, startTime: startMs, attributes: { 'http.route': '/order' } });
    if (failed) s.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    s.end(startMs + 12 + (startMs % 5));
  };
  /** The traffic schedule: the next request is the `index`-th of the window starting at `windowMs`. */
  const schedule = { windowMs: 0, index: 0, sent: 0 };
  /** Sends every scheduled request whose time has come (at most `limit`); returns how many it sent. */
  const sendDue = (limit = Number.POSITIVE_INFINITY): number => {
    const now = Date.now();
    let n = 0;
    while (n < limit) {
      const count = perWindow(schedule.windowMs);
      if (schedule.index >= count) {
        schedule.windowMs += WINDOW_MS;
        schedule.index = 0;
        continue;
      }
      const at = schedule.windowMs + Math.floor(((schedule.index + 1) * WINDOW_MS) / (count + 1));
      if (at > now) break;
      span(at, faulty && schedule.sent % 10 < 7);
      schedule.index++;
      schedule.sent++;
      n++;
    }
    return n;
  };
  const get = async <T>(path: string): Promise<T> => (await (await fetch(`${rt.addresses.api}${path}`)).json()) as T;
  const incidents = async () => (await get<{ items: Incident[] }>(`/api/v1/incidents?service=${SERVICE}`)).items;
  const post = (path: string, body: unknown) =>
    fetch(`${rt.addresses.api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  async function createPlaybook(name: string, path: string, priority: number): Promise<string> {
    const r = await post('/api/v1/playbooks', {
      name,
      mode: 'auto',
      priority,
      match: { service: SERVICE, kinds: ['errors'] },
      guardrails: { cooldownSeconds: 0, maxConcurrent: 5, skipWhenFlapping: false },
      steps: [
        { id: 'act', type: 'http', http: { method: 'POST', url: `${targetUrl}${path}` } },
        // The fix's episode closes about three windows plus the lateness after the http step; the no-op's verify runs to the
        // deadline. Room for a loaded machine: a fix judged after its deadline would count as a failure.
        { id: 'check', type: 'verify', verify: { deadlineSeconds: 12, pollSeconds: 0.25 } },
      ],
    });
    expect(r.status, await r.clone().text()).toBe(201);
    return ((await r.json()) as { id: string }).id;
  }

  it('after 20 fault episodes driven through OTLP, the fixing playbook was chosen in at least 9 of the last 10', async () => {
    const started = Date.now();
    const noop = await createPlaybook('noop-restart', '/noop', 10);
    const fix = await createPlaybook('fix-flag', '/fix', 0);
    // 40 s of normal history, exported in sequential batches (concurrent exports could arrive out of order, and a window
    // that has closed drops what comes later), then the same schedule goes on live.
    schedule.windowMs = Math.floor((Date.now() - 40_000) / WINDOW_MS) * WINDOW_MS;
    while (sendDue(400) === 400) await provider.forceFlush();
    await provider.forceFlush();
    const timer = setInterval(() => sendDue(), 50);
    stopTraffic = () => clearInterval(timer);

    const chosen: string[] = [];
    const outcomes: string[] = [];
    for (let e = 0; e < EPISODES; e++) {
      await eventually('no open incident', async () => (await incidents()).every((i) => i.state !== 'open'), 30_000);
      await new Promise((r) => setTimeout(r, 1_000));
      const faultAt = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
      faulty = true;
      const incident = await eventually(
        'an errors incident',
        async () => (await incidents()).find((i) => i.kind === 'errors' && Date.parse(i.openedAt) >= faultAt),
        45_000,
      ).catch(async (err: Error) => {
        // Say what the service's incidents were, for a failure seen only on some runs.
        throw new Error(`episode ${e + 1} (fault at ${new Date(faultAt).toISOString()}): ${err.message}; incidents: ${JSON.stringify(await incidents())}`);
      });
      const ex = await eventually(
        'the episode’s execution to finish',
        async () => (await get<{ items: Execution[] }>(`/api/v1/executions?service=${SERVICE}`)).items.find((x) => x.episodeId === incident.id && x.outcome),
        30_000,
      );
      chosen.push(ex.playbookId === fix ? 'fix' : ex.playbookId === noop ? 'noop' : ex.playbookId);
      outcomes.push(`${chosen[e]}:${ex.outcome}`);
      // The no-op left the fault on: it ends by itself here, as a person would end it.
      faulty = false;
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    process.stderr.write(`live loop (${mode.name}): choices ${chosen.join(',')} in ${seconds} s\n`);
    expect(chosen[0]).toBe('noop'); // cold start: the declared priority
    expect(chosen.slice(-10).filter((c) => c === 'fix').length, outcomes.join(',')).toBeGreaterThanOrEqual(9);

    const policy = await get<{ signatures: { signature: string; arms: { playbookId: string; successes: number; failures: number }[] }[] }>(
      `/api/v1/policy?service=${SERVICE}`,
    );
    const arms = policy.signatures.flatMap((s) => s.arms);
    expect(arms.find((a) => a.playbookId === fix)?.successes).toBeGreaterThanOrEqual(9);
    expect(arms.filter((a) => a.playbookId === noop).every((a) => a.successes === 0)).toBe(true);
    const last = (await get<{ items: Execution[] }>(`/api/v1/executions?service=${SERVICE}`)).items.find((x) => x.playbookId === fix) as Execution;
    const detail = await get<{ policyDecision: { chosenPlaybookId: string; candidates: { playbookId: string; sampled: number | null }[] } }>(
      `/api/v1/executions/${last.id}`,
    );
    expect(detail.policyDecision.chosenPlaybookId).toBe(fix);
    expect(detail.policyDecision.candidates.map((c) => c.playbookId).sort()).toEqual([fix, noop].sort());
  }, 600_000);
});
