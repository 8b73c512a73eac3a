#!/usr/bin/env node
// The `zeroops` entry point: registers the TypeScript loader, then runs the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../services/cli/main.ts');
