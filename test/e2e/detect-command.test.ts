import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnZeroops } from '../helpers/zeroops-process.ts';

describe('zeroops detect (the binary)', () => {
  it('scores a CSV series, one output row per input row, with progress on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeroops-detect-'));
    const rows = ['timestamp,value'];
    const t0 = Date.UTC(2024, 0, 1);
    for (let i = 0; i < 2000; i++) {
      const v = i === 1500 ? 500 : 10 + Math.sin(i / 20) + ((i * 7919) % 13) / 13;
      rows.push(`${new Date(t0 + i * 300_000).toISOString().replace('T', ' ').slice(0, 19)},${v}`);
    }
    writeFileSync(join(dir, 'in.csv'), `${rows.join('\n')}\n`);
    const p = spawnZeroops(['detect', '--input', join(dir, 'in.csv'), '--output', join(dir, 'out.csv')], {});
    expect(await p.exited, p.stderr()).toBe(0);
    const out = readFileSync(join(dir, 'out.csv'), 'utf8').trim().split('\n');
    expect(out[0]).toBe('timestamp,value,anomaly_score,score,episode');
    expect(out).toHaveLength(rows.length);
    const scores = out.slice(1).map((l) => Number(l.split(',')[3]));
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    const peak = scores.indexOf(Math.max(...scores));
    expect(peak).toBe(1500);
    // The live detector would open an incident there: an alarm, the series' first that severe, so its anomaly_score is its score.
    expect(out[1501]?.split(',')[4]).toBe('open');
    expect(Number(out[1501]?.split(',')[2])).toBeCloseTo(Number(out[1501]?.split(',')[3]), 3);
    expect(p.stderr()).toMatch(/scored 2000 rows in 1 file/);
  });

  it('prints its usage with --help and exits 0', async () => {
    const p = spawnZeroops(['detect', '--help'], {});
    expect(await p.exited, p.stderr()).toBe(0);
    expect(p.stdout()).toMatch(/Usage: zeroops detect --input <file\|dir> --output <file\|dir>/);
    expect(p.stdout()).toMatch(/anomaly_score is 0 except on alarm rows: where the live detector would open\nan incident/);
  });

  it('refuses an unknown option (the removed --detector too) and missing arguments with exit 2', async () => {
    const a = spawnZeroops(['detect', '--input', 'x.csv', '--output', 'y.csv', '--detector', 'magic'], {});
    expect(await a.exited).toBe(2);
    expect(a.stderr()).toMatch(/ZEROOPS_USAGE: detect: Unknown option '--detector'/);
    const b = spawnZeroops(['detect', '--input', 'x.csv'], {});
    expect(await b.exited).toBe(2);
    expect(b.stderr()).toMatch(/needs --input <file\|dir> and --output/);
  });
});
