/**
 * The two ways zeroops runs, as test environments for `describe.each`: the
 * embedded default (in-process bus, PGlite in a fresh data directory) and
 * production (the test Kafka broker under a unique topic prefix, a fresh
 * Postgres database). Each `setup()` gives the environment variables of a
 * zeroops process and how to clean up after it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertKafkaReachable, testKafkaBrokers, uniqueName } from './kafka.ts';
import { createTestDatabase } from './postgres.ts';

/** One way to run zeroops in a test. */
export interface RunMode {
  name: string;
  setup(): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }>;
}

/** Embedded (first) and Kafka + Postgres; `tag` names the data directory and the topic prefix. */
export function runModes(tag: string): RunMode[] {
  return [
    {
      name: 'embedded (in-process bus + PGlite)',
      setup: async () => ({ env: { ZEROOPS_DATA_DIR: mkdtempSync(join(tmpdir(), `zeroops-${tag}-`)) }, cleanup: async () => undefined }),
    },
    {
      name: 'Kafka + Postgres',
      async setup() {
        await assertKafkaReachable();
        const db = await createTestDatabase();
        return {
          env: { KAFKA_BROKERS: testKafkaBrokers().join(','), DATABASE_URL: db.url, ZEROOPS_TOPIC_PREFIX: `${uniqueName(tag)}.` },
          cleanup: () => db.drop(),
        };
      },
    },
  ];
}
