/** The browser side of the API: one fetch wrapper that sends the session's token and turns error bodies into ApiError. */

const TOKEN_KEY = 'zeroops.token';

/** An API refusal or failure, with the API's stable code (`ZEROOPS_...`) and its message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The API token of this browser tab (sessionStorage: gone when the tab closes), or null. */
export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Stores (or, with null, forgets) the tab's API token. */
export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Calls the API at `path` (`/api/v1/...`) with the tab's token; JSON in and out. Throws ApiError on a non-2xx answer. */
export async function api<T>(path: string, init: { method?: string; body?: unknown; text?: string; contentType?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (init.text !== undefined) {
    body = init.text;
    headers['content-type'] = init.contentType ?? 'text/plain';
  } else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(path, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const raw = await res.text();
  const parsed = raw ? safeJson(raw) : undefined;
  if (!res.ok) {
    const err = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? (raw || res.statusText));
  }
  return parsed as T;
}

/** Requests started before the first render (see {@link prefetch}), by path, until a page takes them. */
const early = new Map<string, Promise<unknown>>();

/**
 * Starts GET `path` now, before the app knows who the tab is, so the first
 * page's data is on its way while whoami and the first render run.
 */
export function prefetch(path: string): void {
  if (early.has(path)) return;
  const p = api<unknown>(path);
  p.catch(() => undefined);
  early.set(path, p);
}

/** GET `path`, taking the {@link prefetch}ed answer when there is one (a failed prefetch, e.g. before sign-in, is asked again). */
export function apiFirst<T>(path: string): Promise<T> {
  const p = early.get(path);
  if (!p) return api<T>(path);
  early.delete(path);
  return (p as Promise<T>).catch(() => api<T>(path));
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Builds a query string from the set values of `q` (empty strings and undefined are left out). */
export function query(q: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** Roles in increasing power; a control needing `operator` shows for operator and admin. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
/** One of {@link ROLES}. */
export type Role = (typeof ROLES)[number];

/** Who this tab is: its role (null when the API has no tokens: everything is allowed) and whether tokens are configured. */
export interface Who {
  role: Role | null;
  tokensConfigured: boolean;
}

/** `GET /api/v1/whoami` with the tab's token. */
export async function whoami(): Promise<Who> {
  return api<Who>('/api/v1/whoami');
}

/** Whether `who` may use a control that needs `need` (an open API, without tokens, allows everything). */
export function may(who: Who, need: Role): boolean {
  if (!who.tokensConfigured) return true;
  return who.role !== null && ROLES.indexOf(who.role) >= ROLES.indexOf(need);
}

/**
 * Subscribes to the API's server-sent events (`incident`, `execution`);
 * returns the unsubscribe function. EventSource cannot send headers, so the
 * token goes in `?token=`. When the stream is refused (an older API without
 * /api/v1/events, or a proxy that drops it), `poll` runs every 5 s instead.
 */
export function subscribe(handlers: Partial<Record<'incident' | 'execution', (data: unknown) => void>>, poll?: () => void): () => void {
  const token = getToken();
  const es = new EventSource(`/api/v1/events${token ? `?token=${encodeURIComponent(token)}` : ''}`);
  for (const [name, fn] of Object.entries(handlers)) {
    es.addEventListener(name, (e) => fn(safeJson((e as MessageEvent<string>).data)));
  }
  let timer: ReturnType<typeof setInterval> | undefined;
  es.addEventListener('error', () => {
    // CLOSED: the browser gave up (an HTTP error answer); CONNECTING means it retries by itself.
    if (es.readyState === EventSource.CLOSED && poll && !timer) timer = setInterval(poll, 5000);
  });
  return () => {
    es.close();
    if (timer) clearInterval(timer);
  };
}
