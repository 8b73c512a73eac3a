import * as grpc from '@grpc/grpc-js';
import type { Logger, Telemetry } from '../core/index.ts';
import { encodeExportResponse, encodeStatus, SIGNALS, type Signal } from '../otlp/index.ts';
import type { Authenticator } from './auth.ts';
import type { ByteBudget } from './byte-budget.ts';
import type { DecodePool } from './decode-pool.ts';
import { busy } from './decompress.ts';
import { grpcCodeOf } from './http-receiver.ts';
import { type Ingest, IngestError, STAGE_METRIC } from './ingest.ts';
import { RequestTracker } from './request-tracker.ts';

/** What the OTLP/gRPC receiver needs. */
export interface GrpcReceiverDeps {
  ingest: Ingest;
  /** Validates and splits request bodies (large ones on worker threads). */
  decoder: DecodePool;
  budget: ByteBudget;
  auth: Authenticator;
  telemetry: Telemetry;
  logger: Logger;
  /** Largest message after decompression, in bytes. */
  maxMessageBytes: number;
}

/** The OTLP/gRPC receiver: the trace, metrics and logs Export services. */
export interface GrpcReceiver {
  listen(host: string, port: number): Promise<void>;
  /** `host:port` once listening. */
  address(): string;
  /** Stops accepting, waits for in-flight calls up to `deadlineMs`, closes. */
  close(deadlineMs: number): Promise<void>;
}

const identity = (b: Buffer): Buffer => b;

/** A service definition whose messages stay raw bytes: the collector validates and splits them itself. */
function rawService(signal: Signal): grpc.ServiceDefinition {
  const method: grpc.MethodDefinition<Buffer, Buffer> = {
    path: SIGNALS[signal].grpcPath,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
  return { Export: method };
}

function errorFor(e: IngestError): Partial<grpc.StatusObject> {
  const code = grpcCodeOf(e.statusCode);
  const metadata = new grpc.Metadata();
  // google.rpc.Status with RetryInfo tells OTLP exporters that RESOURCE_EXHAUSTED / UNAVAILABLE may be retried, and when.
  metadata.set('grpc-status-details-bin', Buffer.from(encodeStatus(code, e.message, e.retryAfterMs)));
  return { code, details: e.message, metadata };
}

/** Creates the OTLP/gRPC receiver over @grpc/grpc-js. */
export function createGrpcReceiver(deps: GrpcReceiverDeps): GrpcReceiver {
  const tracker = new RequestTracker();
  const server = new grpc.Server({
    'grpc.max_receive_message_length': deps.maxMessageBytes,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
  });
  for (const signal of Object.keys(SIGNALS) as Signal[]) {
    const handler: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
      tracker.track(handleCall(deps, signal, call, callback));
    };
    server.addService(rawService(signal), { Export: handler });
  }
  let addr = '';
  let listening = false;
  return {
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
          if (err) return reject(err);
          addr = `${host}:${bound}`;
          listening = true;
          resolve();
        });
      }),
    address: () => addr,
    close: async (deadlineMs) => {
      if (!listening) return;
      listening = false;
      const graceful = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      await tracker.drain(deadlineMs);
      const timer = setTimeout(() => server.forceShutdown(), Math.min(deadlineMs, 1_000));
      await graceful;
      clearTimeout(timer);
    },
  };
}

async function handleCall(
  deps: GrpcReceiverDeps,
  signal: Signal,
  call: grpc.ServerUnaryCall<Buffer, Buffer>,
  callback: grpc.sendUnaryData<Buffer>,
): Promise<void> {
  const t0 = performance.now();
  const lease = deps.budget.lease();
  try {
    const auth = call.metadata.get('authorization')[0];
    deps.auth.check(typeof auth === 'string' ? auth : auth?.toString());
    const body = call.request;
    if (!lease.grow(body.length)) throw busy();
    const t1 = performance.now();
    const split = await deps.decoder.decode(signal, 'protobuf', body);
    deps.telemetry.record(STAGE_METRIC, performance.now() - t1, { signal, stage: 'split' });
    const result = await deps.ingest(signal, split, Date.now(), lease);
    callback(null, Buffer.from(encodeExportResponse({ rejected: result.rejected, message: result.message })));
    deps.telemetry.count('zeroops.collector.requests', { signal, transport: 'grpc', outcome: 'accepted', reason: 'ok' });
  } catch (err) {
    if (!(err instanceof IngestError && err.reason === 'bus_unavailable')) lease.release();
    const e = err instanceof IngestError ? err : new IngestError('malformed', 500, 'internal error while ingesting', undefined, err);
    if (!(err instanceof IngestError)) deps.logger.error({ err }, 'OTLP/gRPC call failed');
    deps.telemetry.count('zeroops.collector.requests', { signal, transport: 'grpc', outcome: 'refused', reason: e.reason });
    if (e.items > 0) deps.telemetry.count('zeroops.collector.items', { signal, outcome: 'refused', reason: e.reason }, e.items);
    callback(errorFor(e), null);
  } finally {
    deps.telemetry.record('zeroops.collector.request.duration_ms', performance.now() - t0, { signal, transport: 'grpc' });
  }
}
