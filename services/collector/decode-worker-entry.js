// Entry of a decode worker thread. In a build (dist/), the compiled
// decode-worker.js sits beside this file and is loaded directly. In a source
// checkout only decode-worker.ts exists: worker threads do not inherit tsx's
// loader (neither bin/zeroops.js's register() nor the `tsx` CLI's --import
// reach them, and vitest's transform stays in its own thread), so register it
// here before loading the TypeScript body.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('./decode-worker.js', import.meta.url);
if (existsSync(fileURLToPath(compiled))) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./decode-worker.ts');
}
