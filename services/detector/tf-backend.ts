/**
 * Chooses the TensorFlow.js backend at start-up: tfjs-node when it can be
 * loaded (it is never a dependency: its install downloads libtensorflow, so
 * it is only picked up where an operator installed it), else WebAssembly,
 * else the pure-JavaScript cpu backend.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { TfModule } from '../../models/fleet/index.ts';
import { describeError } from '../core/errors.ts';

/** A backend preference: `auto` tries node, then wasm, then cpu. */
export type BackendPreference = 'auto' | 'node' | 'wasm' | 'cpu';

/** The loaded TensorFlow.js and the backend it runs on. */
export interface LoadedBackend {
  tf: TfModule;
  /** `tensorflow` (tfjs-node), `wasm` or `cpu`. */
  backend: string;
  /** Why preferred backends were passed over, for the start-up log. */
  skipped: string[];
}

// A variable keeps TypeScript and bundlers from resolving a package that is not installed.
const TFJS_NODE = '@tensorflow/tfjs-node';

/** True when `err` says only that the optional tfjs-node package is absent: a choice of the operator, not a fault. */
function notInstalled(which: string, err: unknown): boolean {
  return which === 'node' && (err as { code?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(TFJS_NODE);
}

async function tryNode(): Promise<boolean> {
  await import(TFJS_NODE);
  return tf.setBackend('tensorflow');
}

async function tryWasm(): Promise<boolean> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  wasm.setWasmPaths(`${join(dir, 'dist')}/`);
  return tf.setBackend('wasm');
}

/**
 * Loads the preferred backend (process-wide: TensorFlow.js has one active
 * backend). With `auto`, falls back node -> wasm -> cpu and reports what was
 * skipped and why; an explicit preference that fails throws.
 */
export async function loadBackend(preference: BackendPreference = 'auto'): Promise<LoadedBackend> {
  const skipped: string[] = [];
  const order: Array<'node' | 'wasm' | 'cpu'> = preference === 'auto' ? ['node', 'wasm', 'cpu'] : [preference];
  for (const which of order) {
    try {
      const ok = which === 'node' ? await tryNode() : which === 'wasm' ? await tryWasm() : await tf.setBackend('cpu');
      if (ok) {
        await tf.ready();
        return { tf, backend: tf.getBackend(), skipped };
      }
      skipped.push(`${which}: setBackend returned false`);
    } catch (err) {
      if (preference !== 'auto') throw new Error(`TensorFlow.js backend "${which}" cannot be loaded: ${describeError(err)}`, { cause: err });
      skipped.push(
        `${which}: ${notInstalled(which, err) ? `${TFJS_NODE} is not installed (optional)` : err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      );
    }
  }
  throw new Error(`no TensorFlow.js backend could be loaded (${skipped.join('; ')})`);
}
