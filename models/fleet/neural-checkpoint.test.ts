import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../stats/index.ts';
import { bandsRecord } from './expected-bands.ts';
import { NeuralScorer } from './neural-scorer.ts';
import type { ServiceScore, WindowInput } from './outputs.ts';
import { ServiceModels } from './service-models.ts';

const EPISODE = { openLevel: 0.7, closeLevel: 0.5, minOpenMs: 0, minCloseMs: 10_000, flapWindowMs: 600_000, flapOpenings: 3 };
const SERVICES = 40;
const T0 = Date.UTC(2026, 0, 5);

/** Replayable fleet rounds: service k has its own level; in window 90 service 3's latency and error log rate rise together. */
function roundOf(w: number): WindowInput[] {
  const rng = createRng(1000 + w);
  return Array.from({ length: SERVICES }, (_, k) => {
    const endMs = T0 + (w + 1) * 10_000;
    const jitter = () => 1 + (rng.next() - 0.5) * 0.2;
    const bad = k === 3 && w === 90;
    return {
      service: `s${k}`,
      startMs: endMs - 10_000,
      endMs,
      callees: [],
      features: {
        request_rate: (10 + k) * jitter(),
        error_ratio: 0.01 * jitter(),
        latency_p99_ms: (50 + k) * jitter() * (bad ? 6 : 1),
        log_error_rate: bad ? 40 : jitter(),
        'metric:cpu': 0.3 * jitter(),
      },
    };
  });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A result with its expected bands as values (each instance keeps its bands in its own shared arrays). */
const byValue = (r: ServiceScore) => ({ ...r, expected: bandsRecord(r.expected) });

describe('checkpoint and restore with the shared neural model', () => {
  it('a restored instance scores every later window exactly as the original', () => {
    const neuralA = new NeuralScorer(tf);
    const a = new ServiceModels({ episode: EPISODE, neural: neuralA });
    for (let k = 0; k < SERVICES; k++) a.notePartition(`s${k}`, k % 4);
    for (let w = 0; w < 80; w++) a.scoreBatch(roundOf(w));
    expect(neuralA.model.trainingSteps).toBeGreaterThanOrEqual(20); // the neural score is live

    const saved = JSON.parse(JSON.stringify({ models: a.snapshot(), neural: neuralA.model.toJSON() }));
    const neuralB = new NeuralScorer(tf, saved.neural);
    const b = new ServiceModels({ episode: EPISODE, neural: neuralB });
    b.restore(saved.models);
    let opened = 0;
    for (let w = 80; w < 100; w++) {
      const ra = a.scoreBatch(roundOf(w));
      const rb = b.scoreBatch(roundOf(w));
      expect(rb.map(byValue)).toEqual(ra.map(byValue));
      opened += ra.filter((r) => r.transition === 'open').length;
    }
    expect(opened).toBeGreaterThan(0);
    expect(neuralB.model.toJSON()).toEqual(neuralA.model.toJSON());
    neuralA.model.dispose();
    neuralB.model.dispose();
  });
});
