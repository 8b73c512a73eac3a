/**
 * TLS on the ingest listeners: the OpenTelemetry SDK's own exporters send
 * over OTLP/HTTP (https) and OTLP/gRPC (TLS) to a collector with a test
 * certificate; with a client CA set, a client without a certificate is
 * refused and one with a certificate the CA signed is accepted.
 */
import { request } from 'node:https';
import * as grpc from '@grpc/grpc-js';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as TraceGrpc } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as TraceJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as TraceProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeExportRequest } from '../../../services/otlp/index.ts';
import { traceRequest } from '../../fixtures/otlp/generate.ts';
import { makeTestCerts, type TestCerts } from '../../helpers/tls-certs.ts';
import { type Harness, startHarness, TopicReader } from './harness.ts';

let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(() => certs?.remove());

interface SpanExporter {
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

function spans(service: string): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  provider.getTracer('tls-test').startSpan('op').end();
  return memory.getFinishedSpans();
}

async function send(exporter: SpanExporter, service: string): Promise<ExportResult> {
  const result = await new Promise<ExportResult>((resolve) => exporter.export(spans(service), resolve));
  await exporter.shutdown();
  return result;
}

/** The three SDK trace exporters, trusting the test CA and, when `client`, presenting the client certificate. */
function exporters(h: Harness, client: boolean): Record<string, SpanExporter> {
  const mtls = client ? { cert: certs.clientCert, key: certs.clientKey } : {};
  const httpAgentOptions = { ca: certs.ca, ...mtls };
  const credentials = client ? grpc.credentials.createSsl(certs.ca, certs.clientKey, certs.clientCert) : grpc.credentials.createSsl(certs.ca);
  const url = `${h.collector.httpAddress()}/v1/traces`;
  return {
    'http/protobuf': new TraceProto({ url, httpAgentOptions }) as unknown as SpanExporter,
    'http/json': new TraceJson({ url, httpAgentOptions, compression: 'gzip' as never }) as unknown as SpanExporter,
    grpc: new TraceGrpc({
      url: `https://localhost:${h.collector.grpcAddress().split(':').pop()}`,
      credentials,
      compression: 'gzip' as never,
    }) as unknown as SpanExporter,
  };
}

describe('TLS with a server certificate', () => {
  let h: Harness;
  let reader: TopicReader;
  beforeAll(async () => {
    h = await startHarness({ tlsCertFile: certs.certFile, tlsKeyFile: certs.keyFile });
    reader = await new TopicReader(h.bus, h.topics.traces).start();
  });
  afterAll(async () => {
    await reader?.stop();
    await h?.stop();
  });

  it('the SDK exporters send over https and gRPC with TLS; the spans reach the topic', async () => {
    expect(h.collector.httpAddress()).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    for (const [protocol, exporter] of Object.entries(exporters(h, false))) {
      const result = await send(exporter, `tls-${protocol}`);
      expect(result.error?.message ?? '', protocol).toBe('');
      expect(result.code, protocol).toBe(0);
    }
    await reader.waitFor((rs) => ['tls-http/protobuf', 'tls-http/json', 'tls-grpc'].every((s) => rs.some((r) => r.key === s)));
  });

  it('plain HTTP and plaintext gRPC are not served on the TLS ports', async () => {
    const port = new URL(h.collector.httpAddress()).port;
    const plain = await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', body: '' }).then(
      (r) => r.status,
      (err: Error) => err.name,
    );
    expect(plain).not.toBe(200);
    expect(await grpcExport(h.collector.grpcAddress(), grpc.credentials.createInsecure())).toBe(grpc.status.UNAVAILABLE);
  });
});

describe('TLS with client-certificate verification', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ tlsCertFile: certs.certFile, tlsKeyFile: certs.keyFile, tlsClientCaFile: certs.caFile });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('refuses a client without a certificate, over https and gRPC', async () => {
    for (const [protocol, exporter] of Object.entries(exporters(h, false))) {
      const result = await send(exporter, `anonymous-${protocol}`);
      expect(result.code, protocol).toBe(1);
    }
    await expect(httpsPost(h, {})).rejects.toThrow(/certificate|socket hang up|ECONNRESET/i);
    expect(await grpcExport(h.collector.grpcAddress(), grpc.credentials.createSsl(certs.ca))).toBe(grpc.status.UNAVAILABLE);
  });

  it('accepts a client with a certificate the CA signed, over https and gRPC', async () => {
    for (const [protocol, exporter] of Object.entries(exporters(h, true))) {
      const result = await send(exporter, `mtls-${protocol}`);
      expect(result.error?.message ?? '', protocol).toBe('');
      expect(result.code, protocol).toBe(0);
    }
    expect(await httpsPost(h, { cert: certs.clientCert, key: certs.clientKey })).toBe(200);
  });
});

function httpsPost(h: Harness, identity: { cert?: Buffer; key?: Buffer }): Promise<number> {
  const url = new URL(`${h.collector.httpAddress()}/v1/traces`);
  const body = encodeExportRequest('traces', traceRequest({ itemsPerResource: 2 }));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        ca: certs.ca,
        ...identity,
        agent: false,
        headers: { 'content-type': 'application/x-protobuf' },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** One raw Export call; resolves to its status code. */
function grpcExport(address: string, credentials: grpc.ChannelCredentials): Promise<number> {
  const client = new grpc.Client(`localhost:${address.split(':').pop()}`, credentials);
  const id = (b: Buffer): Buffer => b;
  const body = Buffer.from(encodeExportRequest('traces', traceRequest({ itemsPerResource: 2 })));
  return new Promise((resolve) => {
    client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', id, id, body, { deadline: Date.now() + 20_000 }, (err) => {
      client.close();
      resolve(err?.code ?? grpc.status.OK);
    });
  });
}
