import { render } from 'preact';
import { App } from './app.tsx';
import { prefetchOverview } from './pages/overview.tsx';
import './styles.css';

// The overview's data is asked for at once, beside whoami, rather than after it.
if (location.pathname === '/') prefetchOverview();
const root = document.getElementById('app');
if (root) render(<App />, root);
