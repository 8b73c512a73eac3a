import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function capture(intervalMs: number) {
  const lines: Array<Record<string, unknown>> = [];
  let t = 1_000_000;
  const logger = createLogger({
    level: 'info',
    repeatIntervalMs: intervalMs,
    now: () => t,
    destination: { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  const advance = (ms: number): void => {
    t += ms;
  };
  return { logger, lines, advance };
}

describe('log rate limit (repeated warnings and errors)', () => {
  it('writes one line per kind per interval and reports the suppressed count on the next one', () => {
    const { logger, lines, advance } = capture(10_000);
    const kafka = logger.child({ component: 'kafkajs' });
    for (let i = 0; i < 500; i++) {
      kafka.error({ broker: '127.0.0.1:19092', attempt: i }, 'Connection error: connect ECONNREFUSED');
      advance(10); // 500 errors over 5 s
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ component: 'kafkajs', attempt: 0, msg: 'Connection error: connect ECONNREFUSED' });
    expect(lines[0]).not.toHaveProperty('suppressed');
    advance(5_000);
    kafka.error({ broker: '127.0.0.1:19092', attempt: 500 }, 'Connection error: connect ECONNREFUSED');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ attempt: 500, suppressed: 499 });
  });

  it('keeps kinds apart: other messages, components and levels pass, and info lines are never limited', () => {
    const { logger, lines } = capture(10_000);
    const store = logger.child({ component: 'store' });
    const detector = logger.child({ component: 'detector' });
    for (let i = 0; i < 3; i++) {
      store.error('database unreachable');
      store.warn('database unreachable');
      detector.error('database unreachable');
      detector.error('periodic checkpoint failed');
      logger.info('zeroops started');
    }
    const seen = lines.map((l) => `${l.level} ${l.component ?? '-'} ${l.msg}`);
    expect(seen.filter((s) => s.endsWith('zeroops started'))).toHaveLength(3);
    expect(new Set(seen.filter((s) => !s.endsWith('zeroops started')))).toEqual(
      new Set(['50 store database unreachable', '40 store database unreachable', '50 detector database unreachable', '50 detector periodic checkpoint failed']),
    );
    expect(lines).toHaveLength(7);
  });

  it('an interval of 0 writes every line; a suppressed count also reaches a line logged with only a message', () => {
    const off = capture(0);
    for (let i = 0; i < 20; i++) off.logger.warn('broker down');
    expect(off.lines).toHaveLength(20);
    const on = capture(1_000);
    for (let i = 0; i < 20; i++) on.logger.warn('broker down');
    on.advance(1_000);
    on.logger.warn('broker down');
    expect(on.lines.map((l) => l.suppressed)).toEqual([undefined, 19]);
  });
});
