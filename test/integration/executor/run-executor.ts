/**
 * Runs one executor as its own process (for the crash/resume and replica
 * tests): configuration from the environment (DATABASE_URL, KAFKA_BROKERS,
 * ZEROOPS_TOPIC_PREFIX, ZEROOPS_HTTP_ALLOWLIST, ...), tuning from arguments:
 *   node --import tsx run-executor.ts --lease-ms 2000 --poll-ms 100 --worker w1 [--forecast-eval-ms 30000]
 * Prints `ready` once consuming; stops gracefully on SIGTERM.
 */
import { parseArgs } from 'node:util';
import { createBus, topicNames } from '../../../services/bus/index.ts';
import { loadConfig } from '../../../services/core/config.ts';
import { createLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { createExecutor } from '../../../services/executor/index.ts';
import { createStore } from '../../../services/store/index.ts';

const { values } = parseArgs({
  options: {
    'lease-ms': { type: 'string', default: '2000' },
    'poll-ms': { type: 'string', default: '100' },
    worker: { type: 'string', default: `w${process.pid}` },
    'forecast-eval-ms': { type: 'string', default: '30000' },
  },
});
const config = loadConfig();
const logger = createLogger({ level: config.logLevel, name: values.worker });
const store = await createStore({
  databaseUrl: config.databaseUrl,
  dataDir: config.dataDir,
  poolSize: config.databasePool,
  connectTimeoutMs: config.connectTimeoutMs,
  logger,
});
const bus = createBus(config, logger);
await bus.connect();
const executor = createExecutor(
  {
    bus,
    store,
    logger,
    telemetry: createTelemetry(),
    topics: topicNames(config.topicPrefix),
    options: {
      leaseMs: Number(values['lease-ms']),
      pollMs: Number(values['poll-ms']),
      workerId: values.worker,
      forecastEvalMs: Number(values['forecast-eval-ms']),
    },
  },
  config,
);
await executor.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void (async () => {
    await executor.stop(5_000);
    await bus.close();
    await store.close();
    process.exit(0);
  })();
});
