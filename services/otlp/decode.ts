import { UNKNOWN_SERVICE } from '../bus/topics.ts';
import { decodeToJson, type JsonObject } from './json-decode.ts';
import { messageDef } from './schema.ts';

/** An attribute value: string, boolean, number (int64 beyond 2^53 as bigint), array, nested record, or bytes. */
export type AttributeValue = string | boolean | number | bigint | Uint8Array | AttributeValue[] | { [key: string]: AttributeValue } | null;

/** One span, flattened for the detector. Times in Unix nanoseconds. */
export interface DecodedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind (0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer). */
  kind: number;
  startUnixNano: bigint;
  endUnixNano: bigint;
  /** OTLP StatusCode (0 unset, 1 ok, 2 error). */
  statusCode: number;
  attributes: Record<string, unknown>;
  /** Instrumentation scope name. */
  scope: string;
}

/** The spans of one resource. */
export interface DecodedResourceSpans {
  service: string;
  resourceAttributes: Record<string, unknown>;
  spans: DecodedSpan[];
}

/** One metric data point. Which value fields are set depends on the metric kind. */
export interface DecodedDataPoint {
  attributes: Record<string, unknown>;
  startUnixNano: bigint;
  timeUnixNano: bigint;
  /** Gauge and sum: the value (as_int converted to number). */
  value?: number;
  /** Histograms and summaries. */
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
  /** Histogram: upper bounds; `bucketCounts` has one more entry. */
  bounds?: number[];
  bucketCounts?: number[];
  /** Summary: quantile -> value. */
  quantiles?: Array<{ quantile: number; value: number }>;
}

/** One metric. */
export interface DecodedMetric {
  name: string;
  description: string;
  unit: string;
  kind: 'gauge' | 'sum' | 'histogram' | 'exponential_histogram' | 'summary' | 'empty';
  /** AggregationTemporality: 0 unspecified, 1 delta, 2 cumulative. */
  temporality: number;
  monotonic: boolean;
  points: DecodedDataPoint[];
  scope: string;
}

/** The metrics of one resource. */
export interface DecodedResourceMetrics {
  service: string;
  resourceAttributes: Record<string, unknown>;
  metrics: DecodedMetric[];
}

/** One log record. Times in Unix nanoseconds. */
export interface DecodedLogRecord {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  /** The body as a string (non-string bodies as JSON). */
  body: string;
  attributes: Record<string, unknown>;
  traceId: string;
  spanId: string;
  eventName: string;
  scope: string;
}

/** The log records of one resource. */
export interface DecodedResourceLogs {
  service: string;
  resourceAttributes: Record<string, unknown>;
  logs: DecodedLogRecord[];
}

type J = JsonObject;
const arr = (v: unknown): J[] => (Array.isArray(v) ? (v as J[]) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : 0);
const big = (v: unknown): bigint => (typeof v === 'string' ? BigInt(v) : 0n);
const obj = (v: unknown): J => (typeof v === 'object' && v !== null ? (v as J) : {});

/** Converts an OTLP/JSON AnyValue to a plain value. */
export function anyValue(v: unknown): AttributeValue {
  const a = obj(v);
  if ('stringValue' in a) return str(a.stringValue);
  if ('boolValue' in a) return a.boolValue === true;
  if ('intValue' in a) {
    const b = big(a.intValue);
    return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
  }
  if ('doubleValue' in a) return num(a.doubleValue);
  if ('arrayValue' in a) return arr(obj(a.arrayValue).values).map(anyValue);
  if ('kvlistValue' in a) return attributes(obj(a.kvlistValue).values);
  if ('bytesValue' in a) return new Uint8Array(Buffer.from(str(a.bytesValue), 'base64'));
  return null;
}

/** Converts an OTLP/JSON KeyValue list to a record (a later duplicate key wins). */
export function attributes(list: unknown): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of arr(list)) out[str(kv.key)] = anyValue(kv.value);
  return out;
}

function resourceHead(j: J): { service: string; resourceAttributes: Record<string, unknown> } {
  const resourceAttributes = attributes(obj(j.resource).attributes);
  const sn = resourceAttributes['service.name'];
  return { service: typeof sn === 'string' && sn !== '' ? sn : UNKNOWN_SERVICE, resourceAttributes };
}

/** Decodes one ResourceSpans (a telemetry.traces record value). Throws on malformed protobuf. */
export function decodeResourceSpans(bytes: Uint8Array): DecodedResourceSpans {
  const j = decodeToJson(messageDef('ResourceSpans'), bytes);
  const spans: DecodedSpan[] = [];
  for (const ss of arr(j.scopeSpans)) {
    const scope = str(obj(ss.scope).name);
    for (const s of arr(ss.spans)) {
      spans.push({
        traceId: str(s.traceId),
        spanId: str(s.spanId),
        parentSpanId: str(s.parentSpanId),
        name: str(s.name),
        kind: num(s.kind),
        startUnixNano: big(s.startTimeUnixNano),
        endUnixNano: big(s.endTimeUnixNano),
        statusCode: num(obj(s.status).code),
        attributes: attributes(s.attributes),
        scope,
      });
    }
  }
  return { ...resourceHead(j), spans };
}

function point(p: J): DecodedDataPoint {
  const out: DecodedDataPoint = { attributes: attributes(p.attributes), startUnixNano: big(p.startTimeUnixNano), timeUnixNano: big(p.timeUnixNano) };
  if ('asDouble' in p) out.value = num(p.asDouble);
  if ('asInt' in p) out.value = num(p.asInt);
  if ('count' in p) out.count = num(p.count);
  if ('sum' in p) out.sum = num(p.sum);
  if ('min' in p) out.min = num(p.min);
  if ('max' in p) out.max = num(p.max);
  if ('explicitBounds' in p || 'bucketCounts' in p) {
    out.bounds = (p.explicitBounds as number[] | undefined) ?? [];
    out.bucketCounts = ((p.bucketCounts as string[] | undefined) ?? []).map(Number);
  }
  if ('quantileValues' in p) out.quantiles = arr(p.quantileValues).map((q) => ({ quantile: num(q.quantile), value: num(q.value) }));
  return out;
}

const METRIC_KINDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

function metric(m: J, scope: string): DecodedMetric {
  const found = METRIC_KINDS.find((k) => k in m);
  const data = found ? obj(m[found]) : {};
  return {
    name: str(m.name),
    description: str(m.description),
    unit: str(m.unit),
    kind: found === 'exponentialHistogram' ? 'exponential_histogram' : (found ?? 'empty'),
    temporality: num(data.aggregationTemporality),
    monotonic: data.isMonotonic === true,
    points: arr(data.dataPoints).map(point),
    scope,
  };
}

/** Decodes one ResourceMetrics (a telemetry.metrics record value). Throws on malformed protobuf. */
export function decodeResourceMetrics(bytes: Uint8Array): DecodedResourceMetrics {
  const j = decodeToJson(messageDef('ResourceMetrics'), bytes);
  const metrics: DecodedMetric[] = [];
  for (const sm of arr(j.scopeMetrics)) {
    const scope = str(obj(sm.scope).name);
    for (const m of arr(sm.metrics)) metrics.push(metric(m, scope));
  }
  return { ...resourceHead(j), metrics };
}

function bodyString(v: unknown): string {
  const b = anyValue(v);
  if (typeof b === 'string') return b;
  if (b === null) return '';
  return JSON.stringify(b, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

/** Decodes one ResourceLogs (a telemetry.logs record value). Throws on malformed protobuf. */
export function decodeResourceLogs(bytes: Uint8Array): DecodedResourceLogs {
  const j = decodeToJson(messageDef('ResourceLogs'), bytes);
  const logs: DecodedLogRecord[] = [];
  for (const sl of arr(j.scopeLogs)) {
    const scope = str(obj(sl.scope).name);
    for (const l of arr(sl.logRecords)) {
      logs.push({
        timeUnixNano: big(l.timeUnixNano),
        observedTimeUnixNano: big(l.observedTimeUnixNano),
        severityNumber: num(l.severityNumber),
        severityText: str(l.severityText),
        body: bodyString(l.body),
        attributes: attributes(l.attributes),
        traceId: str(l.traceId),
        spanId: str(l.spanId),
        eventName: str(l.eventName),
        scope,
      });
    }
  }
  return { ...resourceHead(j), logs };
}
