/**
 * A raw TCP HTTP/1.1 client for the collector's untrusted-input tests: it
 * sends exactly the bytes a test chooses (an `Expect: 100-continue` it never
 * follows, a body longer than it announced, chunks without end) and records
 * everything the server answers, and whether the connection ended.
 */
import { connect } from 'node:net';

/** What the server said on one connection. */
export interface RawExchange {
  /** Every byte received, as latin1 text. */
  received: string;
  /** Body bytes the client had sent when the first response line arrived. */
  sentBeforeAnswer: number;
  /** How the connection ended: the server's FIN, a reset, or still open when the client gave up. */
  ending: 'end' | 'reset' | 'open';
}

/** How {@link rawUpload} sends the body after `head`. */
export interface Upload {
  /** `plain`: raw bytes (after a Content-Length head); `chunked`: chunks of chunked encoding, never the last one; `none`: no body. */
  body: 'plain' | 'chunked' | 'none';
  /** Stop sending after this many body bytes. */
  maxBytes: number;
  /** Give up after this long, in ms. */
  timeoutMs: number;
  /** Body bytes to go on sending after the answer arrived (then the client ends its side); default none. */
  afterAnswer?: number;
}

const PIECE = Buffer.alloc(64 * 1024, 0x61);
const CHUNK = Buffer.concat([Buffer.from(`${PIECE.length.toString(16)}\r\n`), PIECE, Buffer.from('\r\n')]);

/**
 * Opens a connection to `url`'s host and port, sends `head` (request line and
 * headers, ending in a blank line) and then body bytes as fast as the server
 * takes them until the first response line arrives (the client stops sending
 * then, as OpenTelemetry exporters do) or `maxBytes` is sent; resolves when
 * the server closes, or after `timeoutMs`.
 */
export function rawUpload(url: string, head: string, upload: Upload): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    // Half-open: the client may go on sending after the server's FIN, as a client still uploading does.
    const socket = connect({ port: Number(port), host: hostname, allowHalfOpen: true });
    const out: RawExchange = { received: '', sentBeforeAnswer: -1, ending: 'open' };
    let sent = 0;
    let done = false;
    const finish = (ending: RawExchange['ending']): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      out.ending = ending;
      socket.destroy();
      resolve(out);
    };
    const timer = setTimeout(() => finish('open'), upload.timeoutMs);
    socket.on('data', (d: Buffer) => {
      out.received += d.toString('latin1');
      if (out.sentBeforeAnswer < 0 && /^HTTP\/1\.1 [2-5]\d\d/m.test(out.received)) {
        out.sentBeforeAnswer = sent;
        if (upload.afterAnswer) sendMore(upload.afterAnswer);
      }
    });
    socket.on('end', () => {
      if (!upload.afterAnswer) finish('end');
    });
    socket.on('close', () => finish('end'));
    socket.on('error', () => finish('reset'));
    const sendMore = (n: number): void => {
      for (let k = 0; k < n; k += PIECE.length) socket.write(upload.body === 'chunked' ? CHUNK : PIECE);
      socket.end();
    };
    const piece = upload.body === 'chunked' ? CHUNK : PIECE;
    const pump = (): void => {
      while (upload.body !== 'none' && out.sentBeforeAnswer < 0 && sent < upload.maxBytes && !socket.destroyed) {
        sent += PIECE.length;
        if (!socket.write(piece)) return void socket.once('drain', pump);
      }
    };
    socket.write(head, pump);
  });
}

/** The status codes of every response line in `received`, in order (a 100 Continue included). */
export function statuses(received: string): number[] {
  return [...received.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
}
