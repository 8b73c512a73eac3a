#!/usr/bin/env node
// The `zeroops` entry point. An installed package runs the compiled
// JavaScript in dist/ (no TypeScript loader). A development checkout (the
// TypeScript sources sit beside this file) runs the sources through tsx, so
// that what runs is always what was edited, never a stale build; run the
// build there with `node dist/services/cli/main.js`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../services/cli/main.ts', import.meta.url);
const compiled = new URL('../dist/services/cli/main.js', import.meta.url);
if (existsSync(fileURLToPath(source))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else if (existsSync(fileURLToPath(compiled))) {
  await import(compiled.href);
} else {
  process.stderr.write('zeroops: ZEROOPS_FATAL: neither dist/services/cli/main.js nor services/cli/main.ts found; run `npm run build`\n');
  process.exit(1);
}
