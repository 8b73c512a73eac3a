/**
 * The OTLP messages as data: one table drives protobuf validation, the
 * JSON-to-protobuf encoder and the protobuf-to-JSON decoder. Field numbers
 * and names follow proto/opentelemetry (the specification's numbers).
 */

/** How a field is encoded. `id` is `bytes` shown as hex in OTLP/JSON (trace and span ids). */
export type Kind =
  | 'string'
  | 'bytes'
  | 'id'
  | 'bool'
  | 'int64'
  | 'uint64'
  | 'uint32'
  | 'sint32'
  | 'enum'
  | 'fixed64'
  | 'sfixed64'
  | 'fixed32'
  | 'double'
  | 'message';

/** One field of a {@link MessageDef}. */
export interface FieldDef {
  readonly no: number;
  /** Protobuf (snake_case) name. */
  readonly name: string;
  /** OTLP/JSON (lowerCamelCase) name. */
  readonly json: string;
  readonly kind: Kind;
  readonly repeated: boolean;
  /** Wire type of one (unpacked) value. */
  readonly wireType: number;
  /** For `message` fields: the message (linked after all are defined). */
  msg?: MessageDef;
  /** For `id` fields: the required length in bytes (empty is allowed unless `required`). */
  readonly idLength?: number;
  /** An item is invalid when this field is absent or empty. */
  readonly required?: boolean;
}

/** One message type. */
export interface MessageDef {
  readonly name: string;
  readonly fields: readonly FieldDef[];
  /** Field by number (sparse). */
  readonly byNo: ReadonlyArray<FieldDef | undefined>;
  /** Field by JSON name and by protobuf name. */
  readonly byJson: ReadonlyMap<string, FieldDef>;
  /** Bit `no` set for each required field (numbers below 31). */
  readonly requiredMask: number;
  /** True for the counted items: spans, data points, log records. */
  readonly item: boolean;
}

function wireTypeOf(kind: Kind): number {
  switch (kind) {
    case 'string':
    case 'bytes':
    case 'id':
    case 'message':
      return 2;
    case 'fixed64':
    case 'sfixed64':
    case 'double':
      return 1;
    case 'fixed32':
      return 5;
    default:
      return 0;
  }
}

function camel(s: string): string {
  return s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

type Spec = [no: number, name: string, kind: Kind, opts?: { repeated?: boolean; msg?: string; idLength?: number; required?: boolean }];

const registry = new Map<string, MessageDef>();
const pending: Array<[FieldDef, string]> = [];

function def(name: string, specs: Spec[], item = false): MessageDef {
  const fields: FieldDef[] = [];
  const byNo: Array<FieldDef | undefined> = [];
  const byJson = new Map<string, FieldDef>();
  let requiredMask = 0;
  for (const [no, fname, kind, o = {}] of specs) {
    const f: FieldDef = {
      no,
      name: fname,
      json: camel(fname),
      kind,
      repeated: o.repeated ?? false,
      wireType: wireTypeOf(kind),
      idLength: o.idLength,
      required: o.required,
    };
    if (o.msg) pending.push([f, o.msg]);
    if (o.required) requiredMask |= 1 << no;
    fields.push(f);
    byNo[no] = f;
    byJson.set(f.json, f);
    byJson.set(fname, f);
  }
  const m: MessageDef = { name, fields, byNo, byJson, requiredMask, item };
  registry.set(name, m);
  return m;
}

const R = { repeated: true } as const;
const kvs = { repeated: true, msg: 'KeyValue' } as const;

def('AnyValue', [
  [1, 'string_value', 'string'],
  [2, 'bool_value', 'bool'],
  [3, 'int_value', 'int64'],
  [4, 'double_value', 'double'],
  [5, 'array_value', 'message', { msg: 'ArrayValue' }],
  [6, 'kvlist_value', 'message', { msg: 'KeyValueList' }],
  [7, 'bytes_value', 'bytes'],
]);
def('ArrayValue', [[1, 'values', 'message', { repeated: true, msg: 'AnyValue' }]]);
def('KeyValueList', [[1, 'values', 'message', kvs]]);
def('KeyValue', [
  [1, 'key', 'string'],
  [2, 'value', 'message', { msg: 'AnyValue' }],
]);
def('InstrumentationScope', [
  [1, 'name', 'string'],
  [2, 'version', 'string'],
  [3, 'attributes', 'message', kvs],
  [4, 'dropped_attributes_count', 'uint32'],
]);
def('EntityRef', [
  [1, 'schema_url', 'string'],
  [2, 'type', 'string'],
  [3, 'id_keys', 'string', R],
  [4, 'description_keys', 'string', R],
]);
def('Resource', [
  [1, 'attributes', 'message', kvs],
  [2, 'dropped_attributes_count', 'uint32'],
  [3, 'entity_refs', 'message', { repeated: true, msg: 'EntityRef' }],
]);

// Traces
def('ResourceSpans', [
  [1, 'resource', 'message', { msg: 'Resource' }],
  [2, 'scope_spans', 'message', { repeated: true, msg: 'ScopeSpans' }],
  [3, 'schema_url', 'string'],
]);
def('ScopeSpans', [
  [1, 'scope', 'message', { msg: 'InstrumentationScope' }],
  [2, 'spans', 'message', { repeated: true, msg: 'Span' }],
  [3, 'schema_url', 'string'],
]);
def(
  'Span',
  [
    [1, 'trace_id', 'id', { idLength: 16, required: true }],
    [2, 'span_id', 'id', { idLength: 8, required: true }],
    [3, 'trace_state', 'string'],
    [4, 'parent_span_id', 'id', { idLength: 8 }],
    [16, 'flags', 'fixed32'],
    [5, 'name', 'string'],
    [6, 'kind', 'enum'],
    [7, 'start_time_unix_nano', 'fixed64'],
    [8, 'end_time_unix_nano', 'fixed64'],
    [9, 'attributes', 'message', kvs],
    [10, 'dropped_attributes_count', 'uint32'],
    [11, 'events', 'message', { repeated: true, msg: 'Span.Event' }],
    [12, 'dropped_events_count', 'uint32'],
    [13, 'links', 'message', { repeated: true, msg: 'Span.Link' }],
    [14, 'dropped_links_count', 'uint32'],
    [15, 'status', 'message', { msg: 'Status' }],
  ],
  true,
);
def('Span.Event', [
  [1, 'time_unix_nano', 'fixed64'],
  [2, 'name', 'string'],
  [3, 'attributes', 'message', kvs],
  [4, 'dropped_attributes_count', 'uint32'],
]);
def('Span.Link', [
  [1, 'trace_id', 'id', { idLength: 16, required: true }],
  [2, 'span_id', 'id', { idLength: 8, required: true }],
  [3, 'trace_state', 'string'],
  [4, 'attributes', 'message', kvs],
  [5, 'dropped_attributes_count', 'uint32'],
  [6, 'flags', 'fixed32'],
]);
def('Status', [
  [2, 'message', 'string'],
  [3, 'code', 'enum'],
]);

// Metrics
def('ResourceMetrics', [
  [1, 'resource', 'message', { msg: 'Resource' }],
  [2, 'scope_metrics', 'message', { repeated: true, msg: 'ScopeMetrics' }],
  [3, 'schema_url', 'string'],
]);
def('ScopeMetrics', [
  [1, 'scope', 'message', { msg: 'InstrumentationScope' }],
  [2, 'metrics', 'message', { repeated: true, msg: 'Metric' }],
  [3, 'schema_url', 'string'],
]);
def('Metric', [
  [1, 'name', 'string'],
  [2, 'description', 'string'],
  [3, 'unit', 'string'],
  [5, 'gauge', 'message', { msg: 'Gauge' }],
  [7, 'sum', 'message', { msg: 'Sum' }],
  [9, 'histogram', 'message', { msg: 'Histogram' }],
  [10, 'exponential_histogram', 'message', { msg: 'ExponentialHistogram' }],
  [11, 'summary', 'message', { msg: 'Summary' }],
  [12, 'metadata', 'message', kvs],
]);
def('Gauge', [[1, 'data_points', 'message', { repeated: true, msg: 'NumberDataPoint' }]]);
def('Sum', [
  [1, 'data_points', 'message', { repeated: true, msg: 'NumberDataPoint' }],
  [2, 'aggregation_temporality', 'enum'],
  [3, 'is_monotonic', 'bool'],
]);
def('Histogram', [
  [1, 'data_points', 'message', { repeated: true, msg: 'HistogramDataPoint' }],
  [2, 'aggregation_temporality', 'enum'],
]);
def('ExponentialHistogram', [
  [1, 'data_points', 'message', { repeated: true, msg: 'ExponentialHistogramDataPoint' }],
  [2, 'aggregation_temporality', 'enum'],
]);
def('Summary', [[1, 'data_points', 'message', { repeated: true, msg: 'SummaryDataPoint' }]]);
const exemplars = (no: number): Spec => [no, 'exemplars', 'message', { repeated: true, msg: 'Exemplar' }];
def(
  'NumberDataPoint',
  [
    [7, 'attributes', 'message', kvs],
    [2, 'start_time_unix_nano', 'fixed64'],
    [3, 'time_unix_nano', 'fixed64'],
    [4, 'as_double', 'double'],
    [6, 'as_int', 'sfixed64'],
    exemplars(5),
    [8, 'flags', 'uint32'],
  ],
  true,
);
def(
  'HistogramDataPoint',
  [
    [9, 'attributes', 'message', kvs],
    [2, 'start_time_unix_nano', 'fixed64'],
    [3, 'time_unix_nano', 'fixed64'],
    [4, 'count', 'fixed64'],
    [5, 'sum', 'double'],
    [6, 'bucket_counts', 'fixed64', R],
    [7, 'explicit_bounds', 'double', R],
    exemplars(8),
    [10, 'flags', 'uint32'],
    [11, 'min', 'double'],
    [12, 'max', 'double'],
  ],
  true,
);
def(
  'ExponentialHistogramDataPoint',
  [
    [1, 'attributes', 'message', kvs],
    [2, 'start_time_unix_nano', 'fixed64'],
    [3, 'time_unix_nano', 'fixed64'],
    [4, 'count', 'fixed64'],
    [5, 'sum', 'double'],
    [6, 'scale', 'sint32'],
    [7, 'zero_count', 'fixed64'],
    [8, 'positive', 'message', { msg: 'ExponentialHistogramDataPoint.Buckets' }],
    [9, 'negative', 'message', { msg: 'ExponentialHistogramDataPoint.Buckets' }],
    [10, 'flags', 'uint32'],
    exemplars(11),
    [12, 'min', 'double'],
    [13, 'max', 'double'],
    [14, 'zero_threshold', 'double'],
  ],
  true,
);
def('ExponentialHistogramDataPoint.Buckets', [
  [1, 'offset', 'sint32'],
  [2, 'bucket_counts', 'uint64', R],
]);
def(
  'SummaryDataPoint',
  [
    [7, 'attributes', 'message', kvs],
    [2, 'start_time_unix_nano', 'fixed64'],
    [3, 'time_unix_nano', 'fixed64'],
    [4, 'count', 'fixed64'],
    [5, 'sum', 'double'],
    [6, 'quantile_values', 'message', { repeated: true, msg: 'SummaryDataPoint.ValueAtQuantile' }],
    [8, 'flags', 'uint32'],
  ],
  true,
);
def('SummaryDataPoint.ValueAtQuantile', [
  [1, 'quantile', 'double'],
  [2, 'value', 'double'],
]);
def('Exemplar', [
  [7, 'filtered_attributes', 'message', kvs],
  [2, 'time_unix_nano', 'fixed64'],
  [3, 'as_double', 'double'],
  [6, 'as_int', 'sfixed64'],
  [4, 'span_id', 'id', { idLength: 8 }],
  [5, 'trace_id', 'id', { idLength: 16 }],
]);

// Logs
def('ResourceLogs', [
  [1, 'resource', 'message', { msg: 'Resource' }],
  [2, 'scope_logs', 'message', { repeated: true, msg: 'ScopeLogs' }],
  [3, 'schema_url', 'string'],
]);
def('ScopeLogs', [
  [1, 'scope', 'message', { msg: 'InstrumentationScope' }],
  [2, 'log_records', 'message', { repeated: true, msg: 'LogRecord' }],
  [3, 'schema_url', 'string'],
]);
def(
  'LogRecord',
  [
    [1, 'time_unix_nano', 'fixed64'],
    [11, 'observed_time_unix_nano', 'fixed64'],
    [2, 'severity_number', 'enum'],
    [3, 'severity_text', 'string'],
    [5, 'body', 'message', { msg: 'AnyValue' }],
    [6, 'attributes', 'message', kvs],
    [7, 'dropped_attributes_count', 'uint32'],
    [8, 'flags', 'fixed32'],
    [9, 'trace_id', 'id', { idLength: 16 }],
    [10, 'span_id', 'id', { idLength: 8 }],
    [12, 'event_name', 'string'],
  ],
  true,
);

// Export requests and responses
def('ExportTraceServiceRequest', [[1, 'resource_spans', 'message', { repeated: true, msg: 'ResourceSpans' }]]);
def('ExportMetricsServiceRequest', [[1, 'resource_metrics', 'message', { repeated: true, msg: 'ResourceMetrics' }]]);
def('ExportLogsServiceRequest', [[1, 'resource_logs', 'message', { repeated: true, msg: 'ResourceLogs' }]]);

for (const [f, name] of pending) {
  const m = registry.get(name);
  if (!m) throw new Error(`schema: unknown message ${name}`);
  f.msg = m;
}

/** Looks up a message definition by its short name (e.g. `ResourceSpans`). */
export function messageDef(name: string): MessageDef {
  const m = registry.get(name);
  if (!m) throw new Error(`unknown OTLP message ${name}`);
  return m;
}

/** The three OTLP signals. */
export type Signal = 'traces' | 'metrics' | 'logs';

/** Per-signal names: request and resource messages, JSON keys, partial-success field. */
export interface SignalInfo {
  readonly signal: Signal;
  readonly request: MessageDef;
  readonly resource: MessageDef;
  /** JSON key of the resource list in the request, e.g. `resourceSpans`. */
  readonly jsonKey: string;
  /** Name of the counted items in messages, e.g. `spans`. */
  readonly itemName: string;
  /** JSON name of the rejected count in the partial success, e.g. `rejectedSpans`. */
  readonly rejectedJson: string;
  /** gRPC method path. */
  readonly grpcPath: string;
}

/** {@link SignalInfo} of each signal. */
export const SIGNALS: Readonly<Record<Signal, SignalInfo>> = {
  traces: {
    signal: 'traces',
    request: messageDef('ExportTraceServiceRequest'),
    resource: messageDef('ResourceSpans'),
    jsonKey: 'resourceSpans',
    itemName: 'spans',
    rejectedJson: 'rejectedSpans',
    grpcPath: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  },
  metrics: {
    signal: 'metrics',
    request: messageDef('ExportMetricsServiceRequest'),
    resource: messageDef('ResourceMetrics'),
    jsonKey: 'resourceMetrics',
    itemName: 'data points',
    rejectedJson: 'rejectedDataPoints',
    grpcPath: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  },
  logs: {
    signal: 'logs',
    request: messageDef('ExportLogsServiceRequest'),
    resource: messageDef('ResourceLogs'),
    jsonKey: 'resourceLogs',
    itemName: 'log records',
    rejectedJson: 'rejectedLogRecords',
    grpcPath: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  },
};
