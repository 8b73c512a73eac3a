/**
 * Replicas that train the shared neural model merge their copies through the
 * store (federated averaging in `syncNeural`), on Postgres and on PGlite.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Autoencoder, type AutoencoderState } from '../../../models/fleet/index.ts';
import { createRng } from '../../../models/stats/index.ts';
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

  it('overwrites its own save and merges another replica save in proportion to the training behind each', async () => {
    const a = replica(1);
    const b = replica(2);
    expect(a.trainingSteps).toBe(20);
    expect(await loadNeural(store, 'v1')).toBeUndefined();

    // One replica alone: each save replaces its previous one, weights untouched.
    expect(await syncNeural(store, a, 'v1', { work: 0, steps: 0 })).toEqual({ at: { work: 20, steps: 20 }, share: 0 });
    a.observe(rows(160, 3), 160);
    const aNow = weightsOf(a.toJSON());
    expect(await syncNeural(store, a, 'v1', { work: 20, steps: 20 })).toEqual({ at: { work: 40, steps: 40 }, share: 0 });
    expect(weightsOf(a.toJSON())).toEqual(aNow);
    const saved = await loadNeural(store, 'v1');
    expect(saved?.at).toEqual({ work: 40, steps: 40 });
    expect(close(weightsOf(saved?.state as AutoencoderState), aNow)).toBe(true);

    // A second replica with 20 new steps against the 40 the row holds moves two thirds of the way.
    const bBefore = weightsOf(b.toJSON());
    const first = await syncNeural(store, b, 'v1', { work: 0, steps: 0 });
    expect(first.at).toEqual({ work: 60, steps: 20 });
    expect(first.share).toBeCloseTo(2 / 3, 12);
    const merged = bBefore.map((w, i) => w + (2 / 3) * ((aNow[i] as number) - w));
    expect(close(weightsOf(b.toJSON()), merged)).toBe(true);
    expect(close(weightsOf((await loadNeural(store, 'v1'))?.state as AutoencoderState), merged)).toBe(true);

    // The first replica has not trained since its save: it takes the merged model as it is.
    expect(await syncNeural(store, a, 'v1', { work: 40, steps: 40 })).toEqual({ at: { work: 60, steps: 40 }, share: 1 });
    expect(close(weightsOf(a.toJSON()), merged)).toBe(true);

    // That save added no work, so the second replica, which trained since, is not moved.
    b.observe(rows(160, 4), 160);
    const bTrained = weightsOf(b.toJSON());
    expect(await syncNeural(store, b, 'v1', { work: 60, steps: 20 })).toEqual({ at: { work: 80, steps: 40 }, share: 0 });
    expect(weightsOf(b.toJSON())).toEqual(bTrained);

    // A third replica with 60 steps against the row's 80 moves 80 / 140 of the way.
    const c = replica(5);
    c.observe(rows(160, 6), 160);
    c.observe(rows(160, 7), 160);
    const cBefore = weightsOf(c.toJSON());
    const third = await syncNeural(store, c, 'v1', { work: 0, steps: 0 });
    expect(third.at).toEqual({ work: 140, steps: 60 });
    expect(third.share).toBeCloseTo(80 / 140, 12);
    expect(
      close(
        weightsOf(c.toJSON()),
        cBefore.map((w, i) => w + (80 / 140) * ((bTrained[i] as number) - w)),
      ),
    ).toBe(true);

    // A save of another model version is neither loaded nor merged.
    const d = replica(8);
    const dNow = weightsOf(d.toJSON());
    expect(await loadNeural(store, 'v2')).toBeUndefined();
    expect(await syncNeural(store, d, 'v2', { work: 0, steps: 0 })).toEqual({ at: { work: 20, steps: 20 }, share: 0 });
    expect(weightsOf(d.toJSON())).toEqual(dNow);
  });

  it('serializes concurrent saves: the second sees the first and no training is lost', async () => {
    const a = replica(9);
    const b = replica(10);
    const first = await syncNeural(store, a, 'v3', { work: 0, steps: 0 });
    a.observe(rows(160, 11), 160);
    const [ra, rb] = await Promise.all([syncNeural(store, a, 'v3', first.at), syncNeural(store, b, 'v3', { work: 0, steps: 0 })]);
    // Whichever went second merged the other's 20 steps; the row holds all 60.
    const aSecond = ra.at.work === 60;
    expect(rb.at.work).toBe(aSecond ? 40 : 60);
    expect(ra.share).toBe(aSecond ? 0.5 : 0);
    expect(rb.share).toBeCloseTo(aSecond ? 0.5 : 2 / 3, 12);
    expect((await loadNeural(store, 'v3'))?.at.work).toBe(60);
  });
});
