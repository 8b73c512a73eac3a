import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Source files under `dir` (relative to the repository root), skipping generated and dependency folders. */
function sources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(path.join(ROOT, d), { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
      const rel = path.join(d, e.name);
      if (e.isDirectory()) walk(rel);
      else if (/\.(ts|tsx|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(rel);
    }
  };
  walk(dir);
  return out;
}

/** Relative module specifiers a file imports or re-exports, resolved to repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'(\.[^']+)'/g)].map((m) => m[1]!);
  return specs.map((s) => path.relative(ROOT, path.resolve(ROOT, path.dirname(file), s)));
}

const ALL = ['services', 'models', 'test', 'bin'].flatMap(sources);
/** Services whose inner files only their own code may import (everyone else goes through index.ts). */
const SEALED = ['services/executor', 'services/playbooks'];

describe('service boundaries', () => {
  it('no index.ts re-exports a whole module (`export *`): each lists its names', () => {
    const offenders = ALL.filter((f) => path.basename(f) === 'index.ts' && /^\s*export\s+(type\s+)?\*/m.test(readFileSync(path.join(ROOT, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('code outside the executor and playbooks services imports only their index.ts', () => {
    const offenders: string[] = [];
    for (const file of ALL) {
      for (const target of importsOf(file)) {
        const sealed = SEALED.find((dir) => target.startsWith(`${dir}/`));
        if (!sealed || file.startsWith(`${sealed}/`) || target === `${sealed}/index.ts`) continue;
        offenders.push(`${file} -> ${target}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('imports point down: playbooks never imports the executor, the api or the cli; the executor never imports the api or the cli', () => {
    const upward = (from: string, banned: string[]) =>
      sources(from).flatMap((f) =>
        importsOf(f)
          .filter((t) => banned.some((b) => t.startsWith(`${b}/`)))
          .map((t) => `${f} -> ${t}`),
      );
    expect(upward('services/playbooks', ['services/executor', 'services/api', 'services/cli'])).toEqual([]);
    expect(upward('services/executor', ['services/api', 'services/cli'])).toEqual([]);
  });
});
