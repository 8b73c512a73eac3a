import { useState } from 'preact/hooks';
import { ApiError, ROLES, setToken, type Who, whoami } from '../api.ts';

/** Asks for an API token; keeps it for this tab (sessionStorage) once the API accepts it. */
export function LoginPage(props: { onLogin: (who: Who) => void }) {
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const token = String(new FormData(e.target as HTMLFormElement).get('token') ?? '').trim();
    if (!token) return setError('paste an API token (zeroops tokens create, or ZEROOPS_API_TOKENS)');
    setToken(token);
    try {
      const who = await whoami();
      if (!who.role || !(ROLES as readonly string[]).includes(who.role)) {
        setToken(null);
        return setError('the API does not know this token (or it is an ingest token): use an API token');
      }
      props.onLogin(who);
    } catch (err) {
      setToken(null);
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  return (
    <section class="login">
      <h1>Sign in</h1>
      <p>This zeroops API needs a token. It is kept in this browser tab only.</p>
      <form onSubmit={submit}>
        <input name="token" type="password" placeholder="API token" autocomplete="off" />
        <button type="submit">Sign in</button>
      </form>
      {error ? <p class="error">{error}</p> : null}
    </section>
  );
}
