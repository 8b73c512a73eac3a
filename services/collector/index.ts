/**
 * The collector: OTLP/gRPC (:4317) and OTLP/HTTP (:4318) ingest of traces,
 * metrics and logs. Each request is validated, split by resource and
 * published as one record per resource (key service.name, value the
 * resource's OTLP protobuf) to the signal's topic; the client is answered
 * 200 / OK only once the bus has durably taken the records.
 */

import { createDenialRecorder, createTokenRegistry, type TokenRegistry } from '../auth/index.ts';
import type { Bus } from '../bus/bus.ts';
import type { TopicId } from '../bus/topics.ts';
import { type CollectorConfig, type Component, type Logger, loadTls, type Telemetry } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import { createAuthenticator } from './auth.ts';
import { ByteBudget } from './byte-budget.ts';
import { createDecodePool } from './decode-pool.ts';
import { createGrpcReceiver } from './grpc-receiver.ts';
import { createHttpReceiver } from './http-receiver.ts';
import { createIngest } from './ingest.ts';

export { IngestError, type IngestResult, RETRY_AFTER_MS, type RefusalReason, STAGE_METRIC } from './ingest.ts';

/** Runtime dependencies of the collector. */
export interface CollectorSettings {
  bus: Bus;
  logger: Logger;
  telemetry: Telemetry;
  /** Topic names by id (see services/bus/topics.ts `topicNames`). */
  topics: Record<TopicId, string>;
  /** Where ingest tokens created through the API live, and where refusals are audited; without it only ZEROOPS_INGEST_TOKENS count. */
  store?: Store;
  /** The process's shared token registry (the runtime's); without it the collector keeps its own over `store`. */
  tokens?: TokenRegistry;
}

/** The running collector. */
export interface Collector extends Component {
  /** Base URL of the OTLP/HTTP receiver, e.g. `http://127.0.0.1:4318` (the bound port when configured as 0). Empty before start. */
  httpAddress(): string;
  /** `host:port` of the OTLP/gRPC receiver. Empty before start. */
  grpcAddress(): string;
  /** Request bytes held right now (bounded by config.collectorMaxInflightBytes). */
  bytesInFlight(): number;
  /** Decode worker threads running (0 before start, after stop, or when bodies are decoded inline). */
  jsonWorkers(): number;
}

/**
 * Creates the collector. Uses config.host, otlpHttpPort, otlpGrpcPort,
 * maxBodyBytes, maxDecompressedBytes, maxItemsPerRequest, ingestTokens,
 * collectorMaxInflightBytes, collectorPublishTimeoutMs, collectorJsonWorkers and the TLS
 * files (tlsCertFile, tlsKeyFile, tlsClientCaFile; read here, a PermanentError when unreadable). `stop()` stops
 * intake, lets in-flight requests finish (up to the deadline) and closes both
 * servers; it does not close the bus (the caller owns it).
 */
export function createCollector(settings: CollectorSettings, config: CollectorConfig): Collector {
  const { bus, telemetry } = settings;
  const logger = settings.logger.child({ component: 'collector' });
  const budget = new ByteBudget(config.collectorMaxInflightBytes);
  const tokens =
    settings.tokens ??
    createTokenRegistry({
      db: settings.store?.db,
      apiTokens: [],
      ingestTokens: config.ingestTokens,
      refreshMs: config.tokenCacheSeconds * 1000,
      logger,
    });
  const denials = createDenialRecorder({ db: settings.store?.db, telemetry, logger });
  const auth = createAuthenticator(tokens, denials);
  const ingest = createIngest({
    bus,
    telemetry,
    topics: { traces: settings.topics.traces, metrics: settings.topics.metrics, logs: settings.topics.logs },
    maxItemsPerRequest: config.maxItemsPerRequest,
    publishTimeoutMs: config.collectorPublishTimeoutMs,
  });
  const limits = { maxBodyBytes: config.maxBodyBytes, maxDecompressedBytes: config.maxDecompressedBytes };
  const decoder = createDecodePool(config.collectorJsonWorkers, logger);
  const tls = loadTls(config, 'ingest');
  const http = createHttpReceiver({ ingest, decoder, budget, limits, auth, telemetry, logger, tls });
  const grpc = createGrpcReceiver({ ingest, decoder, budget, auth, telemetry, logger, maxMessageBytes: config.maxDecompressedBytes, tls });
  let state: 'new' | 'started' | 'stopped' = 'new';
  return {
    name: 'collector',
    async start() {
      if (state !== 'new') return;
      if (!settings.tokens) await tokens.start();
      await decoder.start();
      try {
        await http.listen(config.host, config.otlpHttpPort);
      } catch (err) {
        await decoder.stop();
        throw err;
      }
      try {
        await grpc.listen(config.host, config.otlpGrpcPort);
      } catch (err) {
        await http.close(0);
        await decoder.stop();
        throw err;
      }
      state = 'started';
      logger.info(
        { http: http.address(), grpc: grpc.address(), auth: tokens.ingestEnforced(), tls: tls ? (tls.ca ? 'mutual' : 'server') : 'off' },
        'collector listening',
      );
    },
    async stop(deadlineMs = config.shutdownTimeoutMs) {
      if (state !== 'started') {
        state = 'stopped';
        return;
      }
      state = 'stopped';
      await Promise.all([http.close(deadlineMs), grpc.close(deadlineMs)]);
      // Only now: the drained HTTP requests were the workers' last users.
      await decoder.stop();
      if (!settings.tokens) tokens.stop();
      await denials.settled();
      logger.info('collector stopped');
    },
    ready: () => (state === 'started' ? 'ok' : state === 'new' ? 'OTLP listeners not bound yet' : 'stopped'),
    httpAddress: () => http.address(),
    grpcAddress: () => grpc.address(),
    bytesInFlight: () => budget.inUse(),
    jsonWorkers: () => decoder.workers(),
  };
}
