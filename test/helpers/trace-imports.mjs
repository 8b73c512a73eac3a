// Preloaded with `node --import <this file>` and ZEROOPS_TRACE_IMPORTS=<file>: appends the URL of every
// module the process resolves through the ESM loader to that file, one a line (tests check what a command loads).
import { register } from 'node:module';

register('./trace-imports-hooks.mjs', import.meta.url, { data: { file: process.env.ZEROOPS_TRACE_IMPORTS } });
