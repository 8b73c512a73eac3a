import { useEffect, useState } from 'preact/hooks';
import { api, query, subscribe, type Who } from '../api.ts';
import { Badge } from '../components/badge.tsx';
import { ExecutionActions } from '../components/execution-actions.tsx';
import { StepsTimeline } from '../components/steps-timeline.tsx';
import { time } from '../format.ts';
import { navigate } from '../router.ts';
import type { ExecutionDetail, ExecutionRow, Page, StoredPlaybook } from '../types.ts';

const STATUSES = ['pending', 'running', 'awaiting_approval', 'succeeded', 'failed', 'cancelled', 'skipped', 'timed_out'];

/** Executions, newest first, filtered by status; reloads live when any execution changes. */
export function ExecutionsPage(props: { search: URLSearchParams; who: Who }) {
  const status = props.search.get('status') ?? '';
  const cursor = props.search.get('cursor') ?? '';
  const [page, setPage] = useState<Page<ExecutionRow> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    api<Page<ExecutionRow>>(`/api/v1/executions${query({ status, cursor, limit: 50 })}`)
      .then(setPage)
      .catch((e: Error) => setError(e.message));
  useEffect(() => {
    void load();
    return subscribe({ execution: () => void load() }, load);
  }, [status, cursor]);
  // The list answers playbook ids: their names come from the playbook list (once; an id stays shown if it fails).
  const [names, setNames] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    api<Page<StoredPlaybook>>('/api/v1/playbooks?limit=500')
      .then((p) => setNames(new Map(p.items.map((b) => [b.id, b.name]))))
      .catch(() => undefined);
  }, []);
  return (
    <section>
      <h1>Executions</h1>
      <select value={status} onChange={(e) => navigate(`/executions${query({ status: (e.target as HTMLSelectElement).value })}`)}>
        <option value="">any status</option>
        {STATUSES.map((s) => (
          <option value={s}>{s.replace('_', ' ')}</option>
        ))}
      </select>
      {error ? <p class="error">{error}</p> : null}
      <table class="executions">
        <thead>
          <tr>
            <th>created</th>
            <th>service</th>
            <th>playbook</th>
            <th>mode</th>
            <th>status</th>
            <th>outcome</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(page?.items ?? []).map((e) => (
            <tr key={e.id} data-execution={e.id}>
              <td>
                <a href={`/executions/${encodeURIComponent(e.id)}`}>{time(e.createdAt)}</a>
              </td>
              <td>{e.service}</td>
              <td>
                {e.playbookName ?? names.get(e.playbookId) ?? e.playbookId} v{e.playbookVersion}
              </td>
              <td>{e.mode}</td>
              <td>
                <Badge kind="status" value={e.status} />
              </td>
              <td>
                <Badge kind="outcome" value={e.outcome} />
              </td>
              <td>
                <ExecutionActions id={e.id} status={e.status} who={props.who} onDone={load} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav class="pager">
        {cursor ? <a href={`/executions${query({ status })}`}>« newest</a> : null}
        {page?.nextCursor ? (
          <a class="next" href={`/executions${query({ status, cursor: page.nextCursor })}`}>
            older »
          </a>
        ) : null}
      </nav>
    </section>
  );
}

/** One execution: live status, steps, audit trail, and the actions the role allows. */
export function ExecutionPage(props: { id: string; who: Who }) {
  const [x, setX] = useState<ExecutionDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    api<ExecutionDetail>(`/api/v1/executions/${encodeURIComponent(props.id)}`)
      .then(setX)
      .catch((e: Error) => setError(e.message));
  useEffect(() => {
    void load();
    return subscribe({ execution: (d) => (d as { id: string }).id === props.id && void load() }, load);
  }, [props.id]);
  const [name, setName] = useState<string | null>(null);
  const playbookId = x?.playbookId;
  useEffect(() => {
    if (!playbookId) return;
    api<StoredPlaybook>(`/api/v1/playbooks/${encodeURIComponent(playbookId)}`)
      .then((p) => setName(p.name))
      .catch(() => undefined);
  }, [playbookId]);
  if (error) return <p class="error">{error}</p>;
  if (!x) return <p class="muted">loading…</p>;
  return (
    <section class="execution" data-execution={x.id} data-status={x.status}>
      <h1>
        {x.playbookName ?? name ?? x.playbookId} <span class="muted">v{x.playbookVersion}</span> on {x.service}
      </h1>
      <p>
        <Badge kind="mode" value={x.mode} /> <Badge kind="status" value={x.status} /> outcome <Badge kind="outcome" value={x.outcome} /> ·{' '}
        <a href={`/incidents/${encodeURIComponent(x.episodeId)}`}>incident</a> · {x.reason}{' '}
        <ExecutionActions id={x.id} status={x.status} who={props.who} onDone={load} />
      </p>
      <h2>Steps</h2>
      <StepsTimeline steps={x.steps} />
      <h2>Audit trail</h2>
      <ul class="audit">
        {x.audit.map((a) => (
          <li key={`${a.at}${a.action}`}>
            {time(a.at)} <b>{a.action}</b> by {a.actor}
          </li>
        ))}
      </ul>
    </section>
  );
}
