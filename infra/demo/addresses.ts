/**
 * Where the demo listens and keeps its files: shared by the demo itself and
 * the `zeroops demo` command, which finds the control plane through them.
 */
import { join } from 'node:path';

/** The control plane's default port (`zeroops demo` falls back to it when there is no state file). */
export const DEFAULT_CONTROL_PORT = 7070;
/** The first load balancer's default port (frontend); the others follow in topology order. */
export const DEFAULT_SERVICE_BASE_PORT = 7101;

/** Where, below the zeroops data directory, the demo keeps its files. */
export function demoDir(dataDir: string): string {
  return join(dataDir, 'demo');
}

/** The state file that names the running control plane: JSON `{url, pid, startedAt, services}`. */
export function stateFile(dataDir: string): string {
  return join(demoDir(dataDir), 'control-plane.json');
}
