/**
 * A digest of everything the scoring path decides on a synthetic fleet:
 * every field of every result (score, likelihood, evidence, transition,
 * severity, expected bands...) of every window, and the models' whole
 * checkpoint at the end. Two commits that print the same digest decide the
 * same, bit for bit: the check a change meant only to make the detector
 * faster must pass (run it on both and compare; precision and recall alone
 * would miss a changed score that opens no other episode).
 *
 * Usage: npx tsx test/bench/detector/results-digest.ts [--services 300] [--windows 160] [--backend wasm|cpu]
 */
import { createHash } from 'node:crypto';
import { bandsRecord } from '../../../models/fleet/expected-bands.ts';
import { NeuralScorer, ServiceModels } from '../../../models/fleet/index.ts';
import { type BackendPreference, loadBackend } from '../../../services/detector/tf-backend.ts';
import { SyntheticFleet } from './synthetic-fleet.ts';

const WINDOW_MS = 10_000;
const T0 = Date.UTC(2026, 0, 5);

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

async function main(): Promise<void> {
  const n = Number(arg('services', '300'));
  const windows = Number(arg('windows', '160'));
  const b = await loadBackend(arg('backend', 'wasm') as BackendPreference);
  const fleet = new SyntheticFleet(n, 42);
  // Faults in the warm-up and after it (5 % of the services in each), so that episodes open, go on and close.
  fleet.inject(0.05, Math.floor(windows / 4), Math.floor(windows * 0.6));
  fleet.inject(0.05, Math.floor(windows * 0.65), windows);
  const names = Array.from({ length: n }, (_, s) => `svc-${s}`);
  const episode = { openLevel: 0.7, closeLevel: 0.5, minOpenMs: 0, minCloseMs: WINDOW_MS, flapWindowMs: 60 * WINDOW_MS, flapOpenings: 3 };
  const neural = new NeuralScorer(b.tf);
  const models = new ServiceModels({ episode, neural });
  const hash = createHash('sha256');
  let opened = 0;
  for (let w = 0; w < windows; w++) {
    const endMs = T0 + (w + 1) * WINDOW_MS;
    const inputs = names.map((service, s) => ({ service, startMs: endMs - WINDOW_MS, endMs, features: fleet.features(s, w, endMs), callees: [] }));
    for (const r of models.scoreBatch(inputs)) {
      if (r.transition === 'open') opened++;
      const { input: _input, expected, ...rest } = r;
      hash.update(JSON.stringify(rest));
      hash.update(JSON.stringify(bandsRecord(expected)));
    }
  }
  hash.update(JSON.stringify(models.snapshot()));
  console.log(`backend ${b.backend}; ${n} services x ${windows} windows; ${opened} episodes opened; digest ${hash.digest('hex')}`);
  neural.model.dispose();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
