import { describe, expect, it } from 'vitest';
import { prettyLine } from './log-pretty.ts';
import { createLogger } from './logger.ts';

describe('pretty log lines (a terminal)', () => {
  it('turns a pino record into time, level, component, message and the other fields', () => {
    const lines: string[] = [];
    const logger = createLogger({ format: 'pretty', destination: { write: (s: string) => lines.push(s) } });
    logger.child({ component: 'collector' }).warn({ http: 'http://127.0.0.1:4318', auth: false, note: 'two words' }, 'collector listening');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}collector {2}collector listening {2}http=http:\/\/127\.0\.0\.1:4318 auth=false note="two words"\n$/,
    );
    expect(lines[0]).not.toContain('{');
  });

  it('colors by level only when asked, and json format keeps JSON lines', () => {
    const rec = JSON.stringify({ level: 50, time: 0, msg: 'broker down', pid: 1, hostname: 'h' });
    expect(prettyLine(rec, true)).toContain('\u001b[31mERROR\u001b[0m');
    expect(prettyLine(rec, false)).toBe('00:00:00.000 ERROR broker down\n');
    const lines: string[] = [];
    createLogger({ format: 'json', destination: { write: (s: string) => lines.push(s) } }).info('zeroops started');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, msg: 'zeroops started' });
  });
});
