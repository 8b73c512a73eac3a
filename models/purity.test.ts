/**
 * models/ is pure: numbers in, numbers out. This test reads every source file
 * under models/ (tests included) and fails on an import of services/ or of a
 * Node module that does I/O, and on timers, the process environment and
 * network calls. tfjs is allowed: the fleet autoencoder receives it injected
 * and computes with it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = import.meta.dirname;

/** Import specifiers a model may not use (tests may use node:fs and friends only through vitest fixtures, so: none). */
const FORBIDDEN_IMPORT =
  /(^|\/)services\/|^(node:)?(fs|fs\/promises|net|http|https|http2|dgram|dns|tls|child_process|worker_threads|cluster|os|timers|timers\/promises|readline|module)$|^(pg|kafkajs|@electric-sql\/pglite|drizzle-orm)(\/|$)/;
/** Code that reaches outside: timers, the environment, the network, the clock of the process. */
const FORBIDDEN_CODE =
  /\b(setTimeout|setInterval|setImmediate|queueMicrotask|process\.env|process\.exit|fetch\(|require\(|Date\.now\(|performance\.now\(|import\()/;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts') && p !== import.meta.filename) out.push(p);
  }
  return out;
}

/** Every module specifier of `code`: static imports and re-exports. */
function importsOf(code: string): string[] {
  const specs: string[] = [];
  for (const m of code.matchAll(/^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/gm)) specs.push(m[1] as string);
  for (const m of code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) specs.push(m[1] as string);
  return specs;
}

/** Lines of `code` without comments, so that a TSDoc mentioning setTimeout does not count. */
function codeLines(code: string): string[] {
  return code
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
    .split('\n')
    .map((l) => l.replace(/(^|[^:'"`])\/\/.*$/, '$1'));
}

/** What is wrong with one file: one line per violation (empty when pure). */
function violations(file: string, code: string): string[] {
  const out: string[] = [];
  const tests = file.endsWith('.test.ts');
  for (const spec of importsOf(code)) {
    // Tests may not reach services/ either, but they may import vitest.
    if (FORBIDDEN_IMPORT.test(spec) && !(tests && spec === 'vitest')) out.push(`${file}: imports ${spec}`);
    if (spec.startsWith('.') && /(^|\/)\.\.\/\.\.\//.test(spec)) out.push(`${file}: imports ${spec}, outside models/`);
  }
  codeLines(code).forEach((line, i) => {
    const m = FORBIDDEN_CODE.exec(line);
    if (m) out.push(`${file}:${i + 1}: uses ${m[1]}`);
  });
  return out;
}

describe('models/ purity', () => {
  const files = sources(ROOT);

  it('finds the model folders', () => {
    const folders = new Set(files.map((f) => relative(ROOT, f).split('/')[0]));
    for (const f of ['fleet', 'univariate', 'stats', 'likelihood', 'episodes', 'root-cause']) expect(folders.has(f), f).toBe(true);
  });

  it('no model file imports services/ or an I/O module, or uses timers, the environment or the network', () => {
    const found = files.flatMap((f) => violations(relative(ROOT, f), readFileSync(f, 'utf8')));
    expect(found).toEqual([]);
  });

  it('every model folder has an index.ts, and no index re-exports with export *', () => {
    const folders = new Set(
      files
        .map((f) => relative(ROOT, f).split('/'))
        .filter((p) => p.length > 1)
        .map((p) => p[0] as string),
    );
    for (const d of folders) {
      const index = files.find((f) => relative(ROOT, f) === `${d}/index.ts`);
      expect(index, `models/${d}/index.ts`).toBeDefined();
      expect(readFileSync(index as string, 'utf8')).not.toMatch(/export \*/);
    }
  });

  it('the check itself catches what it should', () => {
    expect(violations('x.ts', "import { Bus } from '../../services/bus/bus.ts';")).toHaveLength(2);
    expect(violations('x.ts', "import { readFile } from 'node:fs/promises';")).toHaveLength(1);
    expect(violations('x.ts', "import type { Socket } from 'node:net';")).toHaveLength(1);
    expect(violations('x.ts', 'export { a } from "node:http";')).toHaveLength(1);
    expect(violations('x.ts', 'const t = setTimeout(f, 10);')).toHaveLength(1);
    expect(violations('x.ts', 'const d = process.env.X;')).toHaveLength(1);
    expect(violations('x.ts', 'const n = Date.now();')).toHaveLength(1);
    expect(violations('x.ts', '/** never calls setTimeout */\n// nor Date.now()\nconst a = 1;')).toEqual([]);
    expect(violations('x.ts', "import { createRng } from '../stats/index.ts';\nimport * as tf from '@tensorflow/tfjs';")).toEqual([]);
  });
});
