import { describe, expect, it } from 'vitest';
import { createRng } from '../stats/index.ts';
import type { ServiceScore, WindowInput } from './outputs.ts';
import { ServiceModels } from './service-models.ts';

const STEP = 10_000;
const EPISODE = { openLevel: 0.7, closeLevel: 0.5, minOpenMs: 0, minCloseMs: STEP, flapWindowMs: 60 * STEP, flapOpenings: 3 };

/** Window `k` of `service` (a level per service, noise, and a fault in windows 150-154 of `b`), the same whenever it is asked for. */
function win(service: string, k: number): WindowInput {
  const r = createRng(1000 * k + service.charCodeAt(0));
  const rng = () => r.next();
  const level = service === 'a' ? 100 : service === 'b' ? 40 : 7;
  const fault = service === 'b' && k >= 150 && k < 155 ? 10 : 1;
  const features = { request_rate: level * (1 + 0.1 * rng()), latency_p95_ms: 20 * fault * (1 + 0.1 * rng()), error_ratio: 0.01 * rng() };
  return { service, startMs: k * STEP, endMs: (k + 1) * STEP, features, callees: [] };
}

describe('ServiceModels.scoreBatch', () => {
  it('scores a batch with several windows of a service as rounds of one window each, oldest first', () => {
    const one = new ServiceModels({ episode: EPISODE });
    const many = new ServiceModels({ episode: EPISODE });
    const sequential: ServiceScore[] = [];
    const batched: ServiceScore[] = [];
    for (let k = 0; k < 200; k += 3) {
      // A batch of up to three windows of `a` and `b` each (interleaved) and one of `c`, as a detector that fell behind gets them.
      const batch: WindowInput[] = [];
      for (let j = 0; j < 3 && k + j < 200; j++) for (const s of ['a', 'b']) batch.push(win(s, k + j));
      batch.push(win('c', k));
      const got = many.scoreBatch(batch);
      // Results come round by round: the first window of each service, then the second, and so on.
      expect(got.map((r) => `${r.input.service}${r.input.endMs}`)).toEqual(
        [...batch].sort((p, q) => p.endMs - q.endMs || (p.service === 'c' ? 1 : 0) - (q.service === 'c' ? 1 : 0)).map((w) => `${w.service}${w.endMs}`),
      );
      batched.push(...got);
      for (let j = 0; j < 3 && k + j < 200; j++) {
        const round = ['a', 'b'].map((s) => win(s, k + j));
        if (j === 0) round.push(win('c', k));
        sequential.push(...one.scoreBatch(round));
      }
    }
    const key = (r: ServiceScore) => `${r.input.service}${r.input.endMs}`;
    const byKey = new Map(sequential.map((r) => [key(r), r]));
    for (const r of batched) {
      const s = byKey.get(key(r));
      expect(r.score).toBe(s?.score);
      expect(r.transition).toBe(s?.transition);
    }
    expect(batched.some((r) => r.input.service === 'b' && r.transition === 'open')).toBe(true);
    expect(many.scoreBatch([])).toEqual([]);
  });

  it('gives each result its fields in the order they had as object literals, the expected bands last (the results are built by new)', () => {
    const models = new ServiceModels({ episode: EPISODE });
    let last: ServiceScore | undefined;
    for (let k = 0; k < 40; k++) last = models.scoreBatch([win('a', k)])[0];
    const r = last as ServiceScore;
    // JSON, the rollups and the events see the same keys in the same order as when the results were object literals.
    expect(Object.keys(r)).toEqual([
      'input',
      'score',
      'likelihood',
      'evidence',
      'transition',
      'episodeId',
      'openedAtMs',
      'flapping',
      'peak',
      'callees',
      'episodeFeature',
      'deviation',
      'severity',
      'warmingUp',
      'emit',
      'expected',
    ]);
    expect(Object.keys(r.expected ?? {})).toEqual(['features', 'values', 'offset', 'count']);
  });
});
