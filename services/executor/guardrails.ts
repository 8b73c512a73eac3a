import type { FreezeWindow, GuardrailsSpec } from '../playbooks/index.ts';

/** Names of the guardrails, as reported in `skipped` outcomes. */
export type GuardrailName = 'episode_closed' | 'flapping' | 'freeze_window' | 'cooldown' | 'max_runs_per_hour' | 'fleet_budget' | 'max_concurrent';

/** What the guardrails look at, gathered from the store at decision time. Times in Unix ms. */
export interface GuardrailFacts {
  now: number;
  /** State of the episode (the incidents row, or the event when no row exists yet). */
  episodeOpen: boolean;
  flapping: boolean;
  /** Start of the service's latest execution that acted (any playbook), if any. */
  lastServiceRunAt: number | null;
  /** Executions of this playbook that acted in the last hour. */
  playbookRunsLastHour: number;
  /** Executions of any playbook that acted in the last hour. */
  fleetRunsLastHour: number;
  /** Unfinished executions of this playbook. */
  playbookRunning: number;
}

/** One guardrail's verdict. */
export interface GuardrailDecision {
  guardrail: GuardrailName;
  allow: boolean;
  detail: string;
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** True when `now` (Unix ms) falls inside window `w` (absolute, or weekly in UTC; a weekly window may wrap past midnight). */
export function inFreezeWindow(w: FreezeWindow, now: number): boolean {
  if (w.start !== undefined && w.end !== undefined) return now >= Date.parse(w.start) && now < Date.parse(w.end);
  if (!w.days || w.from === undefined || w.to === undefined) return false;
  const d = new Date(now);
  const minute = d.getUTCHours() * 60 + d.getUTCMinutes();
  const from = minutesOf(w.from);
  const to = minutesOf(w.to);
  const today = DAYS[d.getUTCDay()] as string;
  const yesterday = DAYS[(d.getUTCDay() + 6) % 7] as string;
  if (from <= to) return w.days.includes(today as never) && minute >= from && minute < to;
  // Wraps midnight: the evening part belongs to the listed day, the morning part to the day after.
  return (w.days.includes(today as never) && minute >= from) || (w.days.includes(yesterday as never) && minute < to);
}

/** Evaluates every guardrail (pure); the first denial, if any, is what skips the execution. */
export function evaluateGuardrails(g: GuardrailsSpec, f: GuardrailFacts): GuardrailDecision[] {
  const frozen = g.freezeWindows.find((w) => inFreezeWindow(w, f.now));
  const sinceLast = f.lastServiceRunAt === null ? null : (f.now - f.lastServiceRunAt) / 1000;
  return [
    { guardrail: 'episode_closed', allow: f.episodeOpen, detail: f.episodeOpen ? 'episode is open' : 'episode already closed' },
    { guardrail: 'flapping', allow: !(g.skipWhenFlapping && f.flapping), detail: f.flapping ? 'episode is flapping' : 'episode is stable' },
    { guardrail: 'freeze_window', allow: !frozen, detail: frozen ? `inside freeze window${frozen.reason ? ` (${frozen.reason})` : ''}` : 'no freeze window' },
    {
      guardrail: 'cooldown',
      allow: sinceLast === null || sinceLast >= g.cooldownSeconds,
      detail:
        sinceLast === null
          ? 'no earlier execution for the service'
          : `last execution for the service ${Math.round(sinceLast)} s ago, cooldown ${g.cooldownSeconds} s`,
    },
    {
      guardrail: 'max_runs_per_hour',
      allow: g.maxRunsPerHour === undefined || f.playbookRunsLastHour < g.maxRunsPerHour,
      detail: `${f.playbookRunsLastHour} run(s) of this playbook in the last hour, limit ${g.maxRunsPerHour ?? 'none'}`,
    },
    {
      guardrail: 'fleet_budget',
      allow: g.fleetMaxRunsPerHour === undefined || f.fleetRunsLastHour < g.fleetMaxRunsPerHour,
      detail: `${f.fleetRunsLastHour} run(s) fleet-wide in the last hour, budget ${g.fleetMaxRunsPerHour ?? 'none'}`,
    },
    {
      guardrail: 'max_concurrent',
      allow: f.playbookRunning < g.maxConcurrent,
      detail: `${f.playbookRunning} unfinished execution(s) of this playbook, limit ${g.maxConcurrent}`,
    },
  ];
}

/** The first guardrail that said no, if any. */
export function firstDenial(decisions: GuardrailDecision[]): GuardrailDecision | undefined {
  return decisions.find((d) => !d.allow);
}
