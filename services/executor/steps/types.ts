import type { ExecutorConfig } from '../../core/component-config.ts';
import type { ActionSpec, AddressGuard, TemplateContext } from '../../playbooks/index.ts';

/** What a step needs at run time besides its parameters. */
export interface StepRuntime {
  template: TemplateContext;
  /** `<episode>:<playbookId>@<version>:<step>`: sent as `Idempotency-Key` so targets can deduplicate. */
  idempotencyKey: string;
  /** Aborted on timeout, cancellation or loss of the lease. */
  signal: AbortSignal;
  /** Per-attempt timeout, in milliseconds. */
  timeoutMs: number;
  /** When the step's first attempt started, Unix ms (durable: survives restarts). */
  firstStartedAt: number;
  episodeId: string;
  /** The episode's score when the execution was decided. */
  scoreBefore: number;
  /** Largest absolute deviation (in baseline spreads) of the anomaly the execution was decided on; undefined without evidence. */
  deviationBefore?: number;
}

/** Verdict of a verify step. */
export type VerifyVerdict = 'resolved' | 'not_resolved' | 'made_worse';

/** What a step reports; `request` and `response` are redacted before they are stored. */
export interface StepOutput {
  request?: unknown;
  response?: unknown;
  verdict?: VerifyVerdict;
  scoreAfter?: number;
}

/** One step type's side effect. Throws RetryableError / PermanentError on failure. */
export type StepActivity = (action: ActionSpec, rt: StepRuntime) => Promise<StepOutput>;

/** The incident (episode) as the detector last wrote it. */
export interface IncidentView {
  state: 'open' | 'closed';
  lastScore: number;
  maxScore: number;
  flapping: boolean;
  /** Of a closed incident: when its recovery began (Unix ms; see the store's `recovery_started_at`); undefined when unknown. */
  recoveryStartedAt?: number;
}

/** Largest absolute deviations (baseline spreads) of an episode's events up to a cut-off (`before`) and of the latest one after it (`after`). */
export interface EpisodeDeviations {
  before?: number;
  after?: number;
}

/** Dependencies of the step activities. */
export interface StepDeps {
  config: ExecutorConfig;
  guard: AddressGuard;
  /** Reads the incidents row of an episode (undefined when the detector has not written it). */
  readIncident(episodeId: string): Promise<IncidentView | undefined>;
  /** Reads the deviations of an episode's anomaly events around `cutoffMs` (absent: the verify step judges by score). */
  readDeviations?(episodeId: string, cutoffMs: number): Promise<EpisodeDeviations>;
  /** Reads a file (the in-cluster Kubernetes token); injectable for tests. */
  readFile?(path: string): Promise<string>;
}
