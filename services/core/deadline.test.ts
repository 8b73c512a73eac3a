import { describe, expect, it } from 'vitest';
import { settlesWithin, startDeadline, withDeadline } from './deadline.ts';

describe('withDeadline', () => {
  const late = () => new Error('too late');

  it('settles at the deadline even when the work ignores its signal, and aborts that signal', async () => {
    let seen: AbortSignal | undefined;
    const never = new Promise<string>(() => undefined);
    await expect(
      withDeadline(
        50,
        (signal) => {
          seen = signal;
          return never;
        },
        { onTimeout: late },
      ),
    ).rejects.toThrow('too late');
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toEqual(new Error('too late'));
  });

  it('returns the result of work that finishes in time, and its errors', async () => {
    expect(await withDeadline(60_000, async () => 42, { onTimeout: late })).toBe(42);
    await expect(withDeadline(60_000, async () => Promise.reject(new Error('boom')), { onTimeout: late })).rejects.toThrow('boom');
  });

  it("ends early with the parent's reason when the parent aborts (also when already aborted)", async () => {
    const parent = new AbortController();
    const p = withDeadline(60_000, () => new Promise(() => undefined), { onTimeout: late, signal: parent.signal });
    const reason = new Error('shutdown');
    parent.abort(reason);
    await expect(p).rejects.toBe(reason);
    await expect(withDeadline(60_000, async () => 1, { onTimeout: late, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('a cleared deadline never fires', async () => {
    const d = startDeadline(20, { onTimeout: late });
    d.clear();
    await new Promise((r) => setTimeout(r, 100));
    expect(d.signal.aborted).toBe(false);
  });
});

describe('settlesWithin', () => {
  it('is true when the work settles in time, false when the time runs out first', async () => {
    expect(await settlesWithin(1_000, new Promise((r) => setTimeout(r, 10)))).toBe(true);
    const t0 = Date.now();
    expect(await settlesWithin(50, new Promise(() => undefined))).toBe(false);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('passes on a rejection that comes in time', async () => {
    await expect(settlesWithin(1_000, Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});
