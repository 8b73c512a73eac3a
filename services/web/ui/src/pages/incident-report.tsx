import { useEffect, useState } from 'preact/hooks';
import { api, getToken, may, subscribe, type Who } from '../api.ts';
import { Badge } from '../components/badge.tsx';
import { ExecutionActions } from '../components/execution-actions.tsx';
import { Neighbourhood } from '../components/neighbourhood.tsx';
import { SeriesChart } from '../components/series-chart.tsx';
import { StepsTimeline } from '../components/steps-timeline.tsx';
import { num, time } from '../format.ts';
import type { Label, Report } from '../types.ts';

function Header(props: { r: Report }) {
  const i = props.r.incident;
  return (
    <header class="report-head">
      <h1>
        {i.service} <span class="muted">{i.kind}</span>
      </h1>
      <p>
        <Badge kind="severity" value={i.severity} /> <Badge kind="state" value={i.state} /> opened {time(i.openedAt)} · closed {time(i.closedAt)} ·{' '}
        <span title="combined anomaly score, 0..1">max score {num(i.maxScore)} of 1</span> · resolved by {i.resolvedBy ?? '-'} ·{' '}
        {i.neededHuman ? 'needed a human' : 'no human needed'} · model <code>{props.r.modelVersion}</code>
      </p>
    </header>
  );
}

function Labels(props: { id: string; labels: Label[]; who: Who; onDone: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const send = async (label: 'true_positive' | 'false_positive') => {
    const note = (document.getElementById('label-note') as HTMLInputElement | null)?.value ?? '';
    try {
      await api(`/api/v1/incidents/${encodeURIComponent(props.id)}/feedback`, { body: { label, ...(note ? { note } : {}) } });
      props.onDone();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section class="labels">
      <h2>Labels</h2>
      {props.labels.length === 0 ? <p class="muted">not labelled yet</p> : null}
      <ul>
        {props.labels.map((l) => (
          <li key={l.id} class={`label label-${l.label}`}>
            <b>{l.label.replace('_', ' ')}</b> by {l.actor} at {time(l.createdAt)} {l.note ? `: ${l.note}` : ''}
          </li>
        ))}
      </ul>
      {may(props.who, 'operator') ? (
        <p>
          <input id="label-note" placeholder="note (optional)" />{' '}
          <button type="button" class="label-tp" onClick={() => send('true_positive')}>
            True positive
          </button>{' '}
          <button type="button" class="label-fp" onClick={() => send('false_positive')}>
            False positive
          </button>
        </p>
      ) : null}
      {error ? <p class="error">{error}</p> : null}
    </section>
  );
}

function Features(props: { r: Report }) {
  const i = props.r.incident;
  return (
    <section>
      <h2>Deviating features</h2>
      <table class="features">
        <thead>
          <tr>
            <th>feature</th>
            <th>observed</th>
            <th>expected</th>
            <th>band</th>
            <th>deviation</th>
          </tr>
        </thead>
        <tbody>
          {props.r.features.map((f) => (
            <tr key={f.feature}>
              <td>{f.feature}</td>
              <td>
                {num(f.observed)} {f.unit}
              </td>
              <td>
                {num(f.expected)} {f.unit}
              </td>
              <td>
                {num(f.lower)} .. {num(f.upper)} {f.unit}
              </td>
              <td title="how far the observed value is from the expected one, in robust standard deviations">{num(f.deviation, 2)} σ</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="charts">
        {props.r.series.map((s) => (
          <SeriesChart key={s.feature} series={s} openedAt={i.openedAt} closedAt={i.closedAt} />
        ))}
      </div>
    </section>
  );
}

function RootCauses(props: { r: Report }) {
  return (
    <section>
      <h2>Root-cause candidates</h2>
      <ol class="root-causes">
        {props.r.rootCauses.map((c) => (
          <li key={c.service} data-service={c.service}>
            <b>{c.service}</b>{' '}
            <span class="muted" title="root-cause score, 0..1">
              score {num(c.score)} of 1
            </span>{' '}
            {c.reason}
          </li>
        ))}
      </ol>
      <Neighbourhood graph={props.r.neighbourhood} service={props.r.incident.service} />
      {props.r.deployments.length > 0 ? (
        <>
          <h3>Deployments shortly before</h3>
          <ul class="deployments">
            {props.r.deployments.map((d) => (
              <li key={`${d.service}@${d.newVersion}`}>
                {time(d.firstSeen)} <b>{d.service}</b> {d.oldVersion ?? '(new)'} → {d.newVersion}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

function Executions(props: { r: Report; who: Who; onDone: () => void }) {
  return (
    <section>
      <h2>Executions</h2>
      {props.r.executions.length === 0 ? <p class="muted">no playbook ran for this incident</p> : null}
      {props.r.executions.map((e) => (
        <article key={e.id} class="execution" data-execution={e.id} data-status={e.status}>
          <h3>
            <a href={`/executions/${encodeURIComponent(e.id)}`}>{e.playbookName}</a> <span class="muted">v{e.playbookVersion}</span>{' '}
            <Badge kind="mode" value={e.mode} /> <Badge kind="status" value={e.status} /> outcome <Badge kind="outcome" value={e.outcome} />{' '}
            <ExecutionActions id={e.id} status={e.status} who={props.who} onDone={props.onDone} />
          </h3>
          <p class="muted">
            {time(e.createdAt)} → {time(e.finishedAt)}
          </p>
          <StepsTimeline steps={e.steps} />
        </article>
      ))}
    </section>
  );
}

/** The anomaly report of one incident, drawn; reloads when its incident or an execution changes. */
export function IncidentReportPage(props: { id: string; who: Who }) {
  const [r, setR] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    api<Report>(`/api/v1/incidents/${encodeURIComponent(props.id)}/report`)
      .then(setR)
      .catch((e: Error) => setError(e.message));
  useEffect(() => {
    void load();
    return subscribe({ incident: (d) => (d as { id: string }).id === props.id && void load(), execution: () => void load() }, load);
  }, [props.id]);
  if (error) return <p class="error">{error}</p>;
  if (!r) return <p class="muted">loading…</p>;
  const md = `/api/v1/incidents/${encodeURIComponent(props.id)}/report?format=md`;
  return (
    <div class="report">
      <Header r={r} />
      <p>
        <a
          href={md}
          onClick={(e) => {
            if (!getToken()) return;
            e.preventDefault();
            void openMarkdown(md);
          }}
        >
          Markdown for a ticket
        </a>
      </p>
      <Labels id={props.id} labels={r.labels} who={props.who} onDone={load} />
      <Features r={r} />
      <RootCauses r={r} />
      <Executions r={r} who={props.who} onDone={load} />
    </div>
  );
}

/** Opens the Markdown report in a new tab when a token is needed (a plain link cannot send it). */
async function openMarkdown(path: string): Promise<void> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${getToken()}` } });
  const url = URL.createObjectURL(new Blob([await res.text()], { type: 'text/plain' }));
  window.open(url, '_blank');
}
