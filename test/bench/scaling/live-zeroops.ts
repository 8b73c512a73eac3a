/**
 * zeroops embedded (one runtime, memory bus, PGlite) in a process of its own,
 * for one side of `make bench-scaling ARGS=--live`. In the side's process it
 * shared the event loop with the demo slice's load balancers and the load
 * generator, so every synchronous stretch of its work (a load forecast every
 * 30 s on the predictive side, PGlite queries, the detector's scoring) held
 * every request in flight through the balancers: a cost of the test bed, not
 * of the scaling, and one the predictive side paid more of. Here the host's
 * scheduler shares the CPU between the processes instead.
 *
 * The side asks it over IPC for what it did on the runtime's store: back-fill
 * a service's request-rate history, and read the rollups the detector wrote.
 * Run as `tsx live-zeroops.ts '<env as JSON>'` by {@link startZeroopsProcess}.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { and, eq, gt, lte } from 'drizzle-orm';
import { type Runtime, SERVICE_NAMES, startRuntime } from '../../../services/cli/runtime.ts';
import { loadConfig } from '../../../services/core/config.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { rollups, services } from '../../../services/store/index.ts';

/** One back-filled or recorded window of a service's request rate. */
export interface RateWindow {
  /** Window end, Unix ms. */
  endMs: number;
  /** Requests per second. */
  rate: number;
}

/** What the side asks (each request carries an id its answer repeats). */
type Ask =
  | { type: 'backfill'; id: number; service: string; windows: RateWindow[]; replaceUpToMs: number }
  | { type: 'rollups'; id: number; service: string; afterMs: number }
  | { type: 'stop'; id: number };

/** A request before its id is set. */
type Request = { [K in Ask['type']]: Omit<Extract<Ask, { type: K }>, 'id'> }[Ask['type']];

/** What the zeroops process answers. */
type Answer = { type: 'up'; api: string; otlpHttp: string } | { type: 'done'; id: number; windows?: RateWindow[]; error?: string };

/** A zeroops process as the side sees it. */
export interface ZeroopsProcess {
  /** The process zeroops runs in. */
  pid: number;
  /** Base URL of its REST API. */
  api: string;
  /** Its OTLP/HTTP endpoint (where the demo's replicas export). */
  otlpHttp: string;
  /** Replaces `service`'s rollups up to `replaceUpToMs` with `windows` (request_rate only). */
  backfill(service: string, windows: RateWindow[], replaceUpToMs: number): Promise<void>;
  /** The request rate the detector recorded for `service` in windows ending after `afterMs`. */
  rollupsAfter(service: string, afterMs: number): Promise<RateWindow[]>;
  /** Stops the runtime and waits for the process to exit. */
  stop(): Promise<void>;
}

const SELF = fileURLToPath(import.meta.url);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** Forks zeroops with `env` (ZEROOPS_* settings, as `loadConfig` reads them); resolves once its listeners serve. */
export async function startZeroopsProcess(env: Record<string, string>): Promise<ZeroopsProcess> {
  const child = fork(SELF, [JSON.stringify(env)], { cwd: REPO, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve: (a: Answer & { type: 'done' }) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then((code) => {
    for (const p of pending.values()) p.reject(new Error(`the zeroops process exited (${code})`));
    pending.clear();
  });
  const up = new Promise<Answer & { type: 'up' }>((resolve, reject) => {
    child.on('message', (m: Answer) => {
      if (m.type === 'up') resolve(m);
      else {
        pending.get(m.id)?.resolve(m);
        pending.delete(m.id);
      }
    });
    void exited.then((code) => reject(new Error(`the zeroops process exited (${code}) before it served`)));
  });
  const ask = (msg: Request): Promise<Answer & { type: 'done' }> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, {
        resolve: (a) => (a.error ? reject(new Error(a.error)) : resolve(a)),
        reject,
      });
      child.send({ ...msg, id });
    });
  const u = await up;
  return {
    pid: child.pid as number,
    api: u.api,
    otlpHttp: u.otlpHttp,
    backfill: async (service, windows, replaceUpToMs) => {
      await ask({ type: 'backfill', service, windows, replaceUpToMs });
    },
    rollupsAfter: async (service, afterMs) => (await ask({ type: 'rollups', service, afterMs })).windows ?? [],
    stop: async () => {
      if (child.exitCode !== null) return;
      await ask({ type: 'stop' }).catch(() => undefined);
      await exited;
    },
  };
}

/** The store requests of the side on a running runtime's store. */
function storeOps(rt: Runtime): Pick<ZeroopsProcess, 'backfill' | 'rollupsAfter'> {
  const db = rt.store.db;
  return {
    backfill: async (service, windows, replaceUpToMs) => {
      await db.insert(services).values({ name: service }).onConflictDoNothing();
      await db.delete(rollups).where(and(eq(rollups.service, service), lte(rollups.windowEnd, new Date(replaceUpToMs))));
      const rows = windows.map((w) => ({ service, windowEnd: new Date(w.endMs), features: { request_rate: w.rate }, score: 0.1 }));
      for (let i = 0; i < rows.length; i += 500) await db.insert(rollups).values(rows.slice(i, i + 500));
    },
    rollupsAfter: async (service, afterMs) => {
      const rows = await db
        .select()
        .from(rollups)
        .where(and(eq(rollups.service, service), gt(rollups.windowEnd, new Date(afterMs))));
      return rows.flatMap((r) => (typeof r.features.request_rate === 'number' ? [{ endMs: r.windowEnd.getTime(), rate: r.features.request_rate }] : []));
    },
  };
}

/**
 * zeroops in the calling process instead (`--zeroops-in-process`: the layout
 * before, to measure what the separate process changes).
 */
export async function startZeroopsInProcess(env: Record<string, string>): Promise<ZeroopsProcess> {
  const rt = await startRuntime(loadConfig(env), silentLogger(), SERVICE_NAMES);
  return { pid: process.pid, api: rt.addresses.api as string, otlpHttp: rt.addresses.otlpHttp as string, ...storeOps(rt), stop: () => rt.stop() };
}

/** The child: starts the runtime, says `up`, then answers the side's requests until `stop`. */
async function serve(env: Record<string, string>): Promise<void> {
  const rt = await startRuntime(loadConfig(env), silentLogger(), SERVICE_NAMES);
  const ops = storeOps(rt);
  const handle = async (m: Ask): Promise<Answer & { type: 'done' }> => {
    if (m.type === 'backfill') {
      await ops.backfill(m.service, m.windows, m.replaceUpToMs);
      return { type: 'done', id: m.id };
    }
    if (m.type === 'rollups') return { type: 'done', id: m.id, windows: await ops.rollupsAfter(m.service, m.afterMs) };
    await rt.stop();
    return { type: 'done', id: m.id };
  };
  process.on('message', (m: Ask) => {
    handle(m).then(
      // After `stop` the runtime is closed: exit once the answer is out (a stray timer would keep the process alive).
      (a) => process.send?.(a, () => m.type === 'stop' && process.exit(0)),
      (err: unknown) => process.send?.({ type: 'done', id: m.id, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  process.send?.({ type: 'up', api: rt.addresses.api as string, otlpHttp: rt.addresses.otlpHttp as string });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  serve(JSON.parse(process.argv[2] ?? '{}') as Record<string, string>).catch((err: unknown) => {
    process.stderr.write(`bench-scaling --live zeroops: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
