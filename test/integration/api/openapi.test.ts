/**
 * The OpenAPI document names its schemas (Anomaly, IncidentPage, ApiError,
 * ...; no generated def-N names), and every documented operation declares
 * its success answer and the error shape; every list answers a page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../helpers/api-app.ts';

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}

describe('the OpenAPI document', () => {
  let t: TestApp;
  let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

  beforeAll(async () => {
    t = await buildTestApp();
    doc = (await t.app.inject('/api/v1/openapi.json')).json();
  });
  afterAll(async () => t?.close());

  it('names its schemas by $id', () => {
    const names = Object.keys(doc.components.schemas);
    for (const n of ['ApiError', 'Anomaly', 'AnomalyPage', 'Incident', 'IncidentPage', 'Execution', 'ExecutionDetail', 'ExecutionPage'])
      expect(names).toContain(n);
    for (const n of ['Playbook', 'PlaybookSpec', 'PlaybookPage', 'Token', 'TokenPage', 'AuditEntry', 'AuditPage', 'DryRunResult']) expect(names).toContain(n);
    expect(names.filter((n) => /^def-\d+$/.test(n))).toEqual([]);
  });

  it('gives every operation a success answer and the error shape', () => {
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => ({ at: `${m} ${path}`, op })));
    expect(ops.length).toBeGreaterThan(20);
    for (const { at, op } of ops) {
      const codes = Object.keys(op.responses ?? {});
      expect(
        codes.some((c) => /^2/.test(c)),
        `${at} declares a 2xx answer`,
      ).toBe(true);
      if (at.includes('/services')) continue; // owned by the reports routes
      const err = op.responses?.['4XX']?.content?.['application/json']?.schema?.$ref;
      expect(err, `${at} declares the error shape`).toMatch(/ApiError$/);
    }
  });

  it('answers every list as a page with a cursor', () => {
    for (const list of ['anomalies', 'incidents', 'executions', 'changes', 'playbooks', 'tokens', 'audit']) {
      const ok = doc.paths[`/api/v1/${list}`]?.get?.responses?.['200']?.content?.['application/json']?.schema?.$ref;
      expect(ok, list).toMatch(/Page$/);
    }
  });
});
