/**
 * Scores a bench-zeroops run that is still running (or about to be stopped):
 * reads what zeroops and the demo control plane recorded so far and scores
 * the faults the bench has moved on from, with the bench's own scorer. For a
 * run that would not finish in the time available; a finished run prints the
 * same tables itself.
 *
 * The bench's phases are rebuilt from the control plane's fault records: it
 * waits `--quiet-seconds` before each fault, so a fault's phase ends when the
 * quiet period before the next fault starts, and the quiet periods are the
 * `--quiet-seconds` before each fault. The last fault counts only when it
 * has ended (its phase then ends now).
 *
 *   npx tsx test/bench/zeroops/score-live.ts --api http://127.0.0.1:PORT --control http://127.0.0.1:PORT \
 *     --quiet-seconds 60 --window 10 --out /tmp/bench-zeroops-embedded-partial.json [--log bench.log]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { observe } from './observations.ts';
import { formatResult } from './report.ts';
import type { BenchResult } from './run-bench.ts';
import { type FaultPhase, type Period, scoreFault, scoreRun } from './score.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      api: { type: 'string' },
      control: { type: 'string' },
      'quiet-seconds': { type: 'string', default: '60' },
      window: { type: 'string', default: '10' },
      mode: { type: 'string', default: 'embedded' },
      out: { type: 'string' },
      log: { type: 'string' },
    },
  });
  if (!values.api || !values.control) throw new Error('--api and --control are required');
  const quietMs = Number(values['quiet-seconds']) * 1000;
  const windowMs = Number(values.window) * 1000;
  const now = Date.now();
  const obs = await observe(values.api, values.control);
  const faults = [...obs.faults].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  const phases: Array<FaultPhase & { n: number }> = [];
  faults.forEach((f, i) => {
    const next = faults[i + 1];
    if (next) phases.push({ n: i + 1, faultId: f.id, endMs: Date.parse(next.startedAt) - quietMs });
    else if (f.state === 'ended') phases.push({ n: i + 1, faultId: f.id, endMs: now });
  });
  const quiet: Period[] = faults.map((f) => ({ startMs: Date.parse(f.startedAt) - quietMs, endMs: Date.parse(f.startedAt) }));
  const byId = new Map(faults.map((f) => [f.id, f]));
  const scored = phases.map((p) => scoreFault(p.n, byId.get(p.faultId) as (typeof faults)[number], p, obs, windowMs));
  // Load averages as the bench printed them at each fault, when its log is given.
  const printed = values.log ? [...readFileSync(values.log, 'utf8').matchAll(/; load ([\d.]+)\)/g)].map((m) => Number(m[1])) : [];
  const result: BenchResult = {
    mode: values.mode as BenchResult['mode'],
    options: {
      mode: values.mode as BenchResult['mode'],
      windowSeconds: windowMs / 1000,
      warmupSeconds: 0,
      quietSeconds: quietMs / 1000,
      faultSeconds: 0,
      settleSeconds: 0,
      rps: 0,
    },
    processes: { [values.mode as string]: 1 },
    startedAt: faults[0]?.startedAt ?? new Date(now).toISOString(),
    finishedAt: new Date(now).toISOString(),
    loadAverage: [...printed, Math.round((loadavg()[0] as number) * 100) / 100],
    ...scoreRun(scored, quiet, obs),
  };
  process.stdout.write(`== bench-zeroops (scored live), ${result.mode} mode, ${scored.length} of ${faults.length} faults ==\n${formatResult(result)}\n`);
  if (values.out) {
    writeFileSync(values.out, JSON.stringify({ scoredLive: true, ...result }, null, 2));
    writeFileSync(values.out.replace(/\.json$/, '') + '-observations.json', JSON.stringify(obs));
    process.stdout.write(`JSON: ${values.out}\n`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`score-live: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
