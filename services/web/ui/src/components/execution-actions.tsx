import { useState } from 'preact/hooks';
import { api, may, type Who } from '../api.ts';

const WAITING = 'awaiting_approval';
const UNFINISHED = ['pending', 'running', WAITING];

/**
 * Approve / reject (waiting executions) and cancel (unfinished ones), shown
 * only to an operator or stronger; the API refuses weaker tokens anyway.
 * `onDone` runs after the API accepted the action.
 */
export function ExecutionActions(props: { id: string; status: string; who: Who; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!may(props.who, 'operator') || !UNFINISHED.includes(props.status)) return null;
  const act = async (action: 'approve' | 'reject' | 'cancel') => {
    setBusy(true);
    setError(null);
    try {
      await api(`/api/v1/executions/${encodeURIComponent(props.id)}/${action}`, { method: 'POST', ...(action === 'reject' ? { body: {} } : {}) });
      props.onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="actions">
      {props.status === WAITING ? (
        <>
          <button type="button" class="approve" disabled={busy} onClick={() => act('approve')}>
            Approve
          </button>
          <button type="button" class="reject" disabled={busy} onClick={() => act('reject')}>
            Reject
          </button>
        </>
      ) : null}
      <button type="button" class="cancel" disabled={busy} onClick={() => act('cancel')}>
        Cancel
      </button>
      {error ? <span class="error">{error}</span> : null}
    </span>
  );
}
