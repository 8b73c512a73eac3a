/** `zeroops settings [--markdown]`: every setting with its environment variable, file key, default and meaning. */
import { SETTINGS } from '../core/config.ts';

/** Prints the settings table (`--markdown`: as a Markdown table). */
export function printSettings(args: string[]): void {
  if (args.includes('--markdown')) {
    process.stdout.write('| variable | file key | default | meaning |\n|---|---|---|---|\n');
    for (const s of SETTINGS) process.stdout.write(`| \`${s.env}\` | \`${s.key}\` | \`${JSON.stringify(s.default)}\` | ${s.description} |\n`);
    return;
  }
  for (const s of SETTINGS) process.stdout.write(`${s.env.padEnd(38)} ${JSON.stringify(s.default).padEnd(14)} ${s.description}\n`);
}
