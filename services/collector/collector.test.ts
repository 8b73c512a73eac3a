import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Bus } from '../bus/bus.ts';
import { createMemoryBus } from '../bus/memory-bus.ts';
import { topicNames } from '../bus/topics.ts';
import { createTelemetry, loadConfig, silentLogger } from '../core/index.ts';
import { encodeExportRequest } from '../otlp/index.ts';
import { createCollector } from './index.ts';

function make(bus: Bus, ports = { otlpHttpPort: 0, otlpGrpcPort: 0 }) {
  return createCollector({ bus, logger: silentLogger(), telemetry: createTelemetry(), topics: topicNames('') }, loadConfig({}, ports));
}

describe('collector lifecycle', () => {
  it('stop() is safe before start() and idempotent; addresses are the bound ports', async () => {
    const bus = createMemoryBus();
    const before = make(bus);
    await before.stop();
    await before.stop();
    const c = make(bus);
    expect(c.httpAddress()).toBe('');
    await c.start();
    expect(c.httpAddress()).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(c.grpcAddress()).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    await c.stop(1_000);
    await c.stop(1_000);
    await expect(fetch(`${c.httpAddress()}/v1/traces`, { method: 'POST' })).rejects.toThrow();
    await bus.close();
  });

  it('start() rejects with the bind error when a port is taken, for either receiver', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const bus = createMemoryBus();
    for (const ports of [
      { otlpHttpPort: port, otlpGrpcPort: 0 },
      { otlpHttpPort: 0, otlpGrpcPort: port },
    ]) {
      const c = make(bus, ports);
      await expect(c.start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
      await c.stop(1_000);
    }
    await new Promise<void>((resolve) => taken.close(() => resolve()));
    await bus.close();
  });

  it('stop() lets an in-flight request finish (answered 200) before closing', async () => {
    const inner = createMemoryBus();
    await inner.connect();
    let open = (): void => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    // The real memory bus behind a gate that holds publishes until the test opens it.
    const bus: Bus = { ...inner, publish: async (topic, records) => gate.then(() => inner.publish(topic, records)) };
    const c = make(bus);
    await c.start();
    const body = encodeExportRequest('logs', { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'last words' } }] }] }] });
    const pending = fetch(`${c.httpAddress()}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
    while (c.bytesInFlight() === 0) await new Promise((r) => setTimeout(r, 5));
    let stopped = false;
    const stopping = c.stop(5_000).then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).toBe(false);
    open();
    expect((await pending).status).toBe(200);
    await stopping;
    expect(c.bytesInFlight()).toBe(0);
    await inner.close();
  });
});
