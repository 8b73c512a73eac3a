/**
 * Micro-benchmark behind the decoder choice (`npx tsx test/bench/ingest/micro-decode.ts`):
 * the hand-written validate-and-split walk against a full protobufjs decode
 * (+ re-encode per resource, which routing would need), and the JSON path.
 */
import protobuf from 'protobufjs';
import { encodeExportRequest, encodeJson, SIGNALS, splitExportRequest } from '../../../services/otlp/index.ts';
import { traceRequest } from '../../fixtures/otlp/generate.ts';

const root = new protobuf.Root();
root.resolvePath = (_o, target) => `proto/${target}`;
await root.load('opentelemetry/proto/collector/trace/v1/trace_service.proto');
const Req = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
const RS = root.lookupType('opentelemetry.proto.trace.v1.ResourceSpans');

const req = traceRequest({ itemsPerResource: 512, attributesPerItem: 8 });
const pb = encodeExportRequest('traces', req);
const js = JSON.stringify(req);
const cases: Array<[string, () => unknown]> = [
  ['hand-written validate + split', () => splitExportRequest('traces', pb)],
  ['protobufjs decode', () => Req.decode(pb)],
  [
    'protobufjs decode + re-encode resources',
    () => (Req.decode(pb) as unknown as { resourceSpans: protobuf.Message[] }).resourceSpans.map((r) => RS.encode(r).finish()),
  ],
  ['JSON.parse only', () => JSON.parse(js)],
  ['JSON.parse + encode to protobuf', () => encodeJson(SIGNALS.traces.request, JSON.parse(js))],
];
console.log(`request: 512 spans x 8 attributes, ${pb.length} bytes protobuf, ${js.length} bytes JSON`);
for (const [name, fn] of cases) {
  for (let i = 0; i < 200; i++) fn();
  const n = 500;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  const ms = (performance.now() - t0) / n;
  console.log(`${name.padEnd(42)} ${ms.toFixed(3)} ms/request  ${Math.round((512 / ms) * 1000).toLocaleString('en-US')} spans/s`);
}
