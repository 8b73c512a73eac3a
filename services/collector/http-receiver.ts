import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { type Logger, type Telemetry, type TlsMaterial, tlsServerOptions } from '../core/index.ts';
import { encodeExportResponse, encodeStatus, exportResponseJson, type Signal, statusJson } from '../otlp/index.ts';
import type { Authenticator } from './auth.ts';
import type { ByteBudget } from './byte-budget.ts';
import type { DecodePool } from './decode-pool.ts';
import { decompress } from './decompress.ts';
import { type BodyLimits, declaredLength, readBody, tooLarge } from './http-body.ts';
import { type BodyFormat, type Ingest, IngestError, STAGE_METRIC } from './ingest.ts';
import { instrumentIngest } from './ingest-instrumentation.ts';
import { closeAfterAnswer } from './linger.ts';
import { listenOn } from './listen.ts';
import { RequestTracker } from './request-tracker.ts';

const PATHS: Record<string, Signal> = { '/v1/traces': 'traces', '/v1/metrics': 'metrics', '/v1/logs': 'logs' };

/** What the OTLP/HTTP receiver needs. */
export interface HttpReceiverDeps {
  ingest: Ingest;
  /** Converts OTLP/JSON bodies (on worker threads when it has them). */
  /** Validates and splits request bodies (JSON and large protobuf ones on worker threads). */
  decoder: DecodePool;
  budget: ByteBudget;
  limits: BodyLimits;
  auth: Authenticator;
  telemetry: Telemetry;
  logger: Logger;
  /** Serve HTTPS with this material (and verify client certificates when it has a CA); plain HTTP when undefined. */
  tls?: TlsMaterial;
}

/** The OTLP/HTTP receiver: POST /v1/traces, /v1/metrics, /v1/logs. */
export interface HttpReceiver {
  listen(host: string, port: number): Promise<void>;
  /** `http://host:port` (`https://` with TLS) once listening. */
  address(): string;
  /** Stops accepting, waits for in-flight requests up to `deadlineMs`, closes. */
  close(deadlineMs: number): Promise<void>;
}

function formatOf(req: IncomingMessage): BodyFormat | undefined {
  const ct = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (ct === 'application/x-protobuf' || ct === 'application/protobuf') return 'protobuf';
  if (ct === 'application/json') return 'json';
  return undefined;
}

function refuse(reason: 'not_found' | 'method_not_allowed' | 'unsupported_media_type', status: number, message: string): IngestError {
  return new IngestError(reason, status, message);
}

/** Checks everything decidable from the request line and headers (a declared length over the limit included). */
function precheck(req: IncomingMessage, auth: Authenticator, limits: BodyLimits): { signal: Signal; format: BodyFormat; gzip: boolean } {
  const path = (req.url ?? '').split('?')[0] ?? '';
  const signal = PATHS[path];
  if (signal === undefined) throw refuse('not_found', 404, `no OTLP endpoint at ${path.slice(0, 100)}; use /v1/traces, /v1/metrics or /v1/logs`);
  if (req.method !== 'POST') throw refuse('method_not_allowed', 405, `${req.method} is not allowed on ${path}; OTLP/HTTP uses POST`);
  auth.check(req.headers.authorization, `POST ${path}`, req.socket.remoteAddress);
  const format = formatOf(req);
  if (format === undefined) {
    throw refuse(
      'unsupported_media_type',
      415,
      `unsupported Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')}; use application/x-protobuf or application/json`,
    );
  }
  const enc = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (enc !== 'gzip' && enc !== 'identity' && enc !== '') {
    throw refuse('unsupported_media_type', 415, `unsupported Content-Encoding ${JSON.stringify(enc)}; use gzip or none`);
  }
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limits.maxBodyBytes) throw tooLarge(limits);
  return { signal, format, gzip: enc === 'gzip' };
}

function serverFor(tls: TlsMaterial | undefined): Server {
  const options = { keepAlive: true, requestTimeout: 60_000 };
  if (tls === undefined) return createServer(options);
  return createTlsServer({ ...options, ...tlsServerOptions(tls) });
}

/** Creates the OTLP/HTTP receiver (node:http; the hot path needs no framework). */
export function createHttpReceiver(deps: HttpReceiverDeps): HttpReceiver {
  const tracker = new RequestTracker();
  const server = serverFor(deps.tls);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => tracker.track(handle(deps, req, res, false)));
  // With a listener here Node no longer answers `Expect: 100-continue` itself: handle() sends 100 only to a request it will read.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => tracker.track(handle(deps, req, res, true)));
  server.keepAliveTimeout = 65_000;
  let addr = '';
  return {
    listen: async (host, port) => {
      const a = await listenOn(server, host, port);
      addr = `${deps.tls ? 'https' : 'http'}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
    },
    address: () => addr,
    close: async (deadlineMs) => {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await tracker.drain(deadlineMs);
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * Answers one request. `expectsContinue`: the client sent `Expect: 100-continue`
 * and waits for a 100 before sending the body; it gets one only once the
 * headers pass every check, so a refused body is never sent.
 */
async function handle(deps: HttpReceiverDeps, req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> {
  let format: BodyFormat = 'json';
  await instrumentIngest(
    deps,
    'http',
    async (call) => {
      const pre = precheck(req, deps.auth, deps.limits);
      format = pre.format;
      call.signal = pre.signal;
      if (expectsContinue) {
        res.writeContinue();
        expectsContinue = false;
      }
      // Protobuf bodies the decode pool hands to a worker are read into shared memory
      // (JSON ones are decoded as text, which shared memory does not suit).
      let body = await readBody(req, deps.limits, call.lease, format === 'protobuf' && !pre.gzip ? deps.decoder.offloadFrom(format) : undefined);
      if (pre.gzip) body = await decompress(body, 'gzip', deps.limits.maxDecompressedBytes, call.lease);
      const t1 = performance.now();
      deps.telemetry.record(STAGE_METRIC, t1 - call.startedAt, { signal: pre.signal, stage: 'read' });
      const split = await deps.decoder.decode(pre.signal, format, body);
      deps.telemetry.record(STAGE_METRIC, performance.now() - t1, { signal: pre.signal, stage: format === 'json' ? 'json' : 'split' });
      const result = await deps.ingest(pre.signal, split, Date.now(), call.lease);
      const outcome = { rejected: result.rejected, message: result.message };
      send(res, 200, format, format === 'json' ? exportResponseJson(pre.signal, outcome) : encodeExportResponse(outcome));
    },
    (e) => {
      // The rest of a body within the limit is read and dropped, keeping the connection; a body of unknown
      // or excessive length, or one the client holds back for a 100 Continue it will not get, ends it.
      const declared = declaredLength(req);
      const drain = !req.complete && !expectsContinue && declared !== undefined && declared <= deps.limits.maxBodyBytes;
      if (!req.complete && !drain) closeAfterAnswer(req, res);
      sendError(res, format, e);
      // An unread body would otherwise be parsed as the next request; drain it.
      if (drain) req.resume();
    },
  );
}

function send(res: ServerResponse, status: number, format: BodyFormat, body: string | Uint8Array, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': format === 'json' ? 'application/json' : 'application/x-protobuf',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

/** Answers a refusal (counted by {@link instrumentIngest}): its status, headers and an OTLP status body. */
function sendError(res: ServerResponse, format: BodyFormat, e: IngestError): void {
  const headers: Record<string, string> = {};
  if (e.retryAfterMs !== undefined) headers['retry-after'] = String(Math.ceil(e.retryAfterMs / 1000));
  if (e.statusCode === 405) headers.allow = 'POST';
  if (e.statusCode === 401) headers['www-authenticate'] = 'Bearer';
  const code = grpcCodeOf(e.statusCode);
  const body = format === 'json' ? statusJson(code, e.message, e.retryAfterMs) : encodeStatus(code, e.message, e.retryAfterMs);
  send(res, e.statusCode, format, body, headers);
}

/** The gRPC status code (also google.rpc.Status.code) matching an HTTP status. */
export function grpcCodeOf(status: number): number {
  switch (status) {
    case 401:
      return 16;
    case 404:
      return 12;
    case 429:
      return 8;
    case 503:
      return 14;
    default:
      return status >= 500 ? 13 : 3;
  }
}
