import picomatch from 'picomatch';
import type { AnomalyEvent } from '../bus/messages.ts';
import { type Playbook, SEVERITIES } from './playbook-schema.ts';

/** A live playbook version the executor can run. */
export interface PlaybookVersionRef {
  id: string;
  name: string;
  version: number;
  spec: Playbook;
}

/** One criterion of `match` and whether an anomaly meets it (for dry-runs). */
export interface MatchCheck {
  criterion: 'enabled' | 'trigger' | 'service' | 'kinds' | 'minSeverity' | 'minScore' | 'attributes';
  ok: boolean;
  detail: string;
}

type Matcher = (s: string) => boolean;

const severityRank = (s: string): number => SEVERITIES.indexOf(s as (typeof SEVERITIES)[number]);

/** A playbook with its globs compiled once. */
export class CompiledPlaybook {
  readonly ref: PlaybookVersionRef;
  private readonly service: Matcher;
  private readonly attributes: [string, Matcher][];

  constructor(ref: PlaybookVersionRef) {
    this.ref = ref;
    this.service = picomatch(ref.spec.match.service, { dot: true });
    this.attributes = Object.entries(ref.spec.match.attributes ?? {}).map(([k, g]) => [k, picomatch(g, { dot: true })]);
  }

  /** True when the playbook's `match.service` glob covers `service`. */
  coversService(service: string): boolean {
    return this.service(service);
  }

  /** Every criterion with its verdict (slower than {@link matches}; for dry-runs). */
  explain(a: AnomalyEvent): MatchCheck[] {
    const m = this.ref.spec.match;
    const attrMiss = this.attributes.filter(([k, test]) => !test(a.attributes[k] ?? '')).map(([k]) => k);
    const forecast = this.ref.spec.trigger?.type === 'forecast';
    return [
      { criterion: 'enabled', ok: this.ref.spec.enabled, detail: this.ref.spec.enabled ? 'enabled' : 'playbook is disabled' },
      { criterion: 'trigger', ok: !forecast, detail: forecast ? 'triggered by the load forecast, not by anomalies' : 'triggered by anomalies' },
      { criterion: 'service', ok: this.service(a.service), detail: `"${a.service}" against glob "${m.service}"` },
      { criterion: 'kinds', ok: !m.kinds || m.kinds.includes(a.kind as never), detail: `kind ${a.kind}${m.kinds ? ` in [${m.kinds.join(', ')}]` : ''}` },
      {
        criterion: 'minSeverity',
        ok: !m.minSeverity || severityRank(a.severity) >= severityRank(m.minSeverity),
        detail: `severity ${a.severity} >= ${m.minSeverity ?? 'any'}`,
      },
      { criterion: 'minScore', ok: m.minScore === undefined || a.score >= m.minScore, detail: `score ${a.score} >= ${m.minScore ?? 0}` },
      {
        criterion: 'attributes',
        ok: attrMiss.length === 0,
        detail: attrMiss.length === 0 ? 'attributes match' : `attributes not matching: ${attrMiss.join(', ')}`,
      },
    ];
  }

  /** True when the playbook applies to `a` (a forecast-triggered playbook applies to no anomaly). */
  matches(a: AnomalyEvent): boolean {
    const m = this.ref.spec.match;
    if (!this.ref.spec.enabled || this.ref.spec.trigger?.type === 'forecast') return false;
    if (m.minScore !== undefined && a.score < m.minScore) return false;
    if (m.kinds && !m.kinds.includes(a.kind as never)) return false;
    if (m.minSeverity && severityRank(a.severity) < severityRank(m.minSeverity)) return false;
    if (!this.service(a.service)) return false;
    return this.attributes.every(([k, test]) => test(a.attributes[k] ?? ''));
  }
}

/** The set of live playbooks, compiled; ordered so that the first match is the chosen one. */
export class PlaybookCatalog {
  private readonly compiled: CompiledPlaybook[];

  constructor(refs: PlaybookVersionRef[]) {
    this.compiled = refs.map((r) => new CompiledPlaybook(r)).sort((a, b) => b.ref.spec.priority - a.ref.spec.priority || a.ref.name.localeCompare(b.ref.name));
  }

  /** Number of playbooks. */
  get size(): number {
    return this.compiled.length;
  }

  /** The enabled forecast-triggered playbooks, highest priority first. */
  forecastTriggered(): CompiledPlaybook[] {
    return this.compiled.filter((p) => p.ref.spec.enabled && p.ref.spec.trigger?.type === 'forecast');
  }

  /** Every matching playbook, highest priority first (ties by name). */
  matching(a: AnomalyEvent): CompiledPlaybook[] {
    return this.compiled.filter((p) => p.matches(a));
  }

  /**
   * The playbook that runs for `a`: for now the highest priority among the
   * matching ones (the feedback loop's policy will replace this choice).
   */
  choose(a: AnomalyEvent): CompiledPlaybook | undefined {
    return this.compiled.find((p) => p.matches(a));
  }
}
