import { DEVIATION_UNIT } from './feature-units.ts';
import type { IncidentReport } from './incident-report.ts';

/** A number short enough for a table: 4 significant digits. */
function num(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '–';
  return Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : String(Number(x.toPrecision(4)));
}

/** Escapes what would break a Markdown table cell or start markup. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function duration(fromIso: string, toIso: string | null): string {
  if (!toIso) return 'ongoing';
  const s = Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}

function summary(r: IncidentReport): string[] {
  const i = r.incident;
  return [
    `# Incident ${i.id}: ${i.kind} on ${i.service} (severity ${i.severity})`,
    '',
    '## Summary',
    '',
    `- **Service:** ${i.service}`,
    `- **Kind / severity:** ${i.kind} / ${i.severity}`,
    `- **State:** ${i.state}${i.resolvedBy ? ` (resolved by ${i.resolvedBy})` : ''}${i.neededHuman ? ', needed a human' : ''}${i.flapping ? ', flapping' : ''}`,
    `- **Opened:** ${i.openedAt}${i.closedAt ? `, closed ${i.closedAt}` : ''} (${duration(i.openedAt, i.closedAt)})`,
    `- **Score:** peak ${num(i.maxScore)}, last ${num(i.lastScore)} (0..1), over ${r.timeline.length} anomaly event${r.timeline.length === 1 ? '' : 's'}`,
    `- **Model version:** ${r.modelVersion || 'unknown'}`,
  ];
}

function signals(r: IncidentReport): string[] {
  const out = ['', '## Deviating signals', ''];
  if (r.features.length === 0) return [...out, 'No feature deviated at the peak.'];
  out.push('| Feature | Observed | Expected | Expected band | Deviation | Unit |', '|---|---|---|---|---|---|');
  for (const f of r.features) {
    out.push(`| ${cell(f.feature)} | ${num(f.observed)} | ${num(f.expected)} | ${num(f.lower)} .. ${num(f.upper)} | ${num(f.deviation)} | ${cell(f.unit)} |`);
  }
  return [...out, '', `Deviation is in ${DEVIATION_UNIT}.`];
}

function rootCause(r: IncidentReport): string[] {
  const out = ['', '## Root cause', ''];
  if (r.rootCauses.length === 0) out.push('No candidate ranked.');
  for (const c of r.rootCauses) out.push(`${c.rank}. **${cell(c.service)}** (score ${num(c.score)}): ${cell(c.reason)}`);
  if (r.rootCauses.length > 0) out.push('', 'Root-cause scores are in 0..1 (1 = certainly the cause).');
  const edges = r.neighbourhood.edges.map(
    (e) => `${e.to} (${e.calls} calls, ${e.errors ?? 'unknown'} failed${e.errors && e.calls ? `: ${num((100 * e.errors) / e.calls)} %` : ''})`,
  );
  if (edges.length > 0) out.push('', `Calls from ${r.incident.service} in the period: ${edges.join(', ')}.`);
  return out;
}

function actions(r: IncidentReport): string[] {
  const out = ['', '## Actions', ''];
  if (r.executions.length === 0) return [...out, 'No playbook ran.'];
  for (const e of r.executions) {
    out.push(
      `- **${cell(e.playbookName)}** v${e.playbookVersion} (${e.mode}): ${e.status}, outcome ${e.outcome ?? 'pending'}, started ${e.createdAt}${e.finishedAt ? `, finished ${e.finishedAt}` : ''}`,
    );
    for (const s of e.steps) out.push(`  - ${cell(s.name)} (${s.type}): ${s.status}${s.error ? `: ${cell(s.error)}` : ''}`);
  }
  return out;
}

function deploymentsAndLabels(r: IncidentReport): string[] {
  const out = ['', '## Deployments', ''];
  if (r.deployments.length === 0) out.push('No deployment of the service or its callees shortly before the incident.');
  for (const d of r.deployments) out.push(`- ${cell(d.service)}: ${cell(d.oldVersion ?? '(none)')} → ${cell(d.newVersion)} at ${d.firstSeen}`);
  out.push('', '## Labels', '');
  if (r.labels.length === 0) out.push('Not labelled yet.');
  for (const l of r.labels) out.push(`- ${l.label} by ${cell(l.actor)} at ${l.createdAt}${l.note ? `: ${cell(l.note)}` : ''}`);
  return out;
}

/** Most rows of the timeline table: the first and last half of them when there are more. */
export const TIMELINE_ROWS = 40;

/** Every event of the incident in time order: anomaly windows, executions started and finished, labels. */
function timeline(r: IncidentReport): string[] {
  const events: [string, string, string][] = [];
  for (const t of r.timeline) events.push([t.at, 'anomaly', `${t.state}, ${t.severity}, score ${num(t.score)}`]);
  for (const e of r.executions) {
    events.push([e.createdAt, 'execution', `${cell(e.playbookName)} v${e.playbookVersion} started (${e.mode})`]);
    if (e.finishedAt) events.push([e.finishedAt, 'execution', `${cell(e.playbookName)} v${e.playbookVersion} ${e.status}, outcome ${e.outcome ?? 'pending'}`]);
  }
  for (const l of r.labels) events.push([l.createdAt, 'label', `${l.label} by ${cell(l.actor)}`]);
  if (r.incident.closedAt) events.push([r.incident.closedAt, 'incident', `closed${r.incident.resolvedBy ? ` (resolved by ${r.incident.resolvedBy})` : ''}`]);
  events.sort((a, b) => a[0].localeCompare(b[0]));
  const out = ['', '## Timeline', '', '| Time (UTC) | Event | Detail |', '|---|---|---|'];
  const half = TIMELINE_ROWS / 2;
  const shown = events.length > TIMELINE_ROWS ? [...events.slice(0, half), null, ...events.slice(-half)] : events;
  for (const e of shown) {
    out.push(e ? `| ${e[0]} | ${e[1]} | ${e[2]} |` : `| … | … | ${events.length - TIMELINE_ROWS} more events |`);
  }
  return [...out, '', 'Anomaly scores are in 0..1.'];
}

/** The report as Markdown for a ticket or a chat message: Summary, Deviating signals, Root cause, Actions, Deployments, Labels, Timeline. */
export function renderReportMarkdown(r: IncidentReport): string {
  return `${[...summary(r), ...signals(r), ...rootCause(r), ...actions(r), ...deploymentsAndLabels(r), ...timeline(r)].join('\n')}\n`;
}
