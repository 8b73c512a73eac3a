import { useEffect, useState } from 'preact/hooks';
import { api, apiFirst, prefetch, query, subscribe } from '../api.ts';
import { duration, num, pct } from '../format.ts';
import type { Incident, KpiAnswer, Kpis, Page, ServiceHealth } from '../types.ts';
import { IncidentTable, upsert } from './incidents.tsx';

type KpiKey = keyof Kpis;
const TILES: { key: KpiKey; label: string; show: (v: number | null) => string; better: 'up' | 'down' }[] = [
  { key: 'incidents', label: 'incidents', show: (v) => num(v), better: 'down' },
  { key: 'neededHumanShare', label: 'needed a human', show: pct, better: 'down' },
  { key: 'autoRemediationRate', label: 'auto-remediated', show: pct, better: 'up' },
  { key: 'verifiedFixRate', label: 'verified fixes', show: pct, better: 'up' },
  { key: 'harmRate', label: 'made worse', show: pct, better: 'down' },
  { key: 'falsePositiveRate', label: 'false positives', show: pct, better: 'down' },
  { key: 'ttdP50Ms', label: 'time to detect p50', show: duration, better: 'down' },
  { key: 'ttrP50Ms', label: 'time to recover p50', show: duration, better: 'down' },
  { key: 'mtbfMs', label: 'MTBF', show: duration, better: 'up' },
  { key: 'deploymentsPerDay', label: 'deployments per day', show: (v) => num(v), better: 'up' },
  { key: 'changeFailureRate', label: 'change failure rate', show: pct, better: 'down' },
];

/** A sparkline of one KPI over the buckets (gaps where undefined). */
function Trend(props: { values: (number | null)[] }) {
  const vals = props.values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (vals.length < 2) return null;
  const lo = Math.min(...vals);
  const hi = Math.max(...vals);
  const n = props.values.length;
  const pts = props.values
    .map((v, i) => (v === null ? null : `${((i / (n - 1)) * 100).toFixed(1)},${(22 - ((v - lo) / (hi - lo || 1)) * 20).toFixed(1)}`))
    .filter(Boolean)
    .join(' ');
  return (
    <svg class="trend" width="100" height="24" viewBox="0 0 100 24" role="img" aria-label="trend over the buckets">
      <polyline points={pts} fill="none" stroke="#1f6feb" stroke-width="1.5" />
    </svg>
  );
}

/** The overview's KPI request: the last 7 days to the next whole minute (one path a minute, so a prefetch matches it). */
function kpiPath(): string {
  const to = Math.ceil(Date.now() / 60_000) * 60_000;
  return `/api/v1/kpis${query({ from: new Date(to - 7 * 86_400_000).toISOString(), to: new Date(to).toISOString(), bucket: '1d' })}`;
}

const OPEN_INCIDENTS_PATH = '/api/v1/incidents?state=open&limit=20';
const SERVICES_PATH = '/api/v1/services';

/** Starts the overview's requests (called before the first render when the URL is the overview). */
export function prefetchOverview(): void {
  for (const p of [kpiPath(), OPEN_INCIDENTS_PATH, SERVICES_PATH]) prefetch(p);
}

function KpiTiles() {
  const [kpis, setKpis] = useState<KpiAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    apiFirst<KpiAnswer>(kpiPath())
      .then(setKpis)
      .catch((e: Error) => setError(e.message));
  }, []);
  if (error) {
    return (
      <p class="tiles error" data-loaded="error">
        KPIs: {error}
      </p>
    );
  }
  return (
    <div class="tiles" data-loaded={kpis ? 'yes' : 'no'}>
      {TILES.map((t) => (
        <div class="tile" key={t.key} data-kpi={t.key} title={`better when ${t.better === 'up' ? 'higher' : 'lower'}; last 7 days`}>
          <div class="value">{kpis ? t.show(kpis.totals[t.key] as number | null) : '…'}</div>
          <div class="label">{t.label}</div>
          {kpis ? <Trend values={kpis.buckets.map((b) => b[t.key] as number | null)} /> : null}
        </div>
      ))}
    </div>
  );
}

function HealthGrid() {
  const [items, setItems] = useState<ServiceHealth[] | null>(null);
  useEffect(() => {
    apiFirst<{ items: ServiceHealth[] }>(SERVICES_PATH).then((r) => setItems(r.items));
  }, []);
  if (!items) return <p class="muted">loading…</p>;
  if (items.length === 0) return <p class="muted">no service has sent telemetry yet</p>;
  return (
    <div class="health">
      {items.map((s) => (
        <a
          key={s.name}
          class={`cell state-${s.state ?? 'unknown'}`}
          data-service={s.name}
          href={s.openIncident ? `/incidents/${encodeURIComponent(s.openIncident.id)}` : `/incidents?service=${encodeURIComponent(s.name)}`}
        >
          <b>{s.name}</b>
          <span>{(s.state ?? 'unknown').replace('_', ' ')}</span>
          {s.signals ? (
            <small>
              {num(s.signals.rate, 1)}/s · err {pct(s.signals.errorRatio)} · p99 {duration(s.signals.latencyP99Ms)}
            </small>
          ) : null}
        </a>
      ))}
    </div>
  );
}

function OpenIncidents() {
  const [items, setItems] = useState<Incident[] | null>(null);
  useEffect(() => {
    const load = () => api<Page<Incident>>(OPEN_INCIDENTS_PATH).then((p) => setItems(p.items));
    void apiFirst<Page<Incident>>(OPEN_INCIDENTS_PATH)
      .then((p) => setItems(p.items))
      .catch(() => undefined);
    return subscribe(
      {
        incident: (d) => {
          const i = d as Incident;
          setItems((cur) => (cur ? (i.state === 'open' ? upsert(cur, i) : cur.filter((x) => x.id !== i.id)) : cur));
        },
      },
      load,
    );
  }, []);
  return items ? <IncidentTable items={items} /> : <p class="muted">loading…</p>;
}

/** The first page: KPI tiles of the last 7 days with their daily trend, the open incidents (live), the health of every service. */
export function OverviewPage() {
  return (
    <section>
      <h1>Overview</h1>
      <KpiTiles />
      <h2>Open incidents</h2>
      <OpenIncidents />
      <h2>Services</h2>
      <HealthGrid />
    </section>
  );
}
