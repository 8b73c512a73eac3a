/**
 * The trainer on both buses (memory, Kafka) and both stores (Postgres,
 * PGlite): outcomes become arm counts exactly once per execution, across a
 * restart and a republication; a playbook with an autonomy rule climbs
 * observe -> suggest -> auto by its record and is demoted by a made_worse
 * outcome, each change audited; a pinned mode wins; an undecodable outcome
 * or label is counted and dropped, and the rest of its batch is applied.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, createMemoryBus, topicNames } from '../../../services/bus/index.ts';
import { encodeFeedback, encodeOutcome, type OutcomeEvent } from '../../../services/bus/messages.ts';
import type { Component } from '../../../services/core/component.ts';
import { loadConfig } from '../../../services/core/config.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { assertPlaybook, createPlaybook } from '../../../services/playbooks/index.ts';
import { auditLog, createStore, playbookModes, policyArms, type Store } from '../../../services/store/index.ts';
import { createTrainer, pinPlaybookMode, readModeHistory } from '../../../services/trainer/index.ts';
import { outcomeEvent } from '../../fixtures/outcome.ts';
import { connectTestKafkaBus, uniqueName } from '../../helpers/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';

const until = async <T>(what: string, f: () => Promise<T | false | undefined>, ms = 20_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const cases = [
  { bus: 'memory', store: 'postgres' },
  { bus: 'kafka', store: 'pglite' },
  { bus: 'memory', store: 'pglite' },
  { bus: 'kafka', store: 'postgres' },
] as const;

describe.each(cases)('trainer on the $bus bus and $store store', ({ bus: busKind, store: storeKind }) => {
  let bus: Bus;
  let store: Store;
  let pg: TestDatabase | undefined;
  const prefix = busKind === 'kafka' ? `${uniqueName('trainer')}.` : '';
  const topics = topicNames(prefix);
  const config = loadConfig({ ZEROOPS_TOPIC_PREFIX: prefix, ZEROOPS_TOPIC_PARTITIONS: '2' });
  const running: Component[] = [];
  let watched = '';
  let restricted = '';

  beforeAll(async () => {
    bus = busKind === 'kafka' ? await connectTestKafkaBus({ defaultPartitions: 2 }) : createMemoryBus({ partitions: 2 });
    if (busKind === 'memory') await bus.connect();
    pg = storeKind === 'postgres' ? await createTestDatabase() : undefined;
    store = await createStore({ databaseUrl: pg?.url ?? '', dataDir: ':memory:', poolSize: 4, connectTimeoutMs: 5_000, logger: silentLogger() });
    const spec = (name: string, extra: Record<string, unknown>) =>
      assertPlaybook(
        { name, mode: 'observe', match: { service: '*' }, steps: [{ id: 'w', type: 'wait', wait: { seconds: 0 } }], ...extra },
        { secrets: {}, commandAllowlist: [], httpAllowlist: [] },
      );
    watched = (
      await createPlaybook(
        store.db,
        spec('watched', { autonomy: { suggest: { successes: 0, lcb: 0, observed: 2 }, auto: { successes: 4, lcb: 0.4 }, failureStreak: 2 } }),
        'test',
      )
    ).id;
    restricted = (
      await createPlaybook(store.db, spec('restricted', { autonomy: { suggest: { successes: 1, lcb: 0 }, auto: { successes: 2, lcb: 0 } } }), 'test')
    ).id;
  });
  afterAll(async () => {
    for (const c of running) await c.stop();
    await bus?.close();
    await store?.close();
    await pg?.drop();
  });

  const start = async (telemetry = createTelemetry()) => {
    const t = createTrainer({ bus, store, logger: silentLogger(), telemetry, topics }, config);
    running.push(t);
    await t.start();
    await until('the trainer to join', async () => t.ready?.() === 'ok');
    return t;
  };
  const publish = (os: OutcomeEvent[]) =>
    bus.publish(
      topics.outcomes,
      os.map((o) => ({ key: o.service, value: encodeOutcome(o) })),
    );
  const arm = async (pb: string) => (await store.db.select().from(policyArms).where(eq(policyArms.playbookId, pb)))[0];
  const mode = async (pb: string) => (await store.db.select().from(playbookModes).where(eq(playbookModes.playbookId, pb)))[0];

  it('counts each execution once: duplicates, a republication after a restart and ignored outcomes change nothing', async () => {
    const t = await start();
    const first = [
      outcomeEvent({ playbookId: 'pb-a', outcome: 'resolved' }),
      outcomeEvent({ playbookId: 'pb-a', outcome: 'not_resolved' }),
      outcomeEvent({ playbookId: 'pb-a', outcome: 'made_worse' }),
      outcomeEvent({ playbookId: 'pb-a', outcome: 'skipped', reason: 'guardrail cooldown: 10 s' }),
      outcomeEvent({ playbookId: 'pb-a', outcome: 'awaiting_approval' }),
    ];
    await publish([...first, first[0] as OutcomeEvent, first[1] as OutcomeEvent]);
    await until('three counted outcomes', async () => {
      const a = await arm('pb-a');
      return a && a.successes + a.failures === 3 && a;
    });
    await t.stop();
    // The outbox is at-least-once: the same outcomes again, to a restarted trainer, plus one new success.
    await publish([...first, outcomeEvent({ playbookId: 'pb-a', outcome: 'resolved' })]);
    await start();
    const a = await until('the new success', async () => {
      const r = await arm('pb-a');
      return r && r.successes === 2 && r;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(await arm('pb-a')).toMatchObject({ signature: 'checkout|latency|', successes: 2, failures: 2, kind: 'latency' });
    expect(a.service).toBe('checkout');
  });

  it('drops an undecodable outcome or label, counts it, and applies the rest of its batch', async () => {
    // One trainer in the group, so that it is the one that reads both batches.
    for (const c of running.splice(0)) await c.stop();
    const telemetry = createTelemetry();
    await start(telemetry);
    const junk = new Uint8Array([0xff, 0xff, 0xff, 0xff]);
    await bus.publish(topics.outcomes, [
      { key: 'checkout', value: junk },
      { key: 'checkout', value: encodeOutcome(outcomeEvent({ playbookId: 'pb-junk', outcome: 'resolved' })) },
    ]);
    const label = { id: `fb-${Date.now()}`, label: 'missed' as const, service: 'checkout', episodeId: '', actor: 'alice', note: '' };
    const now = Date.now();
    await bus.publish(topics.feedback, [
      { key: 'checkout', value: junk },
      { key: 'checkout', value: encodeFeedback({ ...label, fromUnixMs: now - 60_000, toUnixMs: now, createdUnixMs: now }) },
    ]);
    await until('the outcome after the junk applied', async () => (await arm('pb-junk'))?.successes === 1);
    const labels = () => Object.entries(telemetry.snapshot()).filter(([k]) => k.startsWith('zeroops.trainer.labels'));
    await until('the label after the junk applied', async () => labels().length > 0);
    expect(labels()[0]?.[0]).toContain('label=missed');
    expect(telemetry.snapshot()['zeroops.trainer.invalid_messages']).toBe(2);
  });

  it('moves a playbook observe -> suggest -> auto by its record, demotes it on made_worse, and audits each change', async () => {
    const wouldRun = () => outcomeEvent({ playbookId: watched, outcome: 'skipped', reason: 'observe mode: would run w' });
    await publish([
      wouldRun(),
      outcomeEvent({ playbookId: watched, outcome: 'skipped', reason: 'observe mode: guardrail cooldown would skip it' }),
      wouldRun(),
    ]);
    await until('suggest', async () => (await mode(watched))?.mode === 'suggest');
    await publish(Array.from({ length: 4 }, () => outcomeEvent({ playbookId: watched, outcome: 'resolved' })));
    await until('auto', async () => (await mode(watched))?.mode === 'auto');
    await publish([outcomeEvent({ playbookId: watched, outcome: 'made_worse' })]);
    const row = await until('demoted', async () => {
      const m = await mode(watched);
      return m?.mode === 'suggest' && m;
    });
    expect(row).toMatchObject({ successes: 4, failures: 1, pinned: false });
    const history = await readModeHistory(store.db, watched);
    expect(history.map((h) => (h.details as { to: string }).to)).toEqual(['suggest', 'auto', 'suggest']);
    expect(history[0]?.details).toMatchObject({ reason: expect.stringMatching(/made the anomaly worse/) });
  });

  it('a pinned mode wins over the record until unpinned', async () => {
    await pinPlaybookMode(store.db, restricted, 'observe', 'observe', 'alice', 'change freeze');
    await publish(Array.from({ length: 3 }, () => outcomeEvent({ playbookId: restricted, outcome: 'resolved' })));
    await until('three successes counted', async () => (await mode(restricted))?.successes === 3);
    expect(await mode(restricted)).toMatchObject({ mode: 'observe', pinned: true });
    await pinPlaybookMode(store.db, restricted, 'observe', undefined, 'alice', '');
    await publish([outcomeEvent({ playbookId: restricted, outcome: 'resolved' })]);
    await until('suggest after unpinning', async () => (await mode(restricted))?.mode === 'suggest');
    const actions = (await store.db.select().from(auditLog).where(eq(auditLog.subjectId, restricted))).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['playbook.mode.pin', 'playbook.mode.unpin', 'playbook.mode']));
  });
});
