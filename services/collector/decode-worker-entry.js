// Entry of a decode worker thread. Worker threads do not inherit tsx's loader
// (neither bin/zeroops.js's register() nor the `tsx` CLI's --import reach
// them, and vitest's transform stays in its own thread), so register it here
// before loading the TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./decode-worker.ts');
