import { useEffect, useState } from 'preact/hooks';
import { api, query, subscribe } from '../api.ts';
import { Badge } from '../components/badge.tsx';
import { num, time } from '../format.ts';
import { navigate } from '../router.ts';
import type { Incident, Page } from '../types.ts';

const FILTERS = ['service', 'state', 'severity', 'label', 'from', 'to'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

/** The filters of the current URL. */
function readFilters(search: URLSearchParams): Filters {
  const f: Filters = {};
  for (const k of FILTERS) {
    const v = search.get(k);
    if (v) f[k] = v;
  }
  return f;
}

/** Whether a live incident belongs in the list drawn with `f` (time and label filters leave it to the next reload). */
function fits(i: Incident, f: Filters): boolean {
  return (!f.service || f.service === i.service) && (!f.state || f.state === i.state) && (!f.severity || f.severity === i.severity);
}

/** Adds or replaces `i` in `items`, newest opening first (a live event carries no labels: the listed ones stay). */
export function upsert(items: Incident[], i: Incident): Incident[] {
  const before = items.find((x) => x.id === i.id);
  const rest = items.filter((x) => x.id !== i.id);
  const next = i.labels || !before?.labels ? i : { ...i, labels: before.labels };
  return [next, ...rest].sort((a, b) => b.openedAt.localeCompare(a.openedAt));
}

/** An incident's labels in its list row: the verdict that counts (the latest true/false positive) and whether a miss was reported. */
function Labels(props: { labels: Incident['labels'] }) {
  const all = props.labels ?? [];
  const verdict = all.filter((l) => l.label !== 'missed').at(-1);
  const missed = all.some((l) => l.label === 'missed');
  if (!verdict && !missed) return <span class="muted">-</span>;
  return (
    <span class="labels">
      {verdict ? (
        <span class={`badge label-${verdict.label}`} data-label={verdict.label} title={`${verdict.actor}${verdict.note ? `: ${verdict.note}` : ''}`}>
          {verdict.label.replace('_', ' ')}
        </span>
      ) : null}
      {missed ? (
        <span class="badge label-missed" data-label="missed">
          missed
        </span>
      ) : null}
    </span>
  );
}

/** The incident table (shared by the overview's open incidents). */
export function IncidentTable(props: { items: Incident[] }) {
  if (props.items.length === 0) return <p class="muted empty">no incidents</p>;
  return (
    <table class="incidents">
      <thead>
        <tr>
          <th>opened</th>
          <th>service</th>
          <th>kind</th>
          <th>severity</th>
          <th>state</th>
          <th>max score</th>
          <th>resolved by</th>
          <th>label</th>
        </tr>
      </thead>
      <tbody>
        {props.items.map((i) => (
          <tr key={i.id} data-incident={i.id}>
            <td>
              <a href={`/incidents/${encodeURIComponent(i.id)}`}>{time(i.openedAt)}</a>
            </td>
            <td>{i.service}</td>
            <td>{i.kind}</td>
            <td>
              <Badge kind="severity" value={i.severity} />
            </td>
            <td>
              <Badge kind="state" value={i.state} />
            </td>
            <td>{num(i.maxScore)}</td>
            <td>{i.resolvedBy ?? '-'}</td>
            <td>
              <Labels labels={i.labels} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function FilterForm(props: { filters: Filters }) {
  const submit = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const q: Record<string, string> = {};
    for (const k of FILTERS) {
      const v = String(data.get(k) ?? '').trim();
      if (v) q[k] = k === 'from' || k === 'to' ? new Date(v).toISOString() : v;
    }
    navigate(`/incidents${query(q)}`);
  };
  const f = props.filters;
  const local = (iso?: string) => (iso ? new Date(new Date(iso).getTime() - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16) : '');
  return (
    <form class="filters" onSubmit={submit}>
      <input name="service" placeholder="service" value={f.service ?? ''} />
      <select name="state" value={f.state ?? ''}>
        <option value="">any state</option>
        <option value="open">open</option>
        <option value="closed">closed</option>
      </select>
      <select name="severity" value={f.severity ?? ''}>
        <option value="">any severity</option>
        {['critical', 'warning', 'info'].map((s) => (
          <option value={s}>{s}</option>
        ))}
      </select>
      <select name="label" value={f.label ?? ''}>
        <option value="">any label</option>
        <option value="true_positive">true positive</option>
        <option value="false_positive">false positive</option>
        <option value="none">unlabelled</option>
      </select>
      <label>
        from <input type="datetime-local" name="from" value={local(f.from)} />
      </label>
      <label>
        to <input type="datetime-local" name="to" value={local(f.to)} />
      </label>
      <button type="submit">Filter</button>
    </form>
  );
}

/** Incidents: filters in the URL, cursor pagination, and live updates over server-sent events on the first page. */
export function IncidentsPage(props: { search: URLSearchParams }) {
  const filters = readFilters(props.search);
  const cursor = props.search.get('cursor') ?? '';
  const key = props.search.toString();
  const [page, setPage] = useState<Page<Incident> | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setPage(null);
    const load = () =>
      api<Page<Incident>>(`/api/v1/incidents${query({ ...filters, cursor, limit: 50 })}`)
        .then(setPage)
        .catch((e: Error) => setError(e.message));
    void load();
    if (cursor) return;
    return subscribe(
      {
        incident: (data) => {
          const i = data as Incident;
          if (fits(i, filters)) setPage((p) => (p ? { ...p, items: upsert(p.items, i).slice(0, 50) } : p));
        },
      },
      load,
    );
  }, [key]);
  const next = page?.nextCursor;
  return (
    <section>
      <h1>Incidents</h1>
      <FilterForm filters={filters} />
      {error ? <p class="error">{error}</p> : null}
      {page ? <IncidentTable items={page.items} /> : <p class="muted">loading…</p>}
      <nav class="pager">
        {cursor ? <a href={`/incidents${query({ ...filters })}`}>« newest</a> : null}
        {next ? (
          <a class="next" href={`/incidents${query({ ...filters, cursor: next })}`}>
            older »
          </a>
        ) : null}
      </nav>
    </section>
  );
}
