/**
 * make bench-zeroops: the whole claim on a running system. The demo shop
 * under load exports OpenTelemetry data to zeroops; randomized faults (kinds
 * and services drawn with a seed) are injected through the demo control
 * plane, separated by fault-free periods; the bench scores detection, time
 * to detect, the true service's root-cause rank, the playbook run, time to
 * recover and escalations against the control plane's ground truth, and
 * every action taken while nothing was wrong. Embedded mode, production mode
 * (Kafka + Postgres, two detector and two executor processes), or both.
 *
 *   npx tsx test/bench/zeroops/bench-zeroops.ts --faults 30 --seed 1 --mode both
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FAULT_KINDS, type FaultKind, isFaultKind } from '../../../infra/demo/fault-kinds.ts';
import { SHOP } from '../../../infra/demo/topology.ts';
import { planFaults } from './fault-plan.ts';
import { formatResult } from './report.ts';
import { type BenchOptions, runBench } from './run-bench.ts';
import type { BenchMode } from './zeroops-under-test.ts';

function args() {
  const { values } = parseArgs({
    options: {
      faults: { type: 'string', default: '30' },
      seed: { type: 'string', default: '1' },
      mode: { type: 'string', default: 'both' },
      window: { type: 'string', default: '10' },
      // Default: 40 windows, past the detector's warm-up (30 windows, while severity stays info and no playbook matches).
      'warmup-seconds': { type: 'string', default: '' },
      'quiet-seconds': { type: 'string', default: '60' },
      'fault-seconds': { type: 'string', default: '300' },
      'settle-seconds': { type: 'string', default: '120' },
      rps: { type: 'string', default: '12' },
      kinds: { type: 'string', default: '' },
      services: { type: 'string', default: '' },
      out: { type: 'string', default: tmpdir() },
      // Also write everything read back from zeroops and the control plane (for diagnosis).
      dump: { type: 'boolean', default: false },
    },
  });
  const num = (k: keyof typeof values) => {
    const n = Number(values[k]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${k} must be a non-negative number, got "${values[k]}"`);
    return n;
  };
  const modes: BenchMode[] = values.mode === 'both' ? ['embedded', 'production'] : [values.mode as BenchMode];
  if (!modes.every((m) => m === 'embedded' || m === 'production')) throw new Error(`--mode must be embedded, production or both, got "${values.mode}"`);
  const kinds = values.kinds ? values.kinds.split(',').map((k) => k.trim()) : [...FAULT_KINDS];
  const bad = kinds.filter((k) => !isFaultKind(k));
  if (bad.length) throw new Error(`--kinds: unknown kind(s) ${bad.join(', ')}; known: ${FAULT_KINDS.join(', ')}`);
  return { values, num, modes, kinds: kinds as FaultKind[] };
}

async function main(): Promise<void> {
  const { values, num, modes, kinds } = args();
  const services = values.services ? values.services.split(',').map((s) => s.trim()) : SHOP.map((s) => s.name);
  const faults = planFaults(num('faults'), num('seed'), services, kinds);
  for (const mode of modes) {
    const opts: BenchOptions = {
      mode,
      faults,
      windowSeconds: num('window'),
      warmupSeconds: values['warmup-seconds'] ? num('warmup-seconds') : 40 * num('window'),
      quietSeconds: num('quiet-seconds'),
      faultSeconds: num('fault-seconds'),
      settleSeconds: num('settle-seconds'),
      rps: num('rps'),
      services: values.services ? services : undefined,
      dumpTo: values.dump ? join(values.out, `bench-zeroops-${mode}-observations.json`) : undefined,
      progress: (line) => process.stderr.write(`bench-zeroops [${mode}]: ${line}\n`),
    };
    const result = await runBench(opts);
    process.stdout.write(`\n== bench-zeroops, ${mode} mode, ${faults.length} faults, seed ${values.seed} ==\n${formatResult(result)}\n`);
    const file = join(values.out, `bench-zeroops-${mode}.json`);
    writeFileSync(file, JSON.stringify({ seed: num('seed'), ...result }, null, 2));
    process.stdout.write(`JSON: ${file}\n`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench-zeroops: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
