import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A broker of a test's own (its own ports and run dir), for tests that stop and restart Kafka without touching the shared one. */
export interface PrivateKafka {
  /** Bootstrap address, `127.0.0.1:<port>`. */
  readonly broker: string;
  /** Starts it (idempotent); fails with what is needed when it cannot. */
  up(): Promise<void>;
  /** Stops it (idempotent). */
  down(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

/** A private broker on `port` (PLAINTEXT) and `port + 1` (controller), managed by infra/kafka/kafka.sh. */
export function privateKafka(port: number, name: string): PrivateKafka {
  const runDir = mkdtempSync(join(tmpdir(), `zeroops-kafka-${name}-`));
  const env = { ...process.env, ZEROOPS_KAFKA_PORT: String(port), ZEROOPS_KAFKA_CONTROLLER_PORT: String(port + 1), ZEROOPS_KAFKA_RUN_DIR: runDir };
  async function kafka(cmd: 'up' | 'down'): Promise<void> {
    try {
      await run('infra/kafka/kafka.sh', [cmd], { env, timeout: 120_000 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`private Kafka broker \`${cmd}\` failed (needs Java 17+ and the jars: make kafka-up fetches them): ${e.stderr ?? e.message}`);
    }
  }
  return {
    broker: `127.0.0.1:${port}`,
    up: () => kafka('up'),
    down: () => kafka('down'),
    async destroy() {
      await kafka('down');
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}
