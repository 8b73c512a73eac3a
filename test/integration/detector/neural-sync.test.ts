/**
 * Replicas that train the shared neural model merge their copies through the
 * store (federated averaging in `syncNeural`), on Postgres and on PGlite.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Autoencoder, type AutoencoderState } from '../../../models/multivariate/autoencoder.ts';
import { createRng } from '../../../models/rng.ts';
import { loadNeural, syncNeural } from '../../../services/detector/checkpoints.ts';
import { createStore, type Store } from '../../../services/store/index.ts';
import { BACKENDS, type BackendInstance } from '../store/backends.ts';

const D = 5;
const CFG = { inputs: D, trainEvery: 8, batchSize: 16, seed: 11, youngSteps: 0, maxStepsPerObserve: 20 };

function rows(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n * D }, () => rng.next() * 2 - 1);
}

const weightsOf = (s: AutoencoderState): number[] => s.weights.flat();
const close = (a: number[], b: number[]): boolean => a.length === b.length && a.every((x, i) => Math.abs(x - (b[i] as number)) < 1e-6);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(BACKENDS)('shared neural model across replicas on $name', (backend) => {
  let instance: BackendInstance;
  let store: Store;
  const models: Autoencoder[] = [];

  beforeAll(async () => {
    instance = await backend.create();
    store = await createStore(instance.settings);
  });

  afterAll(async () => {
    for (const m of models) m.dispose();
    await store?.close();
    await instance?.cleanup();
  });

  function replica(seed: number): Autoencoder {
    const m = new Autoencoder(tf, CFG);
    m.observe(rows(160, seed), 160);
    models.push(m);
    return m;
  }

  it('overwrites its own save, averages with another replica save, and ignores another model version', async () => {
    const a = replica(1);
    const b = replica(2);
    expect(await loadNeural(store, 'v1')).toBeUndefined();

    // One replica alone: each save replaces its previous one, weights untouched.
    expect(await syncNeural(store, a, 'v1', 0)).toEqual({ revision: 1, merged: false });
    a.observe(rows(160, 3), 160);
    const aNow = weightsOf(a.toJSON());
    expect(await syncNeural(store, a, 'v1', 1)).toEqual({ revision: 2, merged: false });
    expect(weightsOf(a.toJSON())).toEqual(aNow);
    const saved = await loadNeural(store, 'v1');
    expect(saved?.revision).toBe(2);
    expect(close(weightsOf(saved?.state as AutoencoderState), aNow)).toBe(true);

    // A second replica that never saw revision 2 moves half-way to it before saving.
    const bBefore = weightsOf(b.toJSON());
    expect(await syncNeural(store, b, 'v1', 0)).toEqual({ revision: 3, merged: true });
    const mid = bBefore.map((w, i) => (w + (aNow[i] as number)) / 2);
    expect(close(weightsOf(b.toJSON()), mid)).toBe(true);
    expect(close(weightsOf((await loadNeural(store, 'v1'))?.state as AutoencoderState), mid)).toBe(true);

    // The first replica picks up the second's training at its next save.
    expect(await syncNeural(store, a, 'v1', 2)).toEqual({ revision: 4, merged: true });
    expect(
      close(
        weightsOf(a.toJSON()),
        aNow.map((w, i) => (w + (mid[i] as number)) / 2),
      ),
    ).toBe(true);

    // A save of another model version is neither loaded nor merged.
    const c = replica(4);
    const cNow = weightsOf(c.toJSON());
    expect(await loadNeural(store, 'v2')).toBeUndefined();
    expect(await syncNeural(store, c, 'v2', 0)).toEqual({ revision: 1, merged: false });
    expect(weightsOf(c.toJSON())).toEqual(cNow);
  });

  it('serializes concurrent saves: each sees the other and no save is lost', async () => {
    const a = replica(5);
    const b = replica(6);
    const first = await syncNeural(store, a, 'v3', 0);
    const [ra, rb] = await Promise.all([syncNeural(store, a, 'v3', first.revision), syncNeural(store, b, 'v3', 0)]);
    expect([ra.revision, rb.revision].sort()).toEqual([2, 3]);
    // b always merges (it never saw a save); a merges only when b saved first.
    expect(rb.merged).toBe(true);
    expect(ra.merged).toBe(rb.revision < ra.revision);
    expect((await loadNeural(store, 'v3'))?.revision).toBe(3);
  });
});
