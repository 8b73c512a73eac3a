import { useEffect, useState } from 'preact/hooks';
import { api, may, type Who } from '../api.ts';
import { time } from '../format.ts';
import type { Incident, Page, StoredPlaybook } from '../types.ts';
import { toYaml } from './playbook-versions.tsx';

/** Whether the API accepts `text` as a playbook; its message (every problem with its path) when not. */
async function validate(text: string): Promise<{ ok: true } | { ok: false; message: string }> {
  try {
    await api('/api/v1/playbooks/validate', { method: 'POST', text, contentType: 'application/yaml' });
    return { ok: true };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

function DryRun(props: { playbookId: string }) {
  const [incidents, setIncidents] = useState<Incident[]>([]);
  const [chosen, setChosen] = useState('');
  const [result, setResult] = useState<string | null>(null);
  useEffect(() => {
    api<Page<Incident>>('/api/v1/incidents?limit=50').then((p) => setIncidents(p.items));
  }, []);
  const run = async () => {
    try {
      const anomalies = await api<Page<{ id: string }>>(`/api/v1/anomalies?episode=${encodeURIComponent(chosen)}&limit=1`);
      const anomalyId = anomalies.items[0]?.id;
      if (!anomalyId) return setResult('that incident has no stored anomaly left');
      const r = await api(`/api/v1/playbooks/${encodeURIComponent(props.playbookId)}/dry-run`, { body: { anomalyId } });
      setResult(JSON.stringify(r, null, 2));
    } catch (e) {
      setResult((e as Error).message);
    }
  };
  return (
    <div class="dry-run">
      <h3>Dry run of the saved version against a past incident</h3>
      <select value={chosen} onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}>
        <option value="">choose an incident</option>
        {incidents.map((i) => (
          <option value={i.id}>
            {time(i.openedAt)} {i.service} {i.kind}
          </option>
        ))}
      </select>{' '}
      <button type="button" disabled={!chosen} onClick={run}>
        Dry run
      </button>
      {result ? <pre class="dry-run-result">{result}</pre> : null}
    </div>
  );
}

/** The YAML editor: validate (operator), save as a new version (admin), dry-run against a past incident. */
export function PlaybookEditor(props: { playbook: StoredPlaybook; who: Who; onSaved: () => void }) {
  const [text, setText] = useState('');
  const [status, setStatus] = useState<{ ok: boolean; message: string } | null>(null);
  useEffect(() => {
    void toYaml(props.playbook.spec).then(setText);
  }, [props.playbook.version]);
  const check = async () => {
    const r = await validate(text);
    setStatus(r.ok ? { ok: true, message: 'valid' } : { ok: false, message: r.message });
  };
  const save = async () => {
    try {
      const p = await api<StoredPlaybook>(`/api/v1/playbooks/${encodeURIComponent(props.playbook.id)}`, {
        method: 'PUT',
        text,
        contentType: 'application/yaml',
      });
      setStatus({ ok: true, message: `saved as v${p.version}` });
      props.onSaved();
    } catch (e) {
      setStatus({ ok: false, message: (e as Error).message });
    }
  };
  return (
    <section class="editor">
      <h2>Edit</h2>
      <textarea class="yaml" spellcheck={false} rows={24} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
      <p>
        <button type="button" onClick={check}>
          Validate
        </button>{' '}
        {may(props.who, 'admin') ? (
          <button type="button" onClick={save}>
            Save as new version
          </button>
        ) : null}{' '}
        {status ? <span class={status.ok ? 'ok' : 'error'}>{status.message}</span> : null}
      </p>
      <DryRun playbookId={props.playbook.id} />
    </section>
  );
}
