/**
 * The start of a bench-zeroops run: zeroops and the demo shop side by side,
 * then the detector's warm-up counted from the first scored window of the
 * slowest service rather than from when the processes were spawned.
 */
import { type DemoSystem, startDemo } from '../../../infra/demo/demo-system.ts';
import { type BundleOptions, demoPlaybookBundle } from '../../../infra/demo/playbook-bundle.ts';
import { type BenchMode, placeZeroops, startZeroops, type ZeroopsUnderTest } from './zeroops-under-test.ts';

/** What the start needs to know of the run. */
export interface StartOptions {
  mode: BenchMode;
  windowSeconds: number;
  services?: string[];
  rps: number;
  env?: Record<string, string>;
}

/**
 * Starts zeroops and the demo shop at the same time: the services export to
 * the OTLP port picked beforehand, and what they send before zeroops listens
 * is dropped by their exporters (the warm-up is counted from the first
 * scored window, see {@link untilScored}). One after the other, the two took
 * 18 s + 21 s at a load of 2 to 5 (run 1 of session 19). If either fails the
 * other is stopped.
 */
export async function startBoth(opts: StartOptions): Promise<{ zt: ZeroopsUnderTest; demo: DemoSystem }> {
  const place = await placeZeroops();
  const [z, d] = await Promise.allSettled([
    startZeroops(opts.mode, opts.windowSeconds, opts.env, place),
    startDemo({
      dataDir: place.dataDir,
      otlpEndpoint: place.otlp,
      services: opts.services,
      controlPort: 0,
      serviceBasePort: 0,
      rps: opts.rps,
      metricIntervalMs: Math.min(10_000, opts.windowSeconds * 1000),
    }),
  ]);
  if (z.status === 'fulfilled' && d.status === 'fulfilled') return { zt: z.value, demo: d.value };
  if (d.status === 'fulfilled') await d.value.stop();
  if (z.status === 'fulfilled') await z.value.stop();
  throw z.status === 'rejected' ? z.reason : (d as PromiseRejectedResult).reason;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The services the API lists with a scored window (lastScore not null). */
async function scoredServices(api: string): Promise<Set<string>> {
  try {
    const res = await fetch(`${api}/api/v1/services`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { items: Array<{ name: string; lastScore: number | null }> };
    return new Set(body.items.filter((s) => s.lastScore !== null).map((s) => s.name));
  } catch {
    // A read that stalls on a loaded machine is tried again.
    return new Set();
  }
}

/**
 * Resolves once every one of `services` has had a window scored by the
 * detector (the start of its warm-up count), or after `timeoutSeconds`
 * (rejects, naming the services never seen). Returns the seconds it took.
 */
export async function untilScored(api: string, services: string[], timeoutSeconds: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const seen = await scoredServices(api);
    const missing = services.filter((s) => !seen.has(s));
    if (missing.length === 0) return (Date.now() - t0) / 1000;
    if (Date.now() - t0 > timeoutSeconds * 1000) {
      throw new Error(`no scored window after ${timeoutSeconds} s for: ${missing.join(', ')} (does the demo shop export to zeroops?)`);
    }
    await sleep(500);
  }
}

/**
 * The demo playbooks as the run applies them. With `awaitOperations` each
 * operation's http step asks the control plane to answer when the operation
 * was carried out (`?wait=true`, 120 s step timeout) instead of when it was
 * accepted (202), so a settle wait counts from the operation's effect: with
 * 5 s waits and 202s, demo-errors had scaled out and restarted cart before
 * its rollback, accepted 29 s earlier, was done (run 1 of session 19, load 20).
 */
export function runPlaybookBundle(controlUrl: string, opts: BundleOptions & { awaitOperations?: boolean }): string {
  const yaml = demoPlaybookBundle(controlUrl, opts);
  if (!opts.awaitOperations) return yaml;
  return yaml
    .replace(/(\/services\/\{\{anomaly\.service\}\}\/(?:rollback|scale|restart))"/g, '$1?wait=true"')
    .replace(/timeoutSeconds: 60\b/g, 'timeoutSeconds: 120');
}

/** Applies {@link runPlaybookBundle} through the API's bundle apply; throws with the API's message on refusal. */
export async function applyRunPlaybooks(api: string, controlUrl: string, opts: BundleOptions & { awaitOperations?: boolean }): Promise<void> {
  const res = await fetch(`${api}/api/v1/playbooks/apply`, {
    method: 'POST',
    headers: { 'content-type': 'application/yaml' },
    body: runPlaybookBundle(controlUrl, opts),
  });
  if (!res.ok) throw new Error(`applying the demo playbooks failed (${res.status}): ${(await res.text()).slice(0, 500)}`);
}
