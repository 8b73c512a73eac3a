#!/usr/bin/env node
// Second half of `npm run build`: copies into dist/ what the compiled code
// finds at run time beside itself (tsc emits only the JavaScript): the .proto
// files (services/bus/messages.ts reads ../../proto), the SQL migrations and
// the decode worker's entry file.
import { cpSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const assets = ['proto', 'services/store/migrations', 'services/collector/decode-worker-entry.js'];
if (!existsSync(`${root}dist/services/cli/main.js`)) {
  process.stderr.write('copy-assets: dist/services/cli/main.js is missing; run tsc -p tsconfig.build.json first\n');
  process.exit(1);
}
for (const a of assets) cpSync(`${root}${a}`, `${root}dist/${a}`, { recursive: true });
process.stdout.write(`copied ${assets.join(', ')} into dist/\n`);
