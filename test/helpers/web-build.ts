import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { findWebBuild } from '../../services/web/index.ts';

/** Builds the web UI into dist/web/ when it is missing (what `make test` does before the suite). */
export function ensureWebBuild(): void {
  if (findWebBuild()) return;
  execFileSync('npm', ['run', 'build:web'], { cwd: join(import.meta.dirname, '../..'), stdio: 'inherit' });
}
