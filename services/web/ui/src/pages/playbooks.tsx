import { useEffect, useState } from 'preact/hooks';
import { api, may, type Who } from '../api.ts';
import { Badge } from '../components/badge.tsx';
import { time } from '../format.ts';
import type { Page, StoredPlaybook } from '../types.ts';
import { PlaybookEditor } from './playbook-editor.tsx';
import { PlaybookVersions } from './playbook-versions.tsx';

/** Live playbooks with their current version and mode. */
export function PlaybooksPage() {
  const [items, setItems] = useState<StoredPlaybook[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<Page<StoredPlaybook>>('/api/v1/playbooks')
      .then((p) => setItems(p.items))
      .catch((e: Error) => setError(e.message));
  }, []);
  return (
    <section>
      <h1>Playbooks</h1>
      {error ? <p class="error">{error}</p> : null}
      {items && items.length === 0 ? <p class="muted">no playbooks yet: apply a bundle with `zeroops playbooks apply`</p> : null}
      <table class="playbooks">
        <thead>
          <tr>
            <th>name</th>
            <th>version</th>
            <th>mode</th>
            <th>updated</th>
          </tr>
        </thead>
        <tbody>
          {(items ?? []).map((p) => (
            <tr key={p.id} data-playbook={p.name}>
              <td>
                <a href={`/playbooks/${encodeURIComponent(p.id)}`}>{p.name}</a>
              </td>
              <td>v{p.version}</td>
              <td>
                <Badge kind="mode" value={p.spec.mode ?? null} />
              </td>
              <td>{time(p.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** One playbook: its versions with a diff, and (operator and up) the YAML editor with validate and dry-run. */
export function PlaybookPage(props: { id: string; who: Who }) {
  const [p, setP] = useState<StoredPlaybook | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    api<StoredPlaybook>(`/api/v1/playbooks/${encodeURIComponent(props.id)}`)
      .then(setP)
      .catch((e: Error) => setError(e.message));
  useEffect(() => {
    void load();
  }, [props.id]);
  if (error) return <p class="error">{error}</p>;
  if (!p) return <p class="muted">loading…</p>;
  return (
    <section>
      <h1>
        {p.name} <span class="muted">v{p.version}</span> <Badge kind="mode" value={p.spec.mode ?? null} />
      </h1>
      {p.spec.description ? <p>{p.spec.description}</p> : null}
      <PlaybookVersions id={p.id} current={p.version} />
      {may(props.who, 'operator') ? <PlaybookEditor playbook={p} who={props.who} onSaved={load} /> : null}
    </section>
  );
}
