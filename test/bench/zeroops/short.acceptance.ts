/**
 * The short version of make bench-zeroops: three faults that a demo playbook
 * can fix, injected one after another into a six-service slice of the demo
 * shop (real processes, stock OpenTelemetry exporters) exporting to an
 * embedded zeroops. Each must be detected, its service ranked first among
 * the root causes, and fixed by an automatic execution that zeroops records
 * as resolved (the incident closed with resolvedBy auto).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PlannedFault } from './fault-plan.ts';
import { formatResult } from './report.ts';
import { runBench } from './run-bench.ts';

const SERVICES = ['frontend', 'gateway', 'catalog', 'products-db', 'cart', 'sessions-db'];
const FAULTS: PlannedFault[] = [
  { n: 1, service: 'cart', kind: 'bad-deploy', fix: 'rollback' },
  { n: 2, service: 'catalog', kind: 'traffic-surge', fix: 'scale' },
  { n: 3, service: 'sessions-db', kind: 'pool-exhaustion', fix: 'restart' },
];

describe('bench-zeroops, short: detect, root-cause and fix three faults on the demo shop', () => {
  it('every fault is detected, its service is the top root cause, and a playbook fixes it (resolved by auto)', async () => {
    const result = await runBench({
      mode: 'embedded',
      faults: FAULTS,
      services: SERVICES,
      windowSeconds: 2,
      // Past the detector's warm-up (30 windows, while severity stays info and no playbook matches) and start-up noise.
      warmupSeconds: 80,
      quietSeconds: 10,
      faultSeconds: 150,
      // The wait ends as soon as the service's incident closed and no execution runs; the cap covers a verify step (180 s).
      settleSeconds: 200,
      rps: 12,
      progress: (line) => process.stderr.write(`bench-zeroops-short: ${line}\n`),
      dumpTo: join(tmpdir(), 'bench-zeroops-short-observations.json'),
    });
    const table = formatResult(result);
    for (const f of result.faults) {
      expect(f.detected, `fault ${f.n} (${f.kind} on ${f.service}) detected\n${table}`).toBe(true);
      expect(f.topRootCause, `fault ${f.n} top root cause\n${table}`).toBe(f.service);
      expect(f.endedBy, `fault ${f.n} ended by its fix\n${table}`).toBe(`fix:${f.fix}`);
      expect(f.resolvedBy, `fault ${f.n} resolved by an automatic execution\n${table}`).toBe('auto');
    }
    expect(result.overall.madeWorse, table).toBe(0);
  }, 1_200_000);
});
