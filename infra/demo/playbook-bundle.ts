/**
 * The demo's playbooks (infra/demo/playbooks/*.yaml) as one bundle, applied
 * through the API's bundle apply like playbooks kept in git.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('./playbooks/', import.meta.url));
/** The control-plane address written in the YAML files (the default port). */
export const PLAYBOOK_CONTROL_URL = 'http://127.0.0.1:7070';

/** Changes to the playbooks as written, for runs that are not the default demo. */
export interface BundleOptions {
  /**
   * Seconds of every `wait` step (the settle time between two operations),
   * instead of the files' 30 s: 30 s is three of the default 10-second
   * windows, in which the detector sees whether an operation fixed the fault;
   * a run with shorter windows sees it sooner.
   */
  waitSeconds?: number;
  /**
   * Each playbook's per-service cooldown, instead of the files' 120 s (twelve
   * default windows): after a run on a service (say on a one-window blip of
   * a loaded host), a real fault that follows on it waits that long for its fix.
   */
  cooldownSeconds?: number;
}

/** The playbooks as YAML documents separated by `---`, with the control plane at `controlUrl`. */
export function demoPlaybookBundle(controlUrl: string, opts: BundleOptions = {}): string {
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  const waits = (yaml: string) => (opts.waitSeconds === undefined ? yaml : yaml.replace(/wait: \{ seconds: \d+/g, `wait: { seconds: ${opts.waitSeconds}`));
  const cooldowns = (yaml: string) =>
    opts.cooldownSeconds === undefined ? yaml : yaml.replace(/cooldownSeconds: \d+/g, `cooldownSeconds: ${opts.cooldownSeconds}`);
  return files.map((f) => cooldowns(waits(readFileSync(`${DIR}${f}`, 'utf8').replaceAll(PLAYBOOK_CONTROL_URL, controlUrl.replace(/\/$/, ''))))).join('\n---\n');
}

/** What the API's bundle apply answered. */
export interface ApplyResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  deleted: string[];
}

/** Applies the bundle through `POST {apiUrl}/api/v1/playbooks/apply`; throws with the API's message on refusal. */
export async function applyDemoPlaybooks(apiUrl: string, controlUrl: string, token?: string, opts: BundleOptions = {}): Promise<ApplyResult> {
  const headers: Record<string, string> = { 'content-type': 'application/yaml' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${apiUrl}/api/v1/playbooks/apply`, { method: 'POST', headers, body: demoPlaybookBundle(controlUrl, opts) });
  const body = (await res.json()) as ApplyResult & { error?: { message: string; details?: unknown } };
  if (!res.ok) throw new Error(`applying the demo playbooks failed (${res.status}): ${body.error?.message} ${JSON.stringify(body.error?.details ?? [])}`);
  return body;
}
