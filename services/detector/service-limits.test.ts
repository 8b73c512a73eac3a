import { describe, expect, it } from 'vitest';
import { describeError } from '../core/errors.ts';
import { encodeResource } from '../otlp/index.ts';
import { CallGraph } from './call-graph.ts';
import { DistinctCounter } from './distinct-counter.ts';
import { type IngestCounts, ingestSpans } from './ingest.ts';
import {
  cleanAttributeValue,
  cleanServiceName,
  MAX_ATTRIBUTE_VALUE_LENGTH,
  MAX_SERVICE_NAME_LENGTH,
  pickAttributes,
  ServiceTracker,
} from './service-limits.ts';
import { ServiceWindows } from './service-windows.ts';

const NOW = Date.UTC(2026, 0, 5, 12);
const KEYS = ['deployment.environment', 'service.version'];

function spans(service: string, extra: Record<string, string> = {}): Uint8Array {
  const attributes = [
    { key: 'service.name', value: { stringValue: service } },
    ...Object.entries(extra).map(([key, v]) => ({ key, value: { stringValue: v } })),
  ];
  const t = String(BigInt(NOW) * 1_000_000n);
  return encodeResource('traces', {
    resource: { attributes },
    scopeSpans: [
      { scope: { name: 't' }, spans: [{ traceId: '01'.repeat(16), spanId: '02'.repeat(8), kind: 2, startTimeUnixNano: t, endTimeUnixNano: t, name: 'x' }] },
    ],
  });
}

describe('service names and attribute values', () => {
  it('refuses names that are empty, too long or hold control characters, and keeps the rest as they are', () => {
    expect(cleanServiceName('checkout')).toBe('checkout');
    expect(cleanServiceName('ünïcode-サービス')).toBe('ünïcode-サービス');
    expect(cleanServiceName('x'.repeat(MAX_SERVICE_NAME_LENGTH))).toBe('x'.repeat(MAX_SERVICE_NAME_LENGTH));
    expect(cleanServiceName('x'.repeat(MAX_SERVICE_NAME_LENGTH + 1))).toBeUndefined();
    expect(cleanServiceName('')).toBeUndefined();
    for (const c of ['\n', '\u0000', '\u001b', '\u007f', '\u0085']) expect(cleanServiceName(`a${c}b`)).toBeUndefined();
  });

  it('replaces control characters in values, cuts long ones, stringifies scalars and drops the rest', () => {
    expect(cleanAttributeValue('prod\n\u001b[31m')).toBe('prod\ufffd\ufffd[31m');
    expect(cleanAttributeValue('v'.repeat(10_000))).toHaveLength(MAX_ATTRIBUTE_VALUE_LENGTH);
    expect(cleanAttributeValue(3)).toBe('3');
    expect(cleanAttributeValue(true)).toBe('true');
    expect(cleanAttributeValue(['a'])).toBeUndefined();
    expect(cleanAttributeValue(Number.NaN)).toBeUndefined();
    expect(pickAttributes({ 'deployment.environment': 'prod', 'host.name': 'h1', 'service.version': 7 }, KEYS)).toEqual({
      'deployment.environment': 'prod',
      'service.version': '7',
    });
  });
});

describe('ServiceTracker', () => {
  it('tracks services up to the cap, refuses and counts the others, and admits again after eviction', () => {
    let wall = NOW;
    const t = new ServiceTracker({ maxServices: 3, idleEvictMs: 60_000, attributeKeys: KEYS, now: () => wall });
    for (const s of ['a', 'b', 'c']) expect(t.admit(s, {})).toEqual({ service: s });
    expect(t.admit('d', {})).toEqual({ refused: 'service_cap' });
    expect(t.admit('d', {})).toEqual({ refused: 'service_cap' });
    expect(t.admit('a', {})).toEqual({ service: 'a' }); // tracked ones keep coming in
    expect(t.admit('bad\nname', {})).toEqual({ refused: 'bad_service_name' });
    expect(t.stats()).toMatchObject({ tracked: 3, maxServices: 3, refusedRecords: 2, refusedServices: 1, badNameRecords: 1, evicted: 0 });
    wall += 30_000;
    t.admit('a', {});
    wall += 40_000; // b and c idle 70 s, a 40 s
    expect(t.evictIdle((s) => s === 'c').sort()).toEqual(['b']); // c is held (an open window or episode)
    expect(t.admit('d', {})).toEqual({ service: 'd' });
    expect(t.stats()).toMatchObject({ tracked: 3, evicted: 1 });
  });

  it('keeps the allow-listed attributes of the latest record, and restores checkpointed ones', () => {
    const t = new ServiceTracker({ maxServices: 10, idleEvictMs: 1000, attributeKeys: KEYS });
    t.admit('a', { 'deployment.environment': 'staging', 'host.name': 'h' });
    expect(t.attributesOf('a')).toEqual({ 'deployment.environment': 'staging' });
    t.admit('a', { 'deployment.environment': 'prod', 'service.version': '1.2' });
    expect(t.attributesOf('a')).toEqual({ 'deployment.environment': 'prod', 'service.version': '1.2' });
    expect(t.attributesOf('unknown')).toEqual({});
    t.restore('b', { 'deployment.environment': 'prod', other: 'x' });
    expect(t.attributesOf('b')).toEqual({ 'deployment.environment': 'prod' });
  });
});

describe('DistinctCounter', () => {
  it('estimates distinct counts within a few per cent from 4 KB, ignoring repeats', () => {
    const c = new DistinctCounter();
    expect(c.estimate()).toBe(0);
    for (let i = 0; i < 100; i++) c.add(`svc-${i % 10}`);
    expect(c.estimate()).toBe(10);
    for (let i = 0; i < 100_000; i++) c.add(`random-${i}-${(i * 2654435761) % 1000}`);
    expect(Math.abs(c.estimate() - 100_010) / 100_010).toBeLessThan(0.05);
  });
});

describe('ingest through a tracker', () => {
  it('drops and counts the records of refused services before they reach any window', () => {
    const windows = new ServiceWindows(10_000, 0, () => NOW);
    const graph = new CallGraph();
    const counts: IngestCounts = new Map();
    const t = new ServiceTracker({ maxServices: 2, idleEvictMs: 60_000, attributeKeys: KEYS, now: () => NOW });
    const admit = t.admit.bind(t);
    expect(ingestSpans(spans('a', { 'deployment.environment': 'prod' }), windows, counts, graph, admit)).toBe('a');
    expect(ingestSpans(spans('b'), windows, counts, graph, admit)).toBe('b');
    expect(ingestSpans(spans('c'), windows, counts, graph, admit)).toBeUndefined();
    expect(ingestSpans(spans(`x${'\u0007'}`), windows, counts, graph, admit)).toBeUndefined();
    expect(ingestSpans(spans('y'.repeat(300)), windows, counts, graph, admit)).toBeUndefined();
    expect(Object.fromEntries(counts)).toEqual({ service_cap: 1, bad_service_name: 2 });
    expect(windows.size()).toBe(2);
    expect(t.attributesOf('a')).toEqual({ 'deployment.environment': 'prod' });
  });
});

describe('describeError', () => {
  it('never turns a huge message (a failed multi-row statement) into a huge line', () => {
    const huge = new Error(`Failed query: insert into "rollups" values ${'($1, $2, $3, $4), '.repeat(50_000)}`, {
      cause: new Error('bind message supplies too many parameters'),
    });
    const line = describeError(huge);
    expect(line.length).toBeLessThan(1000);
    expect(line).toContain('Failed query: insert into "rollups"');
    expect(line).toContain('bind message supplies too many parameters');
  });
});
