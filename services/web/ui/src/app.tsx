import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { setToken, type Who, whoami } from './api.ts';
import { lazyPage } from './lazy-page.tsx';
import { IncidentsPage } from './pages/incidents.tsx';
import { LoginPage } from './pages/login.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { match, onLinkClick, useLocation } from './router.ts';

// Pages other than the overview and the incident list load on first use (uPlot, yaml and their code stay off the first page).
const IncidentReportPage = lazyPage(
  () => import('./pages/incident-report.tsx'),
  (m) => m.IncidentReportPage,
);
const ExecutionsPage = lazyPage(
  () => import('./pages/executions.tsx'),
  (m) => m.ExecutionsPage,
);
const ExecutionPage = lazyPage(
  () => import('./pages/executions.tsx'),
  (m) => m.ExecutionPage,
);
const PlaybooksPage = lazyPage(
  () => import('./pages/playbooks.tsx'),
  (m) => m.PlaybooksPage,
);
const PlaybookPage = lazyPage(
  () => import('./pages/playbooks.tsx'),
  (m) => m.PlaybookPage,
);

type Params = Record<string, string>;
type Props = { search: URLSearchParams; who: Who; p: Params };

/** Client routes, first match wins (the API answers index.html at each, see services/web/web-build.ts). */
const ROUTES: [string, (x: Props) => JSX.Element][] = [
  ['/', () => <OverviewPage />],
  ['/login', () => <OverviewPage />],
  ['/incidents', (x) => <IncidentsPage search={x.search} />],
  ['/incidents/:id', (x) => <IncidentReportPage id={x.p.id ?? ''} who={x.who} />],
  ['/executions', (x) => <ExecutionsPage search={x.search} who={x.who} />],
  ['/executions/:id', (x) => <ExecutionPage id={x.p.id ?? ''} who={x.who} />],
  ['/playbooks', () => <PlaybooksPage />],
  ['/playbooks/:id', (x) => <PlaybookPage id={x.p.id ?? ''} who={x.who} />],
];

/** The page for `path`, or a not-found note. */
function Route(props: { path: string; search: URLSearchParams; who: Who }) {
  for (const [pattern, page] of ROUTES) {
    const p = match(pattern, props.path);
    if (p) return page({ search: props.search, who: props.who, p });
  }
  return (
    <p>
      No page here. Go to the <a href="/">overview</a>.
    </p>
  );
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
    // In-app links navigate without a page load (one listener for the whole document).
    document.addEventListener('click', onLinkClick);
    return () => document.removeEventListener('click', onLinkClick);
  }, []);
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
    <div>
      <Nav who={who} onLogout={logout} />
      <main>
        <Route path={path} search={search} who={who} />
      </main>
    </div>
  );
}
