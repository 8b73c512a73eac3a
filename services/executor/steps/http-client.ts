import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { withDeadline } from '../../core/deadline.ts';
import { PermanentError, RetryableError } from '../../core/errors.ts';
import type { AddressGuard } from '../../playbooks/index.ts';

/** A request made by a step. `body` is sent as is. */
export interface OutboundRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Deadline of the whole exchange (connect, headers and body), in milliseconds. */
  timeoutMs: number;
  /** Cancels the request (its reason is what the call rejects with). */
  signal?: AbortSignal;
  /** Statuses that count as success; default any 2xx. */
  expectStatus?: number[];
  /** Refuses restricted targets; omitted for targets that are not user-controlled (e.g. the Kubernetes API). */
  guard?: AddressGuard;
  /** Skip TLS verification (kubernetes `insecureSkipTlsVerify`). */
  insecure?: boolean;
  /** Extra CA certificates (PEM), e.g. the in-cluster Kubernetes CA. */
  ca?: string;
}

/** What came back (body truncated to 64 KiB). */
export interface OutboundResponse {
  status: number;
  body: string;
  /** Set when the target sent more than 64 KiB: the rest was not read. */
  truncated?: boolean;
}

const MAX_BODY = 64 * 1024;

function classify(res: OutboundResponse, req: OutboundRequest): OutboundResponse {
  const ok = req.expectStatus ? req.expectStatus.includes(res.status) : res.status >= 200 && res.status < 300;
  if (ok) return res;
  const msg = `${req.method} ${new URL(req.url).origin} answered ${res.status}`;
  if (res.status >= 500 || res.status === 429 || res.status === 408) throw new RetryableError('ZEROOPS_STEP_HTTP_STATUS', msg, { details: res });
  throw new PermanentError('ZEROOPS_STEP_HTTP_STATUS', msg, { details: res });
}

function parseTarget(raw: string, guard?: AddressGuard): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (err) {
    throw new PermanentError('ZEROOPS_STEP_URL_INVALID', `not a URL: ${raw.slice(0, 200)}`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new PermanentError('ZEROOPS_STEP_URL_INVALID', `only http and https URLs are allowed, got ${url.protocol}`);
  // The WHATWG parser has already turned every IPv4 spelling (decimal, hex, octal, short) into a dotted quad.
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // node:net dials IP literals without calling `lookup`, so the literal is the address dialled: check it here.
  if (guard && isIP(host) !== 0) guard.check(host, host);
  return url;
}

/** Keeps the first MAX_BODY bytes of `res`; once more arrive it stops reading (destroys it) instead of draining the rest. */
function readCapped(res: IncomingMessage, fail: (err: unknown) => void, done: (body: string, truncated: boolean) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const finish = (truncated: boolean) => {
    if (settled) return;
    settled = true;
    done(Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8'), truncated);
  };
  res.on('data', (c: Buffer) => {
    chunks.push(c);
    size += c.length;
    if (size > MAX_BODY) {
      finish(true);
      res.destroy();
    }
  });
  res.on('error', (err) => {
    if (!settled) fail(err);
  });
  res.on('end', () => finish(false));
}

function send(url: URL, req: OutboundRequest, signal: AbortSignal): Promise<OutboundResponse> {
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise<OutboundResponse>((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const netError = (err: Error) =>
      err instanceof PermanentError || err instanceof RetryableError
        ? err
        : new RetryableError('ZEROOPS_STEP_NETWORK', `${req.method} ${url.origin}: ${err.message}`, { cause: err });
    const r = lib.request(url, {
      method: req.method,
      headers,
      signal,
      // A fresh connection per request: a pooled socket was checked for whichever request opened it, maybe none.
      ...(req.guard ? { lookup: req.guard.lookup as never, agent: false } : {}),
      ...(req.insecure ? { rejectUnauthorized: false } : {}),
      ...(req.ca ? { ca: req.ca } : {}),
    });
    r.on('error', (err) => reject(netError(err)));
    r.on('response', (res) => {
      readCapped(
        res,
        (err) => reject(netError(err as Error)),
        (body, truncated) => {
          try {
            resolve(classify({ status: res.statusCode ?? 0, body, ...(truncated ? { truncated } : {}) }, req));
          } catch (err) {
            reject(err);
          }
        },
      );
    });
    r.end(req.body);
  });
}

/**
 * Sends one HTTP request and reads at most 64 KiB of the answer. The whole
 * exchange (connect, headers, body) must finish within `req.timeoutMs`: a
 * timer this function owns destroys the request then, however slowly the
 * target keeps sending. Redirects are not followed (a 3xx is a status like
 * any other). Network errors, timeouts, 5xx, 408 and 429 are
 * RetryableErrors; a refused target and other statuses are PermanentErrors.
 */
export async function sendRequest(req: OutboundRequest): Promise<OutboundResponse> {
  const url = parseTarget(req.url, req.guard);
  return withDeadline(req.timeoutMs, (signal) => send(url, req, signal), {
    signal: req.signal,
    onTimeout: () => new RetryableError('ZEROOPS_STEP_TIMEOUT', `${req.method} ${url.origin}: no complete answer within ${req.timeoutMs} ms`),
  });
}
