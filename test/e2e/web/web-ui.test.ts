/**
 * The web UI in Chromium against a real `zeroops start` fed through OTLP by
 * the OpenTelemetry SDK's exporter: an incident appears live in the list; its
 * report draws the deviating feature's chart, the root-cause candidates and
 * the execution waiting for approval; a viewer sees no approve button and the
 * API refuses it (403); an operator approves it and a real HTTP target
 * receives the playbook's call; labelling the incident false positive shows
 * the label after a reload, in the incident's list row and under the label
 * filter; the playbook editor validates and dry-runs against the incident; on
 * the Executions page an operator rejects one waiting execution and cancels
 * another, and both show cancelled after a reload (a viewer sees neither
 * button and the API refuses it).
 * Screenshots go to test-results/web/.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot, signIn } from '../../helpers/browser.ts';
import { eventually, type HttpTarget, startHttpTarget } from '../../helpers/http-target.ts';
import { sendServerWindows } from '../../helpers/otlp-traffic.ts';
import { ensureWebBuild } from '../../helpers/web-build.ts';
import { startZeroopsOnFreePorts, type ZeroopsProcess } from '../../helpers/zeroops-process.ts';

const WINDOW_MS = 1000;
const TOKENS = { admin: 'web-admin-token-0123456789', operator: 'web-operator-token-0123456789', viewer: 'web-viewer-token-0123456789' };

describe('web UI in Chromium against zeroops start', () => {
  let zeroops: ZeroopsProcess;
  let browser: Browser;
  let target: HttpTarget;
  let api: string;
  let otlp: string;
  let incidentId: string;

  const call = (path: string, token: string, init: RequestInit = {}) =>
    fetch(`${api}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });

  beforeAll(async () => {
    browser = await launchChromium();
    ensureWebBuild();
    target = await startHttpTarget();
    ({ zeroops, api, otlp } = await startZeroopsOnFreePorts('web', WINDOW_MS, {
      ZEROOPS_API_TOKENS: `admin:${TOKENS.admin},operator:${TOKENS.operator},viewer:${TOKENS.viewer}`,
    }));
    const playbook = {
      name: 'restart-checkout',
      mode: 'suggest',
      match: { service: 'checkout', kinds: ['errors'] },
      guardrails: { cooldownSeconds: 0, maxConcurrent: 5 },
      steps: [{ id: 'restart', type: 'http', http: { method: 'POST', url: `${target.url}/restart/{{anomaly.service}}` } }],
    };
    const created = await call('/api/v1/playbooks', TOKENS.admin, { method: 'POST', body: JSON.stringify(playbook) });
    expect(created.status, await created.clone().text()).toBe(201);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    zeroops?.child.kill('SIGTERM');
    await zeroops?.exited;
    await target?.close();
  });

  async function operatorPage(): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1300, height: 900 } })).newPage();
    await signIn(page, api, TOKENS.operator);
    return page;
  }

  it('shows a new incident live in the list (server-sent events, no reload)', async () => {
    const page = await operatorPage();
    const streams: number[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/api/v1/events') streams.push(r.status());
    });
    await page.goto(`${api}/incidents`);
    await page.waitForSelector('table.incidents, p.empty');
    expect(await page.locator('tr[data-incident]').count()).toBe(0);
    const exporter = new OTLPTraceExporter({ url: `${otlp}/v1/traces` });
    const first = Math.floor((Date.now() - 90_000) / WINDOW_MS) * WINDOW_MS;
    const send = (windows: number, offset: number, errorShare: number) =>
      sendServerWindows(exporter, { service: 'checkout', firstWindowMs: first + offset * WINDOW_MS, windowMs: WINDOW_MS, windows, perWindow: 30, errorShare });
    await send(50, 0, 0);
    await send(4, 50, 0.7);
    const row = page.locator('tr[data-incident]').first();
    await row.waitFor({ timeout: 45_000 });
    expect(await row.textContent()).toContain('checkout');
    incidentId = (await row.getAttribute('data-incident')) ?? '';
    expect(incidentId).not.toBe('');
    await screenshot(page, 'incidents');
    // Live through the event stream (the UI polls only when the stream is refused).
    expect(streams).toContain(200);
    await page.context().close();
  }, 120_000);

  it('draws the report: feature chart with data points, root causes, the execution waiting for approval', async () => {
    expect(incidentId).not.toBe('');
    const page = await operatorPage();
    await page.goto(`${api}/incidents/${encodeURIComponent(incidentId)}`);
    const chart = page.locator('figure.chart[data-feature="error_ratio"]');
    await chart.waitFor({ timeout: 30_000 });
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(5);
    // The canvas really holds a drawing: some pixels differ from the background.
    const drawn = await chart.locator('canvas').evaluate((el) => {
      // The test's tsconfig has no DOM types: the canvas as far as this check uses it.
      const c = el as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(...a: number[]): { data: Uint8ClampedArray } } | null };
      const px = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
      let n = 0;
      for (let i = 3; i < px.length; i += 4) if ((px[i] ?? 0) > 0) n++;
      return n;
    });
    expect(drawn).toBeGreaterThan(500);
    expect(await page.locator('ol.root-causes li').count()).toBeGreaterThan(0);
    expect(await page.locator('ol.root-causes').textContent()).toContain('checkout');
    const execution = page.locator('article.execution[data-status="awaiting_approval"]');
    await execution.waitFor({ timeout: 30_000 });
    expect(await execution.textContent()).toContain('restart-checkout');
    await expect.poll(() => execution.locator('button.approve').count()).toBe(1);
    await screenshot(page, 'report-waiting');
    await page.context().close();
  }, 90_000);

  it('a viewer sees no approve or label buttons, and the API refuses the viewer (403)', async () => {
    const page = await (await browser.newContext()).newPage();
    await signIn(page, api, TOKENS.viewer);
    await page.goto(`${api}/incidents/${encodeURIComponent(incidentId)}`);
    const execution = page.locator('article.execution');
    await execution.first().waitFor({ timeout: 30_000 });
    expect(await page.locator('nav.top .role').textContent()).toBe('viewer');
    expect(await execution.first().getAttribute('data-status')).toBe('awaiting_approval');
    expect(await page.locator('button.approve').count()).toBe(0);
    expect(await page.locator('button.label-fp').count()).toBe(0);
    const id = await execution.first().getAttribute('data-execution');
    const refused = await call(`/api/v1/executions/${id}/approve`, TOKENS.viewer, { method: 'POST', body: '{}' });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('ZEROOPS_FORBIDDEN');
    expect(target.requests.filter((r) => r.url === '/restart/checkout')).toHaveLength(0);
    await screenshot(page, 'report-viewer');
    await page.context().close();
  }, 60_000);

  it('approving the waiting execution runs it: the HTTP target receives the call and the UI shows it succeeded', async () => {
    const page = await operatorPage();
    await page.goto(`${api}/incidents/${encodeURIComponent(incidentId)}`);
    await page.locator('button.approve').click();
    await target.waitFor((r) => r.method === 'POST' && r.url === '/restart/checkout', 1, 30_000);
    await page.locator('article.execution[data-status="succeeded"]').waitFor({ timeout: 30_000 });
    const text = await page.locator('article.execution').first().textContent();
    expect(text).toMatch(/outcome/);
    expect(await page.locator('article.execution .step.status-succeeded').count()).toBe(1);
    await page.context().close();
  }, 90_000);

  it('labelling the incident false positive shows the label, also after a reload', async () => {
    const page = await operatorPage();
    await page.goto(`${api}/incidents/${encodeURIComponent(incidentId)}`);
    await page.fill('#label-note', 'load test, not a fault');
    await page.locator('button.label-fp').click();
    await page.locator('li.label-false_positive').waitFor({ timeout: 10_000 });
    await page.reload();
    const label = page.locator('li.label-false_positive');
    await label.waitFor({ timeout: 15_000 });
    expect(await label.textContent()).toContain('load test, not a fault');
    await eventually(
      'the label in the API',
      async () => {
        const r = (await (await call(`/api/v1/incidents/${encodeURIComponent(incidentId)}`, TOKENS.viewer)).json()) as { labels?: { label: string }[] };
        return r.labels?.some((l) => l.label === 'false_positive');
      },
      5_000,
    );
    await page.locator('figure.chart canvas').first().waitFor();
    await screenshot(page, 'report');
    // The incident list shows the label in the incident's row, and filters by it.
    await page.goto(`${api}/incidents?label=false_positive`);
    const badge = page.locator(`tr[data-incident="${incidentId}"] [data-label="false_positive"]`);
    await badge.waitFor({ timeout: 15_000 });
    expect(await badge.textContent()).toBe('false positive');
    await screenshot(page, 'incidents-labelled');
    await page.goto(`${api}/incidents?label=none`);
    await page.locator('table.incidents, p.empty').first().waitFor({ timeout: 15_000 });
    expect(await page.locator(`tr[data-incident="${incidentId}"]`).count()).toBe(0);
    await page.context().close();
  }, 60_000);

  it('playbooks: the list shows the mode, the YAML editor validates and reports problems with their path', async () => {
    const page = await operatorPage();
    await page.goto(`${api}/playbooks`);
    const row = page.locator('tr[data-playbook="restart-checkout"]');
    await row.waitFor({ timeout: 15_000 });
    expect(await row.textContent()).toContain('suggest');
    await row.locator('a').click();
    const editor = page.locator('textarea.yaml');
    await expect.poll(() => editor.inputValue(), { timeout: 15_000 }).toContain('restart-checkout');
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.locator('.editor .ok').waitFor({ timeout: 10_000 });
    await editor.fill(`${await editor.inputValue()}\nmode: sometimes\n`.replace(/^mode: suggest\n/m, ''));
    await page.getByRole('button', { name: 'Validate' }).click();
    const problem = page.locator('.editor .error');
    await problem.waitFor({ timeout: 10_000 });
    expect(await problem.textContent()).toMatch(/mode/);
    // Dry run of the saved version against the past incident: it matches and renders the step's call.
    await page.locator('.dry-run select').selectOption(incidentId);
    await page.getByRole('button', { name: 'Dry run' }).click();
    const result = page.locator('pre.dry-run-result');
    await result.waitFor({ timeout: 15_000 });
    const dry = JSON.parse((await result.textContent()) ?? '{}') as { playbook?: { name: string }; matched?: boolean };
    expect(dry.playbook?.name).toBe('restart-checkout');
    expect(dry.matched).toBe(true);
    expect(await result.textContent()).toContain('/restart/checkout');
    await screenshot(page, 'playbook');
    await page.context().close();
  }, 60_000);

  it('executions page: an operator rejects one waiting execution and cancels another; both show after a reload; a viewer sees neither button', async () => {
    // Two more services fail, each matching its own suggest-mode playbook: two executions wait for approval.
    const services = ['cart', 'payments'];
    for (const service of services) {
      const playbook = {
        name: `restart-${service}`,
        mode: 'suggest',
        match: { service, kinds: ['errors'] },
        guardrails: { cooldownSeconds: 0, maxConcurrent: 5 },
        steps: [{ id: 'restart', type: 'http', http: { method: 'POST', url: `${target.url}/restart/{{anomaly.service}}` } }],
      };
      const created = await call('/api/v1/playbooks', TOKENS.admin, { method: 'POST', body: JSON.stringify(playbook) });
      expect(created.status, await created.clone().text()).toBe(201);
    }
    const exporter = new OTLPTraceExporter({ url: `${otlp}/v1/traces` });
    const first = Math.floor((Date.now() - 90_000) / WINDOW_MS) * WINDOW_MS;
    for (const service of services) {
      await sendServerWindows(exporter, { service, firstWindowMs: first, windowMs: WINDOW_MS, windows: 50, perWindow: 30, errorShare: 0 });
      await sendServerWindows(exporter, { service, firstWindowMs: first + 50 * WINDOW_MS, windowMs: WINDOW_MS, windows: 4, perWindow: 30, errorShare: 0.7 });
    }
    type Row = { id: string; service: string; status: string; outcome: string | null; reason: string };
    const waiting = await eventually(
      'an execution waiting for approval for cart and for payments',
      async () => {
        const page = (await (await call('/api/v1/executions?status=awaiting_approval', TOKENS.viewer)).json()) as { items: Row[] };
        const byService = services.map((s) => page.items.find((e) => e.service === s));
        return byService.every(Boolean) ? (byService as Row[]) : undefined;
      },
      60_000,
    );
    const [toReject, toCancel] = waiting as [Row, Row];
    const rowOf = (page: Page, id: string) => page.locator(`tr[data-execution="${id}"]`);

    // A viewer sees both waiting executions but no approve, reject or cancel button; the API refuses it.
    const viewer = await (await browser.newContext({ viewport: { width: 1300, height: 900 } })).newPage();
    await signIn(viewer, api, TOKENS.viewer);
    await viewer.goto(`${api}/executions?status=awaiting_approval`);
    for (const e of waiting) await rowOf(viewer, e.id).waitFor({ timeout: 15_000 });
    expect(await rowOf(viewer, toReject.id).locator('.badge.status-awaiting_approval').count()).toBe(1);
    expect(await viewer.locator('table.executions button.reject').count()).toBe(0);
    expect(await viewer.locator('table.executions button.cancel').count()).toBe(0);
    expect(await viewer.locator('table.executions button.approve').count()).toBe(0);
    await viewer.goto(`${api}/executions/${encodeURIComponent(toCancel.id)}`);
    await viewer.locator('section.execution[data-status="awaiting_approval"]').waitFor({ timeout: 15_000 });
    expect(await viewer.locator('section.execution button').count()).toBe(0);
    for (const action of ['reject', 'cancel']) {
      const refused = await call(`/api/v1/executions/${toReject.id}/${action}`, TOKENS.viewer, { method: 'POST', body: '{}' });
      expect(refused.status).toBe(403);
    }
    await screenshot(viewer, 'executions-viewer');
    await viewer.context().close();

    // The operator rejects one and cancels the other from the list.
    const page = await operatorPage();
    await page.goto(`${api}/executions`);
    for (const e of waiting) await rowOf(page, e.id).locator('button.reject').waitFor({ timeout: 15_000 });
    await rowOf(page, toReject.id).locator('button.reject').click();
    await rowOf(page, toReject.id).locator('.badge.status-cancelled').waitFor({ timeout: 15_000 });
    await rowOf(page, toCancel.id).locator('button.cancel').click();
    await rowOf(page, toCancel.id).locator('.badge.status-cancelled').waitFor({ timeout: 15_000 });

    // After a reload both rows show the result and offer no action any more.
    await page.reload();
    for (const e of waiting) {
      const row = rowOf(page, e.id);
      await row.waitFor({ timeout: 15_000 });
      expect(await row.locator('.badge.status-cancelled').textContent()).toBe('cancelled');
      expect(await row.locator('.badge.outcome-skipped').textContent()).toBe('skipped');
      expect(await row.locator('button').count()).toBe(0);
      // The playbook by its name, not its id.
      expect(await row.textContent()).toContain(`restart-${e.service} v1`);
    }
    await screenshot(page, 'executions');
    // Each execution's page says which it was: the reason and the audit trail.
    const expectations: [Row, RegExp, string][] = [
      [toReject, /rejected by token:env:operator:/, 'execution.reject'],
      [toCancel, /cancelled by token:env:operator:/, 'execution.cancel'],
    ];
    for (const [e, reason, audit] of expectations) {
      await page.goto(`${api}/executions/${encodeURIComponent(e.id)}`);
      const section = page.locator('section.execution[data-status="cancelled"]');
      await section.waitFor({ timeout: 15_000 });
      expect(await section.textContent()).toMatch(reason);
      await expect.poll(() => section.locator('h1').textContent(), { timeout: 10_000 }).toContain(`restart-${e.service}`);
      expect(await section.locator('ul.audit').textContent()).toContain(audit);
      const api_ = (await (await call(`/api/v1/executions/${e.id}`, TOKENS.viewer)).json()) as Row;
      expect(api_).toMatchObject({ status: 'cancelled', outcome: 'skipped' });
      expect(api_.reason).toMatch(reason);
    }
    // Neither playbook's call was made.
    expect(target.requests.filter((r) => r.url === '/restart/cart' || r.url === '/restart/payments')).toHaveLength(0);
    await page.context().close();
  }, 150_000);
});
