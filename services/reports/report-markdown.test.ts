import { describe, expect, it } from 'vitest';
import { INCIDENT_REPORT_SECTIONS, markdownProblems, markdownSections, markdownTables, tableCells } from '../../test/helpers/markdown-check.ts';
import type { IncidentReport } from './incident-report.ts';
import { renderReportMarkdown, TIMELINE_ROWS } from './report-markdown.ts';

const T = Date.parse('2026-03-01T10:00:00Z');
const iso = (s: number) => new Date(T + s * 1000).toISOString();

function report(anomalyEvents: number): IncidentReport {
  return {
    incident: {
      id: 'inc|1',
      service: 'frontend',
      kind: 'errors',
      severity: 'critical',
      state: 'closed',
      openedAt: iso(0),
      closedAt: iso(600),
      maxScore: 0.98,
      lastScore: 0.2,
      flapping: false,
      neededHuman: true,
      resolvedBy: 'human',
      updatedAt: iso(600),
    },
    timeline: Array.from({ length: anomalyEvents }, (_, k) => ({ at: iso(k * 10), score: 0.9, severity: 'critical', state: 'open', anomalyId: `a${k}` })),
    features: [{ feature: 'error_ratio', unit: 'ratio of failed requests (0..1)', observed: 0.6, expected: 0.01, lower: 0, upper: 0.03, deviation: 14 }],
    series: [],
    rootCauses: [{ service: 'cart', rank: 1, score: 0.9, reason: '1 hop downstream | its own spans fail' }],
    neighbourhood: { nodes: [], edges: [{ from: 'frontend', to: 'cart', calls: 100, errors: 60 }] },
    executions: [
      {
        id: 'e1',
        playbookId: 'p1',
        playbookName: 'restart-cart',
        playbookVersion: 2,
        mode: 'suggest',
        status: 'cancelled',
        outcome: null,
        createdAt: iso(20),
        finishedAt: iso(80),
        steps: [{ name: 'restart', type: 'http', status: 'skipped', startedAt: null, finishedAt: null, error: null }],
      },
    ],
    deployments: [],
    modelVersion: 'm-3',
    labels: [{ id: 'l1', label: 'true_positive', actor: 'token:operator', note: 'cart pods\nOOM', createdAt: iso(700) }],
    units: {},
  };
}

describe('renderReportMarkdown', () => {
  it('names kind, service and severity in the title and lists every event in a well-formed timeline', () => {
    const md = renderReportMarkdown(report(5));
    expect(md.split('\n')[0]).toBe('# Incident inc|1: errors on frontend (severity critical)');
    expect(markdownSections(md)).toEqual(INCIDENT_REPORT_SECTIONS);
    expect(markdownProblems(md)).toEqual([]);
    const timeline = markdownTables(md).at(-1) ?? [];
    // Header, separator, 5 anomaly windows, execution started and finished, incident closed, label.
    expect(timeline).toHaveLength(2 + 5 + 2 + 1 + 1);
    expect(timeline[2]).toBe(`| ${iso(0)} | anomaly | open, critical, score 0.9 |`);
    expect(timeline).toContain(`| ${iso(20)} | execution | restart-cart v2 started (suggest) |`);
    expect(timeline).toContain(`| ${iso(80)} | execution | restart-cart v2 cancelled, outcome pending |`);
    expect(timeline.at(-2)).toBe(`| ${iso(600)} | incident | closed (resolved by human) |`);
    expect(timeline.at(-1)).toBe(`| ${iso(700)} | label | true_positive by token:operator |`);
    // A pipe in a cell is escaped, so the table keeps its shape.
    expect(md).toContain('1. **cart** (score 0.9): 1 hop downstream \\| its own spans fail');
  });

  it('shortens a long timeline to its first and last events with a count of the rest', () => {
    const md = renderReportMarkdown(report(100));
    expect(markdownProblems(md)).toEqual([]);
    const timeline = markdownTables(md).at(-1) ?? [];
    expect(timeline).toHaveLength(2 + TIMELINE_ROWS + 1);
    expect(timeline.find((row) => row.startsWith('| …'))).toBe(`| … | … | ${100 + 4 - TIMELINE_ROWS} more events |`);
    expect(tableCells(timeline[2] ?? '')).toEqual([iso(0), 'anomaly', 'open, critical, score 0.9']);
  });

  it('the checker catches leaks and ragged tables', () => {
    expect(markdownProblems('## A\n\n| a | b |\n|---|---|\n| 1 |\n')).toEqual(['table rows with 2/2/1 cells: | a | b |']);
    expect(markdownProblems('## A\n\nvalue NaN and undefined\n')).toEqual(['contains undefined', 'contains NaN']);
  });
});
