/**
 * The process under load in the ingest benchmark: either the collector (on
 * the real Kafka broker) or a null endpoint (reads the body, answers 200).
 * Started by bench-ingest.ts as `node --import tsx bench-server.ts <mode>`;
 * prints one JSON line `{ "http": "http://..." }` once listening and stops on
 * SIGTERM.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createKafkaBus } from '../../../services/bus/kafka-bus.ts';
import { topicNames } from '../../../services/bus/topics.ts';
import { createCollector } from '../../../services/collector/index.ts';
import { createLogger, createTelemetry, loadConfig } from '../../../services/core/index.ts';

async function startNull(): Promise<{ address: string; stop(): Promise<void> }> {
  const server = createServer({ keepAlive: true }, (req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
    });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0', 'x-bytes': String(n) });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address() as AddressInfo;
  return { address: `http://127.0.0.1:${a.port}`, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function startCollector(brokers: string[]): Promise<{ address: string; stop(): Promise<void> }> {
  const logger = createLogger({ level: 'warn', name: 'bench-collector' });
  const bus = createKafkaBus({ brokers, clientId: 'bench-collector', logger, connectTimeoutMs: 20_000, defaultPartitions: 8 });
  await bus.connect();
  const topics = topicNames(`bench-${Date.now().toString(36)}.`);
  await bus.ensureTopics([topics.traces, topics.metrics, topics.logs].map((name) => ({ name, partitions: 8 })));
  const config = loadConfig({}, { otlpHttpPort: 0, otlpGrpcPort: 0, logLevel: 'warn' });
  const collector = createCollector({ bus, logger, telemetry: createTelemetry(), topics }, config);
  await collector.start();
  return {
    address: collector.httpAddress(),
    async stop() {
      await collector.stop(5_000);
      await bus.close();
    },
  };
}

const mode = process.argv[2] ?? 'collector';
const brokers = (process.argv[3] ?? '127.0.0.1:19092').split(',');
const server = mode === 'null' ? await startNull() : await startCollector(brokers);
process.stdout.write(`${JSON.stringify({ http: server.address })}\n`);
process.once('SIGTERM', () => {
  server.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`stop failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
});
