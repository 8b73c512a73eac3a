/**
 * Entry point of one demo service replica (a child process of the demo
 * supervisor). Its configuration is the single JSON argument; the supervisor
 * talks to it over IPC (see protocol.ts). It exits when the supervisor goes.
 */
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { EffectState, runProcessEffects } from './process-effects.ts';
import type { FromProcess, ServiceProcessConfig, ToProcess } from './protocol.ts';
import { handleRequest } from './request-handler.ts';
import { SlotPool, WorkQueue } from './slot-pool.ts';
import { observePool, startTelemetry } from './telemetry.ts';

const POOL_WAIT_MS = 3_000;
const MAX_BACKLOG_MS = 2_000;

function send(msg: FromProcess): void {
  process.send?.(msg);
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as ServiceProcessConfig;
  const startedAt = Date.now();
  const telemetry = startTelemetry(cfg);
  // Required only now, after the SDK started, so that the HTTP instrumentation wraps it.
  const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');
  const effects = new EffectState();
  effects.set(cfg.effects);
  let flags = { ...cfg.flags };
  const cache = new Map<string, number>();
  const pool = new SlotPool(cfg.spec.concurrency, cfg.spec.queueLimit, POOL_WAIT_MS);
  observePool(pool, cfg.spec.name);
  const work = new WorkQueue(cfg.capacityRps, MAX_BACKLOG_MS);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let loopP50 = 0;
  setInterval(() => {
    loopP50 = loop.percentile(50) / 1e6;
    loop.reset();
  }, 3_000).unref();
  const deps = { http, cfg, effects, pool, work, telemetry, flags: () => flags, cache, loopDelayP50Ms: () => loopP50 };
  const server = http.createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    void handleRequest(deps, req, res);
  });
  const stopEffects = runProcessEffects(effects, pool, telemetry, startedAt);
  process.on('message', (raw) => {
    const msg = raw as ToProcess;
    if (msg.type === 'effects') effects.set(msg.effects);
    else if (msg.type === 'flags') flags = { ...msg.flags };
    else if (msg.type === 'cache-clear') {
      const entries = cache.size;
      cache.clear();
      send({ type: 'cache-cleared', entries });
    }
  });
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    stopEffects();
    server.close();
    server.closeAllConnections();
    setTimeout(() => process.exit(code), 2_000).unref();
    telemetry.shutdown().finally(() => process.exit(code));
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));
  process.on('disconnect', () => stop(0));
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    telemetry.log('info', `${cfg.spec.name} ${cfg.version} started`, { 'service.instance.id': cfg.instanceId });
    send({ type: 'ready', port: typeof addr === 'object' && addr ? addr.port : 0 });
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`demo service failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
