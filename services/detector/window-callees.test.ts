import { describe, expect, it } from 'vitest';
import { WindowAccumulator } from './window-features.ts';

describe('a window counts calls and failed calls per callee', () => {
  it('counts them and keeps them through a checkpoint (older checkpoints without failed calls still load)', () => {
    const w = new WindowAccumulator('web', 0, 10_000);
    w.addCallee('db');
    w.addCallee('db', true);
    w.addCallee('db', true);
    w.addCallee('cache');
    expect(Object.fromEntries(w.callees)).toEqual({ db: 3, cache: 1 });
    expect(Object.fromEntries(w.calleeErrors)).toEqual({ db: 2 });
    const state = JSON.parse(JSON.stringify(w.toJSON()));
    const back = WindowAccumulator.fromJSON(state);
    expect(Object.fromEntries(back.calleeErrors)).toEqual({ db: 2 });
    const { calleeErrors: _dropped, ...old } = state;
    expect(Object.fromEntries(WindowAccumulator.fromJSON(old).calleeErrors)).toEqual({});
    expect(Object.fromEntries(WindowAccumulator.fromJSON(old).callees)).toEqual({ db: 3, cache: 1 });
  });
});
