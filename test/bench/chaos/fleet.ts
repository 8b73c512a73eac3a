import { createServer } from 'node:net';
import { spawnZeroops, type ZeroopsProcess } from '../../helpers/zeroops-process.ts';

/** Picks a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** One supervised zeroops process of the fleet: its command, ports and the current child. */
export interface Member {
  name: string;
  command: 'collector' | 'detector' | 'executor' | 'api';
  env: Record<string, string>;
  proc: ZeroopsProcess;
  /** Base URLs, when it listens. */
  otlpHttp?: string;
  api?: string;
}

/** Starts one process and waits until it says it runs. */
async function launch(command: Member['command'], env: Record<string, string>): Promise<ZeroopsProcess> {
  const proc = spawnZeroops([command], env);
  await proc.waitFor(/zeroops .* running/, 90_000);
  return proc;
}

/** Starts two processes of each service against `base` settings (Kafka + Postgres). */
export async function startFleet(base: Record<string, string>): Promise<Member[]> {
  const members: Member[] = [];
  for (const command of ['executor', 'detector', 'api', 'collector'] as const) {
    for (const i of [1, 2]) {
      const http = await freePort();
      const env = {
        ...base,
        ZEROOPS_OTLP_HTTP_PORT: String(http),
        ZEROOPS_OTLP_GRPC_PORT: String(await freePort()),
        ZEROOPS_API_PORT: String(await freePort()),
      };
      const m: Member = { name: `${command}-${i}`, command, env, proc: await launch(command, env) };
      if (command === 'collector') m.otlpHttp = `http://127.0.0.1:${http}`;
      if (command === 'api') m.api = `http://127.0.0.1:${env.ZEROOPS_API_PORT}`;
      members.push(m);
    }
  }
  return members;
}

/** kill -9, then start it again at once (as an orchestrator would); resolves when the new process runs. */
export async function killAndRestart(m: Member): Promise<void> {
  m.proc.child.kill('SIGKILL');
  await m.proc.exited;
  m.proc = await launch(m.command, m.env);
}

/** SIGTERM every member and wait for them. */
export async function stopFleet(members: Member[]): Promise<void> {
  await Promise.all(
    members.map(async (m) => {
      m.proc.child.kill('SIGTERM');
      const t = setTimeout(() => m.proc.child.kill('SIGKILL'), 30_000);
      await m.proc.exited;
      clearTimeout(t);
    }),
  );
}
