import { useEffect, useState } from 'preact/hooks';
import { setToken, type Who, whoami } from './api.ts';
import { ExecutionPage, ExecutionsPage } from './pages/executions.tsx';
import { IncidentReportPage } from './pages/incident-report.tsx';
import { IncidentsPage } from './pages/incidents.tsx';
import { LoginPage } from './pages/login.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { PlaybookPage, PlaybooksPage } from './pages/playbooks.tsx';
import { match, onLinkClick, useLocation } from './router.ts';

/** The page for `path`, or a not-found note. */
function Route(props: { path: string; search: URLSearchParams; who: Who }) {
  const { path, search, who } = props;
  let m: Record<string, string> | null;
  if (match('/', path) || match('/login', path)) return <OverviewPage />;
  if (match('/incidents', path)) return <IncidentsPage search={search} />;
  if ((m = match('/incidents/:id', path))) return <IncidentReportPage id={m.id ?? ''} who={who} />;
  if (match('/executions', path)) return <ExecutionsPage search={search} who={who} />;
  if ((m = match('/executions/:id', path))) return <ExecutionPage id={m.id ?? ''} who={who} />;
  if (match('/playbooks', path)) return <PlaybooksPage />;
  if ((m = match('/playbooks/:id', path))) return <PlaybookPage id={m.id ?? ''} who={who} />;
  return <p>No page here. Go to the <a href="/">overview</a>.</p>;
}

function Nav(props: { who: Who; onLogout: () => void }) {
  return (
    <nav class="top">
      <b class="brand">zeroops</b>
      <a href="/">Overview</a>
      <a href="/incidents">Incidents</a>
      <a href="/executions">Executions</a>
      <a href="/playbooks">Playbooks</a>
      <span class="who">
        {props.who.tokensConfigured ? (
          <>
            <span class="role">{props.who.role}</span>{' '}
            <button type="button" onClick={props.onLogout}>
              Sign out
            </button>
          </>
        ) : (
          <span class="role muted">open API (no tokens configured)</span>
        )}
      </span>
    </nav>
  );
}

/** The UI: asks who the tab is (whoami), shows the login when a token is needed, else the page for the URL. */
export function App() {
  const { path, search } = useLocation();
  const [who, setWho] = useState<Who | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    whoami()
      .then(setWho)
      .catch((e: Error) => setError(`cannot reach the zeroops API: ${e.message}`));
  }, []);
  if (error) return <p class="error">{error}</p>;
  if (!who) return <p class="muted">loading…</p>;
  if (who.tokensConfigured && !who.role) return <LoginPage onLogin={setWho} />;
  const logout = () => {
    setToken(null);
    setWho({ role: null, tokensConfigured: true });
  };
  return (
    <div onClick={onLinkClick}>
      <Nav who={who} onLogout={logout} />
      <main>
        <Route path={path} search={search} who={who} />
      </main>
    </div>
  );
}
