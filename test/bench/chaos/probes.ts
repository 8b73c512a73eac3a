import { encodeExportRequest } from '../../../services/otlp/index.ts';
import { traceRequest } from '../../fixtures/otlp/generate.ts';
import type { Member } from './fleet.ts';

/** One probe result: which check, when, whether it passed, and what a client saw when it did not. */
export interface ProbeResult {
  atMs: number;
  check: string;
  ok: boolean;
  seen?: string;
}

/** A status or error a client may retry (OTLP: 429, 502, 503, 504, and connection failures). */
export function retryable(seen: string): boolean {
  // The exporter's own failures ("retryable status", "timed out") come after it retried such answers itself.
  return /^(429|502|503|504)\b/.test(seen) || /ECONNREFUSED|ECONNRESET|fetch failed|socket|timeout|timed out|aborted|retryable status/i.test(seen);
}

let seq = 0;

/** Sends one 5-span protobuf request to a collector; returns the span ids when acknowledged. */
async function probeCollector(m: Member, acked: Map<string, number>): Promise<ProbeResult> {
  const req = traceRequest({ itemsPerResource: 5, attributesPerItem: 2, seed: 900_000 + seq++, servicePrefix: 'chaos-probe' });
  const atMs = Date.now();
  try {
    const res = await fetch(`${m.otlpHttp}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: encodeExportRequest('traces', req),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await res.text();
    if (res.status !== 200) return { atMs, check: m.name, ok: false, seen: `${res.status} ${text.slice(0, 80)}` };
    for (const rs of req.resourceSpans as { scopeSpans: { spans: { spanId: string }[] }[] }[])
      for (const s of rs.scopeSpans[0]?.spans ?? []) acked.set(s.spanId, Date.now());
    return { atMs, check: m.name, ok: true };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { atMs, check: m.name, ok: false, seen: `${e.cause?.code ?? e.name}: ${e.message}` };
  }
}

async function probeApi(m: Member): Promise<ProbeResult> {
  const atMs = Date.now();
  try {
    const res = await fetch(`${m.api}/readyz`, { signal: AbortSignal.timeout(5_000) });
    await res.text();
    return { atMs, check: m.name, ok: res.status === 200, ...(res.status === 200 ? {} : { seen: String(res.status) }) };
  } catch (err) {
    return { atMs, check: m.name, ok: false, seen: (err as Error).message };
  }
}

/** Probes every collector and API once a second until stopped; results accumulate in `results`. */
export function startProbes(members: Member[], acked: Map<string, number>): { results: ProbeResult[]; stop(): Promise<void> } {
  const results: ProbeResult[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = Date.now();
      const rounds = members.map((m) => (m.command === 'collector' ? probeCollector(m, acked) : m.command === 'api' ? probeApi(m) : undefined));
      for (const r of await Promise.all(rounds.filter((p) => p !== undefined))) results.push(r);
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - t0))));
    }
  })();
  return {
    results,
    async stop() {
      running = false;
      await loop;
    },
  };
}
