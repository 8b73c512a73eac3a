/**
 * HTTP load generation for the ingest benchmark: keep-alive node:http
 * requests, closed loop (fixed concurrency, as fast as answered) or open
 * loop (fixed rate; latency counted from the scheduled send time, so a
 * backlog shows up in the figures).
 */
import { Agent, request } from 'node:http';

/** What one load phase measured. */
export interface LoadResult {
  ok: number;
  errors: number;
  okPerSecond: number;
  /** Request latency percentiles, in ms. */
  p50: number;
  p99: number;
  /** Status codes other than 200, counted. */
  statuses: Record<string, number>;
  /** Open loop only: how late the loader sent requests after their scheduled time, p99 in ms (a starved loader shows here). */
  sendLagP99?: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function post(url: string, contentType: string, body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': String(body.length) } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

function summarize(latencies: number[], ok: number, errors: number, statuses: Record<string, number>, elapsedS: number): LoadResult {
  latencies.sort((a, b) => a - b);
  return { ok, errors, okPerSecond: ok / elapsedS, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), statuses };
}

class Tally {
  ok = 0;
  errors = 0;
  latencies: number[] = [];
  statuses: Record<string, number> = {};

  async one(url: string, ct: string, body: Uint8Array, startedAt: number): Promise<void> {
    try {
      const status = await post(url, ct, body);
      if (status === 200) {
        this.ok++;
        this.latencies.push(performance.now() - startedAt);
      } else {
        this.errors++;
        this.statuses[status] = (this.statuses[status] ?? 0) + 1;
      }
    } catch (err) {
      this.errors++;
      const k = (err as NodeJS.ErrnoException).code ?? 'error';
      this.statuses[k] = (this.statuses[k] ?? 0) + 1;
    }
  }
}

/** `concurrency` workers each send the next request as soon as the previous is answered, for `seconds`. */
export async function closedLoop(url: string, ct: string, bodies: Uint8Array[], concurrency: number, seconds: number): Promise<LoadResult> {
  const t = new Tally();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let n = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const body = bodies[n++ % bodies.length] as Uint8Array;
      await t.one(url, ct, body, performance.now());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return summarize(t.latencies, t.ok, t.errors, t.statuses, (performance.now() - t0) / 1000);
}

/** Sends `rate` requests per second for `seconds`, whatever the answers' pace. */
export async function openLoop(url: string, ct: string, bodies: Uint8Array[], rate: number, seconds: number): Promise<LoadResult> {
  const t = new Tally();
  const t0 = performance.now();
  const total = Math.max(1, Math.floor(rate * seconds));
  const pending: Array<Promise<void>> = [];
  const lags: number[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    lags.push(performance.now() - due);
    pending.push(t.one(url, ct, bodies[i % bodies.length] as Uint8Array, due));
  }
  await Promise.all(pending);
  const result = summarize(t.latencies, t.ok, t.errors, t.statuses, (performance.now() - t0) / 1000);
  lags.sort((a, b) => a - b);
  return { ...result, sendLagP99: percentile(lags, 0.99) };
}
