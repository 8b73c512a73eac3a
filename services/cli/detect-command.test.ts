import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDetect } from './detect-command.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zeroops-detect-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function csv(n: number, spikeAt = -1): string {
  const rows = ['timestamp,value'];
  for (let i = 0; i < n; i++) {
    const t = new Date(Date.UTC(2024, 0, 1) + i * 300_000).toISOString().replace('T', ' ').slice(0, 19);
    rows.push(`${t},${i === spikeAt ? 500 : 10 + (i % 7)}`);
  }
  return `${rows.join('\n')}\n`;
}

describe('runDetect', () => {
  it('mirrors a directory tree and writes one scored row per input row', async () => {
    await mkdir(join(dir, 'in', 'a', 'b'), { recursive: true });
    await writeFile(join(dir, 'in', 'a', 'one.csv'), csv(400, 350));
    await writeFile(join(dir, 'in', 'a', 'b', 'two.csv'), csv(50));
    await writeFile(join(dir, 'in', 'notes.txt'), 'ignored');
    const messages: string[] = [];
    const summary = await runDetect({ input: join(dir, 'in'), output: join(dir, 'out'), progress: (m) => messages.push(m) });
    expect(summary.files).toBe(2);
    expect(summary.rows).toBe(450);
    expect(messages).toEqual([expect.stringMatching(/^\[1\/2\] .*: \d+ rows$/), expect.stringMatching(/^\[2\/2\] .*: \d+ rows$/)]);
    const lines = (await readFile(join(dir, 'out', 'a', 'one.csv'), 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('timestamp,value,anomaly_score,score,episode');
    expect(lines.length).toBe(401);
    expect(lines[351]?.startsWith('2024-01-02 05:10:00,500,')).toBe(true);
    const scores = lines.slice(1).map((l) => Number(l.split(',')[3]));
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(scores.indexOf(Math.max(...scores))).toBe(350);
    // The spike is where the live detector would open an incident, and the only alarm after the warm-up.
    const episodes = lines.slice(1).map((l) => l.split(',')[4]);
    expect(episodes[350]).toBe('open');
    expect(episodes.slice(60).filter((e) => e === 'open')).toEqual(['open']);
    const alarms = lines.slice(1).map((l) => Number(l.split(',')[2]));
    // The series' first episode that severe: its alarm score is its score (the rarity's prior is the score's own tail).
    expect(alarms[350]).toBeCloseTo(scores[350] as number, 3);
    expect(alarms.slice(60).filter((a) => a > 0)).toHaveLength(1);
    expect((await readFile(join(dir, 'out', 'a', 'b', 'two.csv'), 'utf8')).trim().split('\n').length).toBe(51);
  });

  it('writes a single file to the output path', async () => {
    await writeFile(join(dir, 'x.csv'), csv(20));
    const s = await runDetect({ input: join(dir, 'x.csv'), output: join(dir, 'y.csv') });
    expect(s).toMatchObject({ files: 1, rows: 20 });
    expect((await readFile(join(dir, 'y.csv'), 'utf8')).split('\n')[1]).toMatch(/^2024-01-01 00:00:00,10,0,0,$/);
  });

  it('names the file and line of a non-numeric value', async () => {
    const bad = csv(10).replace('\n2024-01-01 00:15:00,13', '\n2024-01-01 00:15:00,abc');
    await writeFile(join(dir, 'bad.csv'), bad);
    await expect(runDetect({ input: join(dir, 'bad.csv'), output: join(dir, 'o.csv') })).rejects.toThrow(/bad\.csv:5: value "abc" is not a finite number/);
  });

  it('rejects a header without timestamp and value columns', async () => {
    await writeFile(join(dir, 'h.csv'), 'time,val\n2024-01-01 00:00:00,1\n');
    await expect(runDetect({ input: join(dir, 'h.csv'), output: join(dir, 'o.csv') })).rejects.toThrow(/h\.csv:1: header/);
  });
});
