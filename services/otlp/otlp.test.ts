import protobuf from 'protobufjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { logsRequest, metricsRequest, traceRequest } from '../../test/fixtures/otlp/generate.ts';
import {
  decodeExportRequest,
  decodeResource,
  decodeResourceLogs,
  decodeResourceMetrics,
  decodeResourceSpans,
  encodeExportRequest,
  encodeExportResponse,
  ProtoError,
  splitExportRequest,
} from './index.ts';
import { Writer } from './writer.ts';

// protobufjs, loading our .proto files, is the independent reference for the hand-written code.
let root: protobuf.Root;
beforeAll(async () => {
  root = new protobuf.Root();
  root.resolvePath = (_origin, target) => `proto/${target}`;
  await root.load([
    'opentelemetry/proto/collector/trace/v1/trace_service.proto',
    'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
    'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  ]);
});

const T = (name: string): protobuf.Type => root.lookupType(name);
const toObj = (t: protobuf.Type, b: Uint8Array) => t.toObject(t.decode(b), { longs: String, bytes: String, defaults: false });

/** The value at `path` (keys and indexes) inside a fixture request; throws where the path leads nowhere. */
function pick(o: unknown, ...path: (string | number)[]): unknown {
  let at = o;
  for (const k of path) {
    if (at === null || typeof at !== 'object' || !(k in at)) throw new Error(`no ${path.join('.')} in the fixture`);
    at = (at as Record<string | number, unknown>)[k];
  }
  return at;
}

/** The fields of a fixture span these tests read or change. */
interface FixtureSpan {
  traceId: string;
  spanId?: string;
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: { intValue?: number | string } }[];
}
const spanOf = (req: unknown, resource: number, index: number) => pick(req, 'resourceSpans', resource, 'scopeSpans', 0, 'spans', index) as FixtureSpan;

describe('encoder matches protobufjs', () => {
  it('traces: ids, times, attributes, status survive', () => {
    const req = traceRequest({ resources: 2, itemsPerResource: 5 });
    const ref = toObj(T('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'), encodeExportRequest('traces', req));
    const span = spanOf(req, 1, 3);
    const got = ref.resourceSpans[1].scopeSpans[0].spans[3];
    expect(Buffer.from(got.traceId, 'base64').toString('hex')).toBe(span.traceId);
    expect(Buffer.from(got.spanId, 'base64').toString('hex')).toBe(span.spanId);
    expect(got.startTimeUnixNano).toBe(span.startTimeUnixNano);
    expect(got.endTimeUnixNano).toBe(span.endTimeUnixNano);
    expect(got.name).toBe(span.name);
    expect(got.kind).toBe(2);
    expect(got.attributes).toHaveLength(8);
    expect(got.attributes[2]).toEqual({ key: span.attributes[2]?.key, value: { intValue: span.attributes[2]?.value.intValue } });
  });

  it('metrics: histogram buckets, sums and gauges', () => {
    const req = metricsRequest({ itemsPerResource: 6 });
    const ref = toObj(T('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'), encodeExportRequest('metrics', req));
    const [gauge, sum, hist] = ref.resourceMetrics[0].scopeMetrics[0].metrics;
    expect(gauge.gauge.dataPoints).toHaveLength(2);
    expect(sum.sum).toMatchObject({ aggregationTemporality: 2, isMonotonic: true });
    expect(hist.histogram.dataPoints[0]).toMatchObject({ count: '6', sum: 12.5, bucketCounts: ['1', '2', '3'], explicitBounds: [1, 5] });
  });

  it('round-trips through the JSON decoder', () => {
    const req = logsRequest({ resources: 2, itemsPerResource: 3 });
    const bytes = encodeExportRequest('logs', req);
    expect(decodeExportRequest('logs', bytes)).toEqual(JSON.parse(JSON.stringify(req, (k, v) => (k === 'parentSpanId' && v === '' ? undefined : v))));
  });
});

describe('splitExportRequest', () => {
  it('slices each resource exactly as protobufjs encodes it, with service names and counts', () => {
    const Req = T('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
    const RS = T('opentelemetry.proto.trace.v1.ResourceSpans');
    const req = traceRequest({ resources: 3, itemsPerResource: 4 });
    const msg = Req.fromObject(
      JSON.parse(
        JSON.stringify(req).replace(/"(traceId|spanId|parentSpanId)":"([0-9a-f]*)"/g, (_m, k, h) => `"${k}":"${Buffer.from(h, 'hex').toString('base64')}"`),
      ),
    );
    const bytes = Req.encode(msg).finish();
    const split = splitExportRequest('traces', bytes);
    expect(split.items).toBe(12);
    expect(split.rejected).toBe(0);
    expect(split.resources.map((r) => r.service)).toEqual(['svc-0', 'svc-1', 'svc-2']);
    const expected = (msg as unknown as { resourceSpans: protobuf.Message[] }).resourceSpans.map((rs: protobuf.Message) =>
      Buffer.from(RS.encode(rs).finish()).toString('hex'),
    );
    expect(split.resources.map((r) => Buffer.from(r.bytes).toString('hex'))).toEqual(expected);
  });

  it('uses unknown_service when the resource has no service.name', () => {
    const bytes = encodeExportRequest('logs', { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }] });
    expect(splitExportRequest('logs', bytes).resources[0]?.service).toBe('unknown_service');
  });

  it('finds service.name among other resource attributes; an empty one counts as none', () => {
    const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });
    const logs = { scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] };
    const bytes = encodeExportRequest('logs', {
      resourceLogs: [
        { resource: { attributes: [attr('host.name', 'n1'), attr('service.name', 'billing'), attr('service.version', '2')] }, ...logs },
        { resource: { attributes: [attr('service.name', ''), attr('host.name', 'n2')] }, ...logs },
      ],
    });
    expect(splitExportRequest('logs', bytes).resources.map((r) => r.service)).toEqual(['billing', 'unknown_service']);
  });

  it('drops invalid items, keeps the rest and reports why', () => {
    const req = traceRequest({ itemsPerResource: 4 });
    spanOf(req, 0, 1).traceId = 'abcd';
    delete spanOf(req, 0, 2).spanId;
    const split = splitExportRequest('traces', encodeExportRequest('traces', req));
    expect(split).toMatchObject({ items: 4, rejected: 2 });
    expect(split.problem).toContain('trace_id has 2 bytes, expected 16');
    const kept = decodeResourceSpans(split.resources[0]?.bytes as Uint8Array).spans.map((s) => s.spanId);
    expect(kept).toEqual([spanOf(req, 0, 0).spanId, spanOf(req, 0, 3).spanId]);
  });

  it('counts metric data points across gauges, sums and histograms', () => {
    const split = splitExportRequest('metrics', encodeExportRequest('metrics', metricsRequest({ resources: 2, itemsPerResource: 7 })));
    expect(split.items).toBe(14);
    expect(split.resources.map((r) => r.items)).toEqual([7, 7]);
  });

  it('accepts unknown fields and both packed and unpacked repeated numbers', () => {
    const w = new Writer();
    w.tag(1, 2).fork(); // resource_metrics
    w.tag(99, 0).uint32(7); // unknown varint field
    w.tag(2, 2).fork().tag(2, 2).fork().tag(1, 2).string('m'); // scope_metrics.metrics.name
    w.tag(9, 2).fork().tag(1, 2).fork(); // histogram.data_points
    w.tag(6, 1).fixed64(2n).tag(6, 1).fixed64(3n); // bucket_counts unpacked
    w.tag(7, 2).fork().double(1.5).join(); // explicit_bounds packed
    w.join().join().join().join().join();
    const bytes = w.finish().slice();
    const split = splitExportRequest('metrics', bytes);
    expect(split.items).toBe(1);
    const m = decodeResourceMetrics(split.resources[0]?.bytes as Uint8Array).metrics[0];
    expect(m?.points[0]).toMatchObject({ bounds: [1.5], bucketCounts: [2, 3] });
  });

  it.each([
    ['truncated', (b: Uint8Array) => b.subarray(0, b.length - 3), /runs past the end|truncated/],
    ['wrong wire type', (_b: Uint8Array) => Uint8Array.from([0x0d, 1, 2, 3, 4]), /wire type 5, expected 2/],
    ['invalid wire type', (_b: Uint8Array) => Uint8Array.from([0x17]), /invalid wire type 7/],
  ])('rejects %s protobuf with a ProtoError', (_name, mutate, message) => {
    const bytes = encodeExportRequest('traces', traceRequest({ itemsPerResource: 2 }));
    expect(() => splitExportRequest('traces', mutate(bytes))).toThrow(message);
    expect(() => splitExportRequest('traces', mutate(bytes))).toThrow(ProtoError);
  });

  it('rejects invalid UTF-8 and names the field', () => {
    const req = traceRequest({ itemsPerResource: 1 });
    spanOf(req, 0, 0).name = 'ÿÿ';
    const bytes = Buffer.from(encodeExportRequest('traces', req));
    const at = bytes.indexOf(Buffer.from('ÿÿ'));
    bytes[at] = 0xff;
    expect(() => splitExportRequest('traces', bytes)).toThrow(/field name is not valid UTF-8 in ResourceSpans\[0\]\.scope_spans\.spans /);
  });

  it('rejects attribute values nested deeper than the limit', () => {
    let v: unknown = { stringValue: 'leaf' };
    for (let i = 0; i < 40; i++) v = { arrayValue: { values: [v] } };
    const bytes = encodeExportRequest('logs', { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }] });
    expect(splitExportRequest('logs', bytes).items).toBe(1);
    expect(() => encodeExportRequest('logs', { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: v }] }] }] })).toThrow(/nested deeper than 32/);
  });
});

describe('decoders', () => {
  it('decodeResourceLogs gives times, severity and body', () => {
    const req = logsRequest({ itemsPerResource: 2 });
    const bytes = splitExportRequest('logs', encodeExportRequest('logs', req)).resources[0]?.bytes as Uint8Array;
    const d = decodeResourceLogs(bytes);
    expect(d.service).toBe('svc-0');
    expect(d.logs[0]).toMatchObject({ severityNumber: 17, severityText: 'ERROR', timeUnixNano: 1_700_000_000_000_000_000n });
    expect(d.logs[0]?.body).toMatch(/^request 0 handled/);
    expect(decodeResource('logs', bytes)).toEqual(JSON.parse(JSON.stringify(req.resourceLogs[0])));
  });

  it('decodeResourceMetrics gives kinds, temporality and values', () => {
    const bytes = splitExportRequest('metrics', encodeExportRequest('metrics', metricsRequest({ itemsPerResource: 3 }))).resources[0]?.bytes as Uint8Array;
    const d = decodeResourceMetrics(bytes);
    expect(d.metrics.map((m) => [m.kind, m.temporality, m.monotonic])).toEqual([
      ['gauge', 0, false],
      ['sum', 2, true],
      ['histogram', 1, false],
    ]);
    expect(typeof d.metrics[1]?.points[0]?.value).toBe('number');
  });

  it('encodes partial success as protobufjs reads it', () => {
    const Res = T('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
    expect(toObj(Res, encodeExportResponse({ rejected: 3, message: 'bad ids' }))).toEqual({ partialSuccess: { rejectedSpans: '3', errorMessage: 'bad ids' } });
    expect(encodeExportResponse({ rejected: 0, message: '' })).toHaveLength(0);
  });
});
