import { constants, createSecureServer, createServer, type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { type Logger, type Telemetry, type TlsMaterial, tlsServerOptions } from '../core/index.ts';
import { encodeExportResponse, encodeStatus, SIGNALS, type Signal } from '../otlp/index.ts';
import type { Authenticator } from './auth.ts';
import type { ByteBudget } from './byte-budget.ts';
import type { DecodePool } from './decode-pool.ts';
import { GRPC_ENCODINGS, readGrpcMessage } from './grpc-message.ts';
import { grpcCodeOf } from './http-receiver.ts';
import { type Ingest, IngestError, STAGE_METRIC } from './ingest.ts';
import { instrumentIngest } from './ingest-instrumentation.ts';
import { LINGER_BYTES } from './linger.ts';
import { listenOn } from './listen.ts';
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
  /** Largest message, as sent and after decompression, in bytes. */
  maxMessageBytes: number;
  /** Serve gRPC over TLS with this material (verifying client certificates when it has a CA); plaintext HTTP/2 when undefined. */
  tls?: TlsMaterial;
}

/** The OTLP/gRPC receiver: the trace, metrics and logs Export services. */
export interface GrpcReceiver {
  listen(host: string, port: number): Promise<void>;
  /** `host:port` once listening. */
  address(): string;
  /** Stops accepting, waits for in-flight calls up to `deadlineMs`, closes. */
  close(deadlineMs: number): Promise<void>;
}

/** A call that sends no data for this long is cancelled, in ms (as OTLP/HTTP's request timeout). */
const IDLE_TIMEOUT_MS = 60_000;

/** HTTP/2 flow-control windows: how much a client may send ahead of the receiver reading it, per call and per connection. */
const STREAM_WINDOW_BYTES = 1024 * 1024;
const SESSION_WINDOW_BYTES = 8 * 1024 * 1024;

const SIGNAL_OF_PATH = new Map<string, Signal>((Object.keys(SIGNALS) as Signal[]).map((s) => [SIGNALS[s].grpcPath, s]));

const { HTTP2_HEADER_PATH, HTTP2_HEADER_CONTENT_TYPE, HTTP2_HEADER_METHOD, HTTP2_HEADER_STATUS } = constants;

/** gRPC codes the receiver answers with beyond those of {@link grpcCodeOf}. */
const RESOURCE_EXHAUSTED = 8;
const UNIMPLEMENTED = 12;

function serverFor(tls: TlsMaterial | undefined): Http2Server {
  // The in-flight budget bounds what calls hold; nghttp2's own per-session cap would refuse streams under load instead.
  // Windows larger than HTTP/2's 64 KiB default: a multi-MiB message would otherwise crawl in at one window per round trip.
  const options = { maxSessionMemory: Number.MAX_SAFE_INTEGER, settings: { initialWindowSize: STREAM_WINDOW_BYTES } };
  if (tls === undefined) return createServer(options);
  return createSecureServer({ ...options, ...tlsServerOptions(tls) });
}

/**
 * Creates the OTLP/gRPC receiver: unary gRPC over node:http2, by hand rather
 * than through @grpc/grpc-js, so that every received piece of a message is
 * charged to the in-flight budget before it is kept (grpc-js buffers a
 * message whole before any handler sees it).
 */
export function createGrpcReceiver(deps: GrpcReceiverDeps): GrpcReceiver {
  const tracker = new RequestTracker();
  const server = serverFor(deps.tls);
  const sessions = new Set<Http2Session>();
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.setLocalWindowSize(SESSION_WINDOW_BYTES);
    session.once('close', () => sessions.delete(session));
  });
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => tracker.track(handleCall(deps, stream, headers)));
  let addr = '';
  return {
    listen: async (host, port) => {
      const a = await listenOn(server, host, port);
      addr = `${host.includes(':') ? `[${host}]` : host}:${a.port}`;
    },
    address: () => addr,
    close: async (deadlineMs) => {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // GOAWAY: clients open no new calls here; running ones finish.
      for (const s of sessions) s.close();
      await tracker.drain(deadlineMs);
      for (const s of sessions) s.destroy();
      await closed;
    },
  };
}

/** Refuses a call that is not an OTLP Export by its headers (path, method, content type, encoding, auth). */
function precheck(headers: IncomingHttpHeaders, auth: Authenticator, peer: string | undefined): { signal: Signal; encoding: string } {
  const path = String(headers[HTTP2_HEADER_PATH] ?? '');
  const signal = SIGNAL_OF_PATH.get(path);
  if (signal === undefined) throw new IngestError('not_found', 404, `no OTLP gRPC method ${path.slice(0, 100)}`);
  if (headers[HTTP2_HEADER_METHOD] !== 'POST') throw new IngestError('method_not_allowed', 405, 'gRPC calls are POST requests');
  const type = String(headers[HTTP2_HEADER_CONTENT_TYPE] ?? '');
  if (!type.startsWith('application/grpc'))
    throw new IngestError('unsupported_media_type', 415, `content-type ${JSON.stringify(type)} is not application/grpc`);
  const authorization = headers.authorization;
  auth.check(Array.isArray(authorization) ? authorization[0] : authorization, `grpc ${signal}`, peer);
  const encoding = String(headers['grpc-encoding'] ?? 'identity');
  if (!(GRPC_ENCODINGS as readonly string[]).includes(encoding)) {
    throw new IngestError('unsupported_media_type', 415, `unsupported grpc-encoding ${JSON.stringify(encoding)}; use ${GRPC_ENCODINGS.join(', ')}`);
  }
  return { signal, encoding };
}

async function handleCall(deps: GrpcReceiverDeps, stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
  stream.setTimeout(IDLE_TIMEOUT_MS, () => stream.close(constants.NGHTTP2_CANCEL));
  // A stream reset by the client with an error code emits 'error'; unheard, that would crash the process.
  stream.on('error', (err) => deps.logger.debug({ err }, 'OTLP/gRPC stream error'));
  await instrumentIngest(
    deps,
    'grpc',
    async (call) => {
      const pre = precheck(headers, deps.auth, stream.session?.socket?.remoteAddress);
      call.signal = pre.signal;
      const body = await readGrpcMessage(stream, pre.encoding, deps.maxMessageBytes, call.lease);
      const t1 = performance.now();
      const split = await deps.decoder.decode(pre.signal, 'protobuf', body);
      deps.telemetry.record(STAGE_METRIC, performance.now() - t1, { signal: pre.signal, stage: 'split' });
      const result = await deps.ingest(pre.signal, split, Date.now(), call.lease);
      answerOk(stream, encodeExportResponse({ rejected: result.rejected, message: result.message }));
    },
    (e) => answerError(stream, e),
  );
}

const RESPONSE_HEADERS = {
  [HTTP2_HEADER_STATUS]: 200,
  [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc+proto',
  'grpc-accept-encoding': GRPC_ENCODINGS.join(','),
};

function answerOk(stream: ServerHttp2Stream, message: Uint8Array): void {
  if (stream.destroyed || stream.headersSent) return;
  const framed = Buffer.alloc(5 + message.length);
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, 5);
  stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
  stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  stream.end(framed);
}

/** A trailers-only answer: the gRPC status, its message, and google.rpc.Status (with RetryInfo when the client may retry). */
function answerError(stream: ServerHttp2Stream, e: IngestError): void {
  if (stream.destroyed || stream.headersSent) return;
  const code = e.reason === 'too_large' ? RESOURCE_EXHAUSTED : e.statusCode === 404 || e.statusCode === 405 ? UNIMPLEMENTED : grpcCodeOf(e.statusCode);
  const details = Buffer.from(encodeStatus(code, e.message, e.retryAfterMs))
    .toString('base64')
    .replace(/=+$/, '');
  stream.respond(
    { ...RESPONSE_HEADERS, 'grpc-status': String(code), 'grpc-message': percentEncode(e.message), 'grpc-status-details-bin': details },
    { endStream: true },
  );
  if (!stream.readableEnded) discardRest(stream);
}

/**
 * Reads and drops what the client still sends after the answer, up to
 * {@link LINGER_BYTES}, then cancels the call. Not at once (HTTP/2 would
 * allow RST_STREAM(NO_ERROR) right after the answer): as with OTLP/HTTP
 * (linger.ts), a client still busy sending may handle the reset before the
 * status, and a client that never reads the status retries.
 */
function discardRest(stream: ServerHttp2Stream): void {
  let dropped = 0;
  stream.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > LINGER_BYTES && !stream.closed) stream.close(constants.NGHTTP2_CANCEL);
  });
  stream.resume();
}

/** grpc-message encoding: UTF-8 with every byte outside printable ASCII, and '%', as %XX. */
function percentEncode(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8'))
    out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}
