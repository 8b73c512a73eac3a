import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { PermanentError, RetryableError } from '../../core/errors.ts';
import type { AddressGuard } from './net-guard.ts';

/** A request made by a step. `body` is sent as is. */
export interface OutboundRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Per-attempt timeout, in milliseconds. */
  timeoutMs: number;
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
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // node:http skips `lookup` for IP literals, so they are checked here.
  if (guard && isIP(host) !== 0) guard.check(host, host);
  return url;
}

/**
 * Sends one HTTP request. Network errors, timeouts, 5xx, 408 and 429 are
 * RetryableErrors; a refused target and other statuses are PermanentErrors.
 */
export async function sendRequest(req: OutboundRequest): Promise<OutboundResponse> {
  const url = parseTarget(req.url, req.guard);
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise<OutboundResponse>((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const r = lib.request(url, {
      method: req.method,
      headers,
      timeout: req.timeoutMs,
      signal: req.signal,
      ...(req.guard ? { lookup: req.guard.lookup as never } : {}),
      ...(req.insecure ? { rejectUnauthorized: false } : {}),
      ...(req.ca ? { ca: req.ca } : {}),
    });
    r.on('timeout', () => r.destroy(new RetryableError('ZEROOPS_STEP_TIMEOUT', `${req.method} ${url.origin}: no answer within ${req.timeoutMs} ms`)));
    r.on('error', (err) => {
      if (err instanceof PermanentError || err instanceof RetryableError) return reject(err);
      reject(new RetryableError('ZEROOPS_STEP_NETWORK', `${req.method} ${url.origin}: ${err.message}`, { cause: err }));
    });
    r.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_BODY) chunks.push(c);
        size += c.length;
      });
      res.on('error', (err) => reject(new RetryableError('ZEROOPS_STEP_NETWORK', `${req.method} ${url.origin}: ${err.message}`, { cause: err })));
      res.on('end', () => {
        const body = Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8');
        try {
          resolve(classify({ status: res.statusCode ?? 0, body }, req));
        } catch (err) {
          reject(err);
        }
      });
    });
    r.end(req.body);
  });
}
