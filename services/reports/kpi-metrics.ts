import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Telemetry } from '../core/telemetry.ts';
import type { Db } from '../store/index.ts';
import { kpisOf } from './kpi-repo.ts';
import type { Kpis } from './kpis.ts';

/** The KPIs exported as gauges, with their units. */
const GAUGES: Array<[keyof Kpis, string]> = [
  ['incidents', '{incident}'],
  ['neededHumanShare', '1'],
  ['autoRemediationRate', '1'],
  ['verifiedFixRate', '1'],
  ['harmRate', '1'],
  ['falsePositiveRate', '1'],
  ['ttdP50Ms', 'ms'],
  ['ttdP90Ms', 'ms'],
  ['ttrP50Ms', 'ms'],
  ['ttrP90Ms', 'ms'],
  ['mtbfMs', 'ms'],
  ['deployments', '{deployment}'],
  ['changeFailureRate', '1'],
];

/** Settings of {@link exportKpiMetrics}. */
export interface KpiMetricsSettings {
  db: Db;
  telemetry: Telemetry;
  logger: Logger;
  changeFailureMs: number;
  /** Range of the exported figures: the last this many ms (default 24 h). */
  rangeMs?: number;
  /** How often they are recomputed, in ms (default 60 s). */
  refreshMs?: number;
}

/**
 * Exports the fleet's KPIs over the last 24 h as OpenTelemetry gauges
 * `zeroops.kpi.<name>` (e.g. `zeroops.kpi.auto_remediation_rate`) through
 * zeroops' own telemetry, recomputed every minute (a gauge without a value,
 * e.g. a rate with no denominator, is not reported). Returns the stop function.
 */
export function exportKpiMetrics(s: KpiMetricsSettings): () => void {
  const rangeMs = s.rangeMs ?? 86_400_000;
  let latest: Kpis | undefined;
  const refresh = async () => {
    try {
      const to = new Date();
      const r = await kpisOf(s.db, { service: null, from: new Date(to.getTime() - rangeMs), to, bucketMs: rangeMs, changeFailureMs: s.changeFailureMs });
      latest = r.totals;
    } catch (err) {
      s.logger.warn({ err: describeError(err) }, 'KPI metrics: computing the KPIs failed; the gauges keep their last values');
    }
  };
  const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  for (const [key, unit] of GAUGES) {
    const g = s.telemetry.meter.createObservableGauge(`zeroops.kpi.${snake(key)}`, {
      unit,
      description: `KPI ${key} over the last ${rangeMs / 3_600_000} h (see README, KPIs).`,
    });
    g.addCallback((obs) => {
      const v = latest?.[key];
      if (typeof v === 'number') obs.observe(v);
    });
  }
  void refresh();
  const timer = setInterval(() => void refresh(), s.refreshMs ?? 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
