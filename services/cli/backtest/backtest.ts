/**
 * The backtest loop: windows of exported history, in time order, scored by
 * the live detector's fleet models (`ServiceModels`, the same features and
 * the same evidence as live) on the history's own clock. It keeps each
 * service's scores, the anomaly events the detector would have emitted and
 * the incidents those events would have opened; the models are left as the
 * history taught them (for `--save-state`).
 */
import { type NeuralScorer, ServiceModels, type ServiceScore, severityRank, type WindowInput } from '../../../models/fleet/index.ts';
import type { AnomalyEvent } from '../../bus/index.ts';
import { anomalyEvent, episodeConfig, MODEL_VERSION } from '../../detector/index.ts';

/** One service's scored windows, in order. */
export interface ServiceScores {
  startMs: number[];
  score: number[];
}

/** An incident the detector would have opened (as the store's incidents row would read). */
export interface BacktestIncident {
  id: string;
  service: string;
  kind: string;
  severity: string;
  state: 'open' | 'resolved';
  openedAt: string;
  resolvedAt: string | null;
  maxScore: number;
  /** The evidence of the event that opened it. */
  evidence: AnomalyEvent['evidence'];
  /** Whether the service was still warming up when it opened. */
  warmingUp: boolean;
}

/** What a backtest produced. */
export interface BacktestResult {
  scores: Map<string, ServiceScores>;
  anomalies: AnomalyEvent[];
  incidents: BacktestIncident[];
  windows: number;
  seconds: number;
  /** The models as the history left them. */
  models: ServiceModels;
}

/** Settings of {@link runBacktest}. */
export interface BacktestOptions {
  /** Window length of the input, ms (episode timing is relative to it, as live). */
  windowMs: number;
  /** The shared neural model (as the live detector's `detectorNeural`); seasonal baselines only when absent. */
  neural?: NeuralScorer;
  /** Called about every `progressEvery` windows with the count so far. */
  progress?: (windows: number, seconds: number) => void;
  progressEvery?: number;
  /** Keep the anomaly events (default true; a benchmark needs only the scores). */
  keepEvents?: boolean;
}

/** Scores `batches` of windows (each service's windows in time order) with fresh fleet models; see the module comment. */
export function runBacktest(batches: Iterable<WindowInput[]>, opts: BacktestOptions): BacktestResult {
  const started = performance.now();
  const models = new ServiceModels({ episode: episodeConfig(opts.windowMs), neural: opts.neural });
  const scores = new Map<string, ServiceScores>();
  const anomalies: AnomalyEvent[] = [];
  const incidents = new Map<string, BacktestIncident>();
  const every = opts.progressEvery ?? 50_000;
  let windows = 0;
  let nextReport = every;
  for (const batch of batches) {
    for (const r of models.scoreBatch(batch)) {
      let s = scores.get(r.input.service);
      if (!s) {
        s = { startMs: [], score: [] };
        scores.set(r.input.service, s);
      }
      s.startMs.push(r.input.startMs);
      s.score.push(r.score);
      if (r.emit && r.episodeId && opts.keepEvents !== false) {
        const event = anomalyEvent(r, [], MODEL_VERSION, r.input.endMs);
        anomalies.push(event);
        trackIncident(incidents, event, r);
      }
    }
    windows += batch.length;
    if (windows >= nextReport) {
      opts.progress?.(windows, (performance.now() - started) / 1000);
      nextReport = windows + every;
    }
  }
  return { scores, anomalies, incidents: [...incidents.values()], windows, seconds: (performance.now() - started) / 1000, models };
}

/** Opens, updates or resolves the incident of an event's episode, as the anomaly sink does in the store. */
function trackIncident(incidents: Map<string, BacktestIncident>, e: AnomalyEvent, r: ServiceScore): void {
  const at = new Date(e.windowEndUnixMs).toISOString();
  let inc = incidents.get(e.episodeId);
  if (!inc) {
    if (e.episodeState !== 'open') return;
    inc = {
      id: e.episodeId,
      service: e.service,
      kind: e.kind,
      severity: e.severity,
      state: 'open',
      openedAt: at,
      resolvedAt: null,
      maxScore: e.score,
      evidence: e.evidence,
      warmingUp: r.warmingUp,
    };
    incidents.set(e.episodeId, inc);
    return;
  }
  inc.maxScore = Math.max(inc.maxScore, e.score);
  if (severityRank(e.severity) > severityRank(inc.severity)) inc.severity = e.severity;
  // The next spike of a spike train re-opens the incident of the last one (models/fleet episode-step.ts).
  if (e.episodeState === 'open') {
    inc.state = 'open';
    inc.resolvedAt = null;
  } else if (e.episodeState === 'closed') {
    inc.state = 'resolved';
    inc.resolvedAt = at;
  }
}
