/**
 * The executor's choice among the playbooks that match an anomaly: the
 * learned remediation policy (Thompson sampling over the trainer's
 * posteriors, models/policy) within the guardrails, in each playbook's
 * effective mode (graduated autonomy). One choice per episode: once an
 * episode has an execution of a matching playbook, later events of the
 * episode stay with it.
 */
import { randomInt } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import { type AutonomyMode, policyChoose, posteriorOf, signatureOf } from '../../models/policy/index.ts';
import { createRng, type Rng } from '../../models/stats/index.ts';
import type { AnomalyEvent } from '../bus/messages.ts';
import type { CompiledPlaybook, PlaybookCatalog, PlaybookVersionRef } from '../playbooks/index.ts';
import type { Db } from '../store/index.ts';
import { executions } from '../store/index.ts';
import { effectiveMode, readArmsFor, readPlaybookModes, recordPolicyDecision } from '../trainer/index.ts';
import { gatherFacts } from './decide.ts';
import { evaluateGuardrails, firstDenial } from './guardrails.ts';

/** One candidate of a recorded choice (stored in policy_decisions.candidates, shown on the execution). */
export interface CandidateRecord {
  playbookId: string;
  name: string;
  priority: number;
  mode: AutonomyMode;
  alpha: number;
  beta: number;
  sampled: number | null;
  /** The guardrail that would skip it now, if any (such candidates only run when every candidate is denied). */
  deniedBy: string | null;
}

/** The playbook to decide for an anomaly, in its effective mode, and the record of the choice when there was one. */
export interface PolicyChoice {
  ref: PlaybookVersionRef;
  decision?: { signature: string; chosenPlaybookId: string; candidates: CandidateRecord[] };
}

/** Chooses playbooks by the learned policy and records its choices. */
export interface PolicyChooser {
  choose(a: AnomalyEvent, cat: PlaybookCatalog): Promise<PolicyChoice | undefined>;
  /** Records the choice made for a newly created execution. */
  record(executionId: string, choice: PolicyChoice): Promise<void>;
}

const withMode = (ref: PlaybookVersionRef, mode: AutonomyMode): PlaybookVersionRef => (mode === ref.spec.mode ? ref : { ...ref, spec: { ...ref.spec, mode } });

async function stickyPlaybook(db: Db, a: AnomalyEvent, ids: string[]): Promise<string | undefined> {
  const rows = await db
    .select({ playbookId: executions.playbookId, status: executions.status })
    .from(executions)
    .where(and(eq(executions.episodeId, a.episodeId), inArray(executions.playbookId, ids)));
  return (rows.find((r) => r.status !== 'skipped') ?? rows[0])?.playbookId;
}

async function candidatesOf(db: Db, a: AnomalyEvent, matches: CompiledPlaybook[], signature: string, modes: Map<string, AutonomyMode>) {
  const ids = matches.map((m) => m.ref.id);
  const arms = await readArmsFor(db, ids, signature);
  const now = Date.now();
  return Promise.all(
    matches.map(async (m) => {
      const denial = firstDenial(evaluateGuardrails(m.ref.spec.guardrails, await gatherFacts(db, a, m.ref.id, now)));
      return {
        playbookId: m.ref.id,
        name: m.ref.name,
        priority: m.ref.spec.priority,
        mode: modes.get(m.ref.id) ?? m.ref.spec.mode,
        posterior: posteriorOf(arms, signature, a.service, m.ref.id),
        deniedBy: denial?.guardrail ?? null,
      };
    }),
  );
}

/** Creates the chooser of an executor; `rng` defaults to a generator seeded at random (pass one to replay choices). */
export function createPolicyChooser(db: Db, rng: Rng = createRng(randomInt(2 ** 31))): PolicyChooser {
  return {
    async choose(a, cat) {
      const matches = cat.matching(a);
      if (matches.length === 0) return undefined;
      const ids = matches.map((m) => m.ref.id);
      const rows = await readPlaybookModes(db, ids);
      const modes = new Map(matches.map((m) => [m.ref.id, effectiveMode(m.ref.spec.mode, rows.get(m.ref.id))]));
      const only = matches.length === 1 ? matches[0] : undefined;
      if (only) return { ref: withMode(only.ref, modes.get(only.ref.id) as AutonomyMode) };
      const sticky = await stickyPlaybook(db, a, ids);
      const stuck = matches.find((m) => m.ref.id === sticky);
      if (stuck) return { ref: withMode(stuck.ref, modes.get(stuck.ref.id) as AutonomyMode) };
      const signature = signatureOf(a.service, a.kind, a.evidence);
      const all = await candidatesOf(db, a, matches, signature, modes);
      const allowed = all.filter((c) => c.deniedBy === null);
      const pick = policyChoose(allowed.length > 0 ? allowed : all, rng);
      const chosen = matches.find((m) => m.ref.id === pick?.chosen) as CompiledPlaybook;
      const sampled = new Map(pick?.candidates.map((c) => [c.playbookId, c.sampled]));
      const candidates = all.map(({ posterior, ...c }) => ({
        ...c,
        alpha: posterior.alpha,
        beta: posterior.beta,
        sampled: Number.isNaN(sampled.get(c.playbookId)) ? null : (sampled.get(c.playbookId) ?? null),
      }));
      return { ref: withMode(chosen.ref, modes.get(chosen.ref.id) as AutonomyMode), decision: { signature, chosenPlaybookId: chosen.ref.id, candidates } };
    },
    async record(executionId, choice) {
      if (choice.decision) await recordPolicyDecision(db, { executionId, ...choice.decision });
    },
  };
}
