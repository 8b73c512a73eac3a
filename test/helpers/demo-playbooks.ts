/**
 * The demo's playbooks as zeroops compiles them (addressed to a control plane
 * that is never called), for tests that ask which of them an anomaly event
 * would start.
 */
import { demoPlaybookBundle } from '../../infra/demo/playbook-bundle.ts';
import type { AnomalyEvent } from '../../services/bus/messages.ts';
import { CompiledPlaybook, parseBundle, validateBundle } from '../../services/playbooks/index.ts';

const playbooks = validateBundle(parseBundle(demoPlaybookBundle('http://127.0.0.1:9999')), {
  secrets: {},
  commandAllowlist: [],
  httpAllowlist: ['127.0.0.1'],
}).map((spec, i) => new CompiledPlaybook({ id: `pb_${i}`, name: spec.name, version: 1, spec }));

/** The names of the demo playbooks whose trigger matches `event` (none for no event). */
export function matchingDemoPlaybooks(event: AnomalyEvent | undefined): string[] {
  return event ? playbooks.filter((p) => p.matches(event)).map((p) => p.ref.name) : [];
}
