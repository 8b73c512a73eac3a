/**
 * GET /api/v1/events over a real socket: changes written to the store (by
 * any process) arrive as server-sent events; the token may come as ?token=.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidents } from '../../../services/store/index.ts';
import { eventually, type ReportsHarness, SETUPS, startHarness } from './harness.ts';
import { writeHistory } from './history.ts';

const TOKENS = 'viewer:ev-view-token-1';

/** Opens the stream and collects its text until `stop()`. */
async function openStream(url: string, headers: Record<string, string> = {}) {
  const ctl = new AbortController();
  const res = await fetch(url, { headers, signal: ctl.signal });
  let text = '';
  const reading = (async () => {
    if (!res.body) return;
    const dec = new TextDecoder();
    try {
      for await (const chunk of res.body) text += dec.decode(chunk as Uint8Array, { stream: true });
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  })();
  return {
    res,
    text: () => text,
    async stop() {
      ctl.abort();
      await reading;
    },
  };
}

describe.each(SETUPS)('events on $name', (setup) => {
  let h: ReportsHarness;
  let base: string;

  beforeAll(async () => {
    h = await startHarness(setup, { ZEROOPS_API_TOKENS: TOKENS });
    await writeHistory(h.store.db);
    base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  }, 180_000);
  afterAll(async () => h?.close());

  it('streams incident and execution changes, with the token in the query', async () => {
    const s = await openStream(`${base}/api/v1/events?token=ev-view-token-1`);
    expect(s.res.status).toBe(200);
    expect(s.res.headers.get('content-type')).toBe('text/event-stream');
    await eventually(() => s.text().includes(': connected'));
    // Another process closes incident i4 and approves an execution.
    await h.store.db.update(incidents).set({ state: 'closed', closedAt: new Date(), resolvedBy: 'self', updatedAt: new Date() }).where(eq(incidents.id, 'i4'));
    await eventually(() => s.text().includes('event: incident'));
    const data = s.text().match(/event: incident\ndata: (.+)\n\n/)?.[1] as string;
    expect(JSON.parse(data)).toMatchObject({ id: 'i4', state: 'closed', resolvedBy: 'self' });
    const { executions } = await import('../../../services/store/index.ts');
    await h.store.db.update(executions).set({ status: 'running', outcome: null, updatedAt: new Date() }).where(eq(executions.id, 'e5'));
    await eventually(() => s.text().includes('event: execution'));
    const exe = s.text().match(/event: execution\ndata: (.+)\n\n/)?.[1] as string;
    expect(JSON.parse(exe)).toEqual({ id: 'e5', status: 'running', outcome: null, playbookName: 'rollback', service: 'cart' });
    // Each change once.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(s.text().match(/event: incident/g)).toHaveLength(1);
    await s.stop();
  }, 60_000);

  it('refuses a stream without a token, and takes the query token on this route only', async () => {
    expect((await fetch(`${base}/api/v1/events`)).status).toBe(401);
    expect((await fetch(`${base}/api/v1/events?token=wrong`)).status).toBe(401);
    expect((await fetch(`${base}/api/v1/services?token=ev-view-token-1`)).status).toBe(401);
  });
});
