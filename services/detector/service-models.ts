import type { Evidence } from '../bus/messages.ts';
import { type BaselineState, BaselineScorer, DEFAULT_BASELINE } from './baseline-scorer.ts';
import { DEFAULT_EPISODE, type EpisodeState, type EpisodeStep, newEpisodeState, stepEpisode } from './episode-tracker.ts';
import type { FeatureVector } from './window-features.ts';

/** Serializable model state of one service. */
export interface ServiceState {
  /** Bus partition the service's telemetry arrives on (its checkpoint key). */
  partition: number;
  baseline: BaselineState;
  episode: EpisodeState;
  /** Callee services seen in the last windows, with the window end they were last seen. */
  callees: Record<string, number>;
  /** Feature that opened the current episode. */
  episodeFeature?: string;
}

/** Serializable state of many services, keyed by service name. */
export type ServiceModelState = Record<string, ServiceState>;

/** Result of scoring one window of one service. */
export interface ServiceScore {
  score: number;
  likelihood: number;
  evidence: Evidence[];
  step: EpisodeStep;
  /** Recent callees of the service (for root-cause ranking). */
  callees: string[];
  episodeFeature?: string;
}

const CALLEE_MEMORY_MS = 5 * 60_000;

/** The per-service models of one detector instance: baselines plus episode trackers. */
export class ServiceModels {
  private readonly states = new Map<string, { st: ServiceState; scorer: BaselineScorer }>();

  private get(service: string, partition = -1): { st: ServiceState; scorer: BaselineScorer } {
    let m = this.states.get(service);
    if (!m) {
      const st: ServiceState = { partition, baseline: {}, episode: newEpisodeState(), callees: {} };
      m = { st, scorer: new BaselineScorer(DEFAULT_BASELINE, st.baseline) };
      this.states.set(service, m);
    }
    if (partition >= 0) m.st.partition = partition;
    return m;
  }

  /** Notes that `service` arrives on `partition`. */
  notePartition(service: string, partition: number): void {
    this.get(service, partition);
  }

  /** Scores one closed window and advances the service's episode. */
  score(service: string, features: FeatureVector, windowEndMs: number, callees: string[]): ServiceScore {
    const m = this.get(service);
    for (const c of callees) m.st.callees[c] = windowEndMs;
    for (const [c, t] of Object.entries(m.st.callees)) if (windowEndMs - t > CALLEE_MEMORY_MS) delete m.st.callees[c];
    const r = m.scorer.update(features);
    const step = stepEpisode(m.st.episode, DEFAULT_EPISODE, service, r.score, windowEndMs);
    if (step.transition === 'open') m.st.episodeFeature = r.evidence[0]?.feature;
    const episodeFeature = m.st.episodeFeature;
    if (step.transition === 'closed') delete m.st.episodeFeature;
    return { score: r.score, likelihood: r.score, evidence: r.evidence, step, callees: Object.keys(m.st.callees), episodeFeature };
  }

  /** When the current episode of `service` opened (Unix ms), or 0. */
  openedAt(service: string): number {
    return this.states.get(service)?.st.episode.openedAtMs ?? 0;
  }

  /** Copies the state of the services on `partitions` (all when omitted). */
  snapshot(partitions?: ReadonlySet<number>): ServiceModelState {
    const out: ServiceModelState = {};
    for (const [name, m] of this.states) if (!partitions || partitions.has(m.st.partition)) out[name] = structuredClone(m.st);
    return out;
  }

  /** Replaces the state of the services in `state` (restored from a checkpoint). */
  restore(state: ServiceModelState): void {
    for (const [name, st] of Object.entries(state)) {
      const copy = structuredClone(st);
      this.states.set(name, { st: copy, scorer: new BaselineScorer(DEFAULT_BASELINE, copy.baseline) });
    }
  }

  /** Forgets the services on `partitions` (after a rebalance took them away). */
  drop(partitions: ReadonlySet<number>): void {
    for (const [name, m] of this.states) if (partitions.has(m.st.partition)) this.states.delete(name);
  }

  /** Number of tracked services. */
  size(): number {
    return this.states.size;
  }
}
