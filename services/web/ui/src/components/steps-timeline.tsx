import { duration, time } from '../format.ts';
import type { Step } from '../types.ts';

/** A step's run time in ms, or null while it has not both started and finished. */
function took(s: Step): number | null {
  return s.startedAt && s.finishedAt ? new Date(s.finishedAt).getTime() - new Date(s.startedAt).getTime() : null;
}

/** The steps of one execution in order: status, start, run time, error. */
export function StepsTimeline(props: { steps: Step[] }) {
  if (props.steps.length === 0) return <p class="muted">no step has run yet</p>;
  return (
    <ol class="steps">
      {props.steps.map((s) => (
        <li key={s.name} class={`step status-${s.status}`}>
          <b>{s.name}</b> <span class="muted">{s.type}</span> <span class={`badge status-${s.status}`}>{s.status}</span>{' '}
          <span class="muted">
            {time(s.startedAt)} · {duration(took(s))}
          </span>
          {s.error ? <div class="error">{s.error}</div> : null}
        </li>
      ))}
    </ol>
  );
}
