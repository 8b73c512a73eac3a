/**
 * The baseline parameters' versions in the model registry, on PGlite and
 * Postgres: a parameter set is registered once (again and again, and by
 * replicas starting at once, it stays one row), another set becomes the
 * active version with the first as its parent, and going back to the first
 * set reactivates its row rather than registering a new one.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baselineParameters, canonicalJson } from '../../../models/fleet/index.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { baselinesIdOf, ensureBaselinesVersion, episodeConfig, modelInState } from '../../../services/detector/index.ts';
import { createStore, modelVersions, type Store } from '../../../services/store/index.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';

/** The parameters a detector with `windowSeconds` windows runs with. */
function paramsOf(windowSeconds: number): { canonical: string; params: Record<string, unknown> } {
  const params = baselineParameters({ episode: episodeConfig(windowSeconds * 1000) });
  return { canonical: canonicalJson(params), params };
}

describe.each(['postgres', 'pglite'] as const)('baselines versions on %s', (kind) => {
  let pg: TestDatabase | undefined;
  let store: Store;

  beforeAll(async () => {
    pg = kind === 'postgres' ? await createTestDatabase() : undefined;
    store = await createStore({ databaseUrl: pg?.url ?? '', dataDir: ':memory:', poolSize: 4, connectTimeoutMs: 5_000, logger: silentLogger() });
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await pg?.drop();
  });

  const rows = async () => store.db.select().from(modelVersions).where(eq(modelVersions.kind, 'baselines'));

  it('registers each parameter set once and keeps the active one the set last started with', async () => {
    const a = paramsOf(10);
    const b = paramsOf(5);
    // Replicas starting at once on an empty registry, then a restart with the same parameters: one version.
    const ids = await Promise.all([0, 1, 2].map(() => ensureBaselinesVersion(store.db, a.canonical, a.params)));
    const idA = baselinesIdOf(a.canonical);
    expect(ids).toEqual([idA, idA, idA]);
    expect(idA).toMatch(/^baselines-[0-9a-f]{8}$/);
    expect(await ensureBaselinesVersion(store.db, a.canonical, a.params)).toBe(idA);
    let all = await rows();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ id: idA, state: 'active', parentId: null, reason: 'initial baseline parameters of the detector', params: a.params });

    // Other parameters: a new version, its parent the one it replaces.
    const idB = await ensureBaselinesVersion(store.db, b.canonical, b.params);
    expect(idB).not.toBe(idA);
    all = await rows();
    expect(all).toHaveLength(2);
    expect(all.find((r) => r.id === idB)).toMatchObject({ state: 'active', parentId: idA, reason: expect.stringContaining(idA) });
    expect(all.find((r) => r.id === idA)).toMatchObject({ state: 'retired', decision: expect.stringContaining(idB) });

    // Back to the first set: its row is active again, nothing new registered.
    expect(await ensureBaselinesVersion(store.db, a.canonical, a.params)).toBe(idA);
    all = await rows();
    expect(all).toHaveLength(2);
    expect((await modelInState(store.db, 'baselines', 'active'))?.id).toBe(idA);
    expect(all.find((r) => r.id === idB)?.state).toBe('retired');
  }, 120_000);
});
