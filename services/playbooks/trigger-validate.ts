/**
 * Checks of a playbook's `trigger` beyond its structure: what a forecast
 * trigger needs, what it excludes (anomaly criteria, verify steps,
 * deferral), and where `{{forecast.*}}` may be used.
 */
import type { Playbook, PlaybookProblem } from './playbook-schema.ts';
import { eachString } from './template.ts';

const FORECAST_REF = /\{\{\s*forecast\b/;

const FORECAST_ONLY = ['leadSeconds', 'capacity', 'minReplicas', 'maxReplicas', 'initialReplicas', 'scaleIn'] as const;
const ANOMALY_CRITERIA = ['kinds', 'minSeverity', 'minScore', 'attributes'] as const;

function usesForecastRoot(value: unknown): string[] {
  const paths: string[] = [];
  // A plain scan: a template with a syntax error is reported by the template checks.
  eachString(value, '', (s, p) => {
    if (FORECAST_REF.test(s)) paths.push(p);
  });
  return paths;
}

function forecastFieldProblems(t: NonNullable<Playbook['trigger']>): PlaybookProblem[] {
  const out: PlaybookProblem[] = [];
  if (t.leadSeconds === undefined)
    out.push({ path: '/trigger/leadSeconds', message: 'a forecast trigger needs leadSeconds (how far ahead to look, in seconds)' });
  if (t.maxReplicas === undefined) out.push({ path: '/trigger/maxReplicas', message: 'a forecast trigger needs maxReplicas' });
  const c = t.capacity;
  if (!c) out.push({ path: '/trigger/capacity', message: 'a forecast trigger needs capacity: { perReplica: <req/s> } or { metric: <feature> }' });
  else if ((c.perReplica === undefined) === (c.metric === undefined))
    out.push({ path: '/trigger/capacity', message: 'give exactly one of capacity.perReplica (req/s per replica) and capacity.metric' });
  const min = t.minReplicas ?? 1;
  if (t.maxReplicas !== undefined && min > t.maxReplicas)
    out.push({ path: '/trigger/minReplicas', message: `minReplicas (${min}) must not exceed maxReplicas (${t.maxReplicas})` });
  if (t.initialReplicas !== undefined && (t.initialReplicas < min || (t.maxReplicas !== undefined && t.initialReplicas > t.maxReplicas)))
    out.push({ path: '/trigger/initialReplicas', message: `initialReplicas must lie between minReplicas (${min}) and maxReplicas (${t.maxReplicas})` });
  return out;
}

/** Problems of `doc.trigger`, and `{{forecast.*}}` used by a playbook that no forecast starts. */
export function triggerProblems(doc: Playbook): PlaybookProblem[] {
  const t = doc.trigger ?? { type: 'anomaly' as const };
  // A trigger of the wrong shape or an unknown type is a structural problem, reported as such.
  if (t === null || typeof t !== 'object' || !['anomaly', 'forecast'].includes(t.type)) return [];
  const steps = Array.isArray(doc.steps) ? doc.steps : [];
  if (t.type === 'anomaly') {
    const out: PlaybookProblem[] = FORECAST_ONLY.filter((k) => t[k] !== undefined).map((k) => ({
      path: `/trigger/${k}`,
      message: `${k} belongs to a forecast trigger (trigger.type: forecast)`,
    }));
    for (const p of [...usesForecastRoot(steps).map((x) => `/steps${x}`), ...usesForecastRoot(doc.onFailure ?? []).map((x) => `/onFailure${x}`)])
      out.push({ path: p, message: '{{forecast.*}} has a value only in a playbook with trigger.type: forecast' });
    return out;
  }
  const out = forecastFieldProblems(t);
  const m = (doc.match ?? {}) as Record<string, unknown>;
  for (const k of ANOMALY_CRITERIA) {
    if (m[k] !== undefined)
      out.push({ path: `/match/${k}`, message: `a forecast-triggered playbook matches services only (match.service): remove match.${k}` });
  }
  if (doc.deferrable !== undefined) out.push({ path: '/deferrable', message: 'a forecast-triggered playbook runs ahead of the load: it cannot be deferrable' });
  steps.forEach((s, i) => {
    if (s && typeof s === 'object' && s.type === 'verify')
      out.push({ path: `/steps/${i}`, message: 'a verify step waits for an anomaly episode to close; a forecast-triggered playbook has none' });
  });
  return out;
}
