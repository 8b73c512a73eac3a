import { execFile } from 'node:child_process';
import { PermanentError, RetryableError } from '../../core/errors.ts';
import { renderArgs } from '../../playbooks/index.ts';
import type { StepActivity, StepDeps } from './types.ts';

const MAX_OUTPUT = 64 * 1024;

/**
 * Creates the `command` step: runs an executable listed in
 * config.commandAllowlist with templated arguments, without a shell (no
 * globbing, no pipes, no expansion); each argument template is one argv
 * entry and a value cannot start an option (see renderArgs). A non-zero exit is a PermanentError;
 * a timeout is retryable.
 */
export function createCommandStep(deps: StepDeps): StepActivity {
  return async (action, rt) => {
    const p = action.command;
    if (!p) throw new PermanentError('ZEROOPS_STEP_INVALID', 'command step without command parameters');
    if (!deps.config.commandAllowlist.includes(p.executable)) {
      throw new PermanentError('ZEROOPS_COMMAND_REFUSED', `"${p.executable}" is not in ZEROOPS_COMMAND_ALLOWLIST`);
    }
    const args = renderArgs(p.args ?? [], rt.template);
    const out = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(
        p.executable,
        args,
        {
          shell: false,
          timeout: rt.timeoutMs,
          maxBuffer: MAX_OUTPUT,
          signal: rt.signal,
          env: { ZEROOPS_IDEMPOTENCY_KEY: rt.idempotencyKey, PATH: '/usr/local/bin:/usr/bin:/bin' },
        },
        (err, stdout, stderr) => {
          if (!err) return resolve({ stdout, stderr });
          const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: unknown };
          if (e.killed) return reject(new RetryableError('ZEROOPS_STEP_TIMEOUT', `${p.executable} did not finish within ${rt.timeoutMs} ms`, { cause: err }));
          reject(
            new PermanentError('ZEROOPS_COMMAND_FAILED', `${p.executable} failed (${String(e.code)}): ${stderr.slice(0, 500) || e.message}`, { cause: err }),
          );
        },
      );
    });
    return { request: { executable: p.executable, args }, response: out };
  };
}
