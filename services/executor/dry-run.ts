import { eq } from 'drizzle-orm';
import type { AnomalyEvent } from '../bus/messages.ts';
import { describeError, PermanentError } from '../core/errors.ts';
import {
  type ActionSpec,
  AddressGuard,
  CompiledPlaybook,
  createRedactor,
  type MatchCheck,
  type PlaybookCatalog,
  type StoredPlaybook,
  type TemplateContext,
} from '../playbooks/index.ts';
import type { Db } from '../store/index.ts';
import { anomalies } from '../store/index.ts';
import { gatherFacts, verdictFor } from './decide.ts';
import { evaluateGuardrails, type GuardrailDecision } from './guardrails.ts';
import { renderAction } from './steps/render-step.ts';

/** What a dry-run reports: would the playbook match, be chosen, pass each guardrail, and what would it send. */
export interface DryRunResult {
  playbook: { id: string; name: string; version: number };
  anomaly: AnomalyEvent;
  matched: boolean;
  match: MatchCheck[];
  /** Whether this playbook is the one chosen among all live matching playbooks. */
  chosen: boolean;
  guardrails: GuardrailDecision[];
  wouldRun: boolean;
  status: string;
  reason: string;
  /**
   * Each step with its rendered parameters (secrets redacted) or the
   * rendering error; an http/notify step whose literal target host the
   * guard would refuse has both, `error` naming the rule.
   */
  plan: { id: string; type: string; params?: unknown; error?: string; undo?: boolean }[];
}

/** Fills an anomaly given in a dry-run request with neutral defaults. */
export function completeAnomaly(partial: Partial<AnomalyEvent>): AnomalyEvent {
  const now = Date.now();
  return {
    id: 'dry-run',
    service: 'unknown_service',
    episodeId: 'dry-run',
    windowStartUnixMs: now - 10_000,
    windowEndUnixMs: now,
    score: 1,
    likelihood: 1,
    severity: 'critical',
    kind: 'latency',
    evidence: [],
    modelVersion: '',
    episodeState: 'open',
    rootCauses: [],
    attributes: {},
    detectedUnixMs: now,
    recoveryStartUnixMs: 0,
    flapping: false,
    ...partial,
  };
}

/** Reads a past anomaly from the anomalies table as an event; 404 when missing. */
export async function pastAnomaly(db: Db, id: string): Promise<AnomalyEvent> {
  const r = (await db.select().from(anomalies).where(eq(anomalies.id, id)))[0];
  if (!r) throw new PermanentError('ZEROOPS_NOT_FOUND', `no anomaly with id "${id}"`, { statusCode: 404 });
  return {
    id: r.id,
    service: r.service,
    episodeId: r.episodeId,
    windowStartUnixMs: r.windowStart.getTime(),
    windowEndUnixMs: r.windowEnd.getTime(),
    score: r.score,
    likelihood: r.likelihood,
    severity: r.severity as AnomalyEvent['severity'],
    kind: r.kind as AnomalyEvent['kind'],
    evidence: r.evidence,
    modelVersion: r.modelVersion,
    episodeState: r.episodeState as AnomalyEvent['episodeState'],
    rootCauses: r.rootCauses,
    attributes: r.attributes,
    detectedUnixMs: r.detectedAt.getTime(),
    recoveryStartUnixMs: 0,
    flapping: r.flapping,
  };
}

/** What a dry run needs from the configuration. */
export interface DryRunConfig {
  /** Configured secrets (rendered, then redacted in the plan). */
  secrets: Record<string, string>;
  /** config.httpAllowlist: a step URL whose literal host the guard would refuse is reported. */
  httpAllowlist: string[];
}

function targetProblem(guard: AddressGuard, params: unknown): string | undefined {
  const url = (params as { url?: unknown } | undefined)?.url;
  if (typeof url !== 'string') return undefined;
  const host = URL.canParse(url) ? new URL(url).hostname : undefined;
  return host === undefined ? undefined : guard.literalProblem(host);
}

function plan(p: StoredPlaybook, a: AnomalyEvent, cfg: DryRunConfig): DryRunResult['plan'] {
  const redact = createRedactor(cfg.secrets);
  const guard = new AddressGuard(cfg.httpAllowlist);
  const base: Omit<TemplateContext, 'step'> = {
    anomaly: a as unknown as Record<string, unknown>,
    secret: cfg.secrets,
    execution: { id: 'dry-run' },
    playbook: { id: p.id, name: p.name, version: p.version },
  };
  const render = (id: string, action: ActionSpec, undo: boolean) => {
    const key = `${a.episodeId}:${p.id}@${p.version}:${undo ? 'undo:' : ''}${id}`;
    try {
      const params = renderAction(action, { ...base, step: { id, idempotencyKey: key } });
      const refused = action.type === 'http' || action.type === 'notify' ? targetProblem(guard, params) : undefined;
      return { id, type: action.type, undo, params: redact(params), ...(refused ? { error: redact.text(refused) } : {}) };
    } catch (err) {
      return { id, type: action.type, undo, error: redact.text(describeError(err)) };
    }
  };
  return p.spec.steps.flatMap((s) => [render(s.id, s, false), ...(s.undo ? [render(s.id, s.undo, true)] : [])]);
}

/** Evaluates `p` against `a` without side effects (reads the store for the guardrails' facts). */
export async function dryRun(db: Db, p: StoredPlaybook, a: AnomalyEvent, cfg: DryRunConfig, catalog: PlaybookCatalog): Promise<DryRunResult> {
  const compiled = new CompiledPlaybook(p);
  const match = compiled.explain(a);
  const matched = match.every((m) => m.ok);
  const guardrails = evaluateGuardrails(p.spec.guardrails, await gatherFacts(db, a, p.id, Date.now()));
  const v = verdictFor(
    p.spec.mode,
    guardrails,
    p.spec.steps.map((s) => s.id),
  );
  const chosen = matched && catalog.choose(a)?.ref.id === p.id;
  const wouldRun = matched && chosen && v.status === 'pending';
  const reason = !matched ? 'does not match' : !chosen ? 'another matching playbook has a higher priority' : v.reason || 'would run now';
  return {
    playbook: { id: p.id, name: p.name, version: p.version },
    anomaly: a,
    matched,
    match,
    chosen,
    guardrails,
    wouldRun,
    status: matched && chosen ? v.status : 'not_chosen',
    reason,
    plan: plan(p, a, cfg),
  };
}
