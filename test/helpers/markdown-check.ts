/** Cells of one Markdown table row (escaped `\|` stays inside its cell). */
export function tableCells(row: string): string[] {
  const inner = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.trim());
}

/** The texts of the level-2 headings (`## ...`) of `md`, in order. */
export function markdownSections(md: string): string[] {
  return [...md.matchAll(/^## (.+)$/gm)].map((m) => m[1] ?? '');
}

/** The sections an incident report's Markdown has, in this order, whatever the incident (an empty one says so). */
export const INCIDENT_REPORT_SECTIONS = ['Summary', 'Deviating signals', 'Root cause', 'Actions', 'Deployments', 'Labels', 'Timeline'];

/** The Markdown tables of `md`: runs of consecutive lines starting with `|`. */
export function markdownTables(md: string): string[][] {
  const tables: string[][] = [];
  let current: string[] | null = null;
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) {
      if (!current) {
        current = [];
        tables.push(current);
      }
      current.push(line);
    } else current = null;
  }
  return tables;
}

/**
 * What would read badly pasted into a ticket: a leaked `undefined`, `NaN`,
 * `null` or `[object Object]`, a table whose rows differ in cell count, a
 * table without its `|---|` separator row, a section without content.
 */
export function markdownProblems(md: string): string[] {
  const problems: string[] = [];
  for (const leak of ['undefined', 'NaN', '[object Object]', 'null']) {
    const re = new RegExp(`(^|[^A-Za-z_])${leak.replace(/[[\]]/g, '\\$&')}([^A-Za-z_]|$)`, 'm');
    if (re.test(md)) problems.push(`contains ${leak}`);
  }
  for (const table of markdownTables(md)) {
    const widths = table.map((row) => tableCells(row).length);
    if (new Set(widths).size !== 1) problems.push(`table rows with ${widths.join('/')} cells: ${table[0]}`);
    if (!/^\|(\s*:?-{3,}:?\s*\|)+$/.test(table[1] ?? '')) problems.push(`table without a separator row: ${table[0]}`);
  }
  const sections = md.split(/^## /m).slice(1);
  for (const s of sections) if (s.split('\n').slice(1).join('').trim() === '') problems.push(`empty section ${s.split('\n')[0]}`);
  return problems;
}
