import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { type DiffLine, lineDiff } from '../diff.ts';
import { time } from '../format.ts';
import type { Page, StoredVersion } from '../types.ts';

/** Playbook specs as YAML text (the yaml library is loaded with this page only, not on the first page). */
export async function toYaml(spec: unknown): Promise<string> {
  const { stringify } = await import('yaml');
  return stringify(spec);
}

/** The versions of a playbook, newest first, and the diff between two chosen ones (default: the last change). */
export function PlaybookVersions(props: { id: string; current: number }) {
  const [versions, setVersions] = useState<StoredVersion[] | null>(null);
  const [pair, setPair] = useState<[number, number]>([Math.max(1, props.current - 1), props.current]);
  const [diff, setDiff] = useState<DiffLine[] | null>(null);
  useEffect(() => {
    api<Page<StoredVersion>>(`/api/v1/playbooks/${encodeURIComponent(props.id)}/versions`).then((p) => setVersions(p.items));
  }, [props.id, props.current]);
  useEffect(() => {
    const a = versions?.find((v) => v.version === pair[0]);
    const b = versions?.find((v) => v.version === pair[1]);
    if (!a || !b) return;
    void Promise.all([toYaml(a.spec), toYaml(b.spec)]).then(([x, y]) => setDiff(lineDiff(x, y)));
  }, [versions, pair[0], pair[1]]);
  if (!versions) return <p class="muted">loading versions…</p>;
  const pick = (i: 0 | 1) => (e: Event) => {
    const v = Number((e.target as HTMLSelectElement).value);
    setPair((p) => (i === 0 ? [v, p[1]] : [p[0], v]));
  };
  const options = versions.map((v) => (
    <option value={v.version}>
      v{v.version} · {time(v.createdAt)} · {v.createdBy}
    </option>
  ));
  return (
    <section class="versions">
      <h2>Versions</h2>
      <p>
        diff{' '}
        <select value={pair[0]} onChange={pick(0)}>
          {options}
        </select>{' '}
        →{' '}
        <select value={pair[1]} onChange={pick(1)}>
          {options}
        </select>
      </p>
      <pre class="diff">
        {(diff ?? []).map((l, i) => (
          <div key={i} class={l.op === '+' ? 'add' : l.op === '-' ? 'del' : ''}>
            {l.op} {l.text}
          </div>
        ))}
      </pre>
    </section>
  );
}
