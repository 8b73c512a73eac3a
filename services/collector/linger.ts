import type { IncomingMessage, ServerResponse } from 'node:http';

/** How long a refused upload's connection is kept reading (and discarding) after the answer, in ms. */
export const LINGER_MS = 5_000;

/** How many more bytes of a refused upload are read and discarded after the answer before the connection is cut. */
export const LINGER_BYTES = 16 * 1024 * 1024;

/**
 * Makes the answer to `req` the connection's last (`Connection: close`) and
 * closes the connection gently after it: half-close (the client reads the
 * answer, then end of stream), go on reading and discarding what the client
 * still sends, and cut the connection after {@link LINGER_BYTES} more bytes,
 * {@link LINGER_MS}, or when the client closes, whichever comes first.
 *
 * Why: Node closes the socket of a `Connection: close` answer as soon as the
 * answer is written (`socket.destroySoon()`), and closing a socket while
 * request bytes are still arriving makes the kernel send a TCP reset, which
 * may discard the answer before the client has read it; an OpenTelemetry
 * exporter then sees a reset connection, which it retries, instead of a 413,
 * which it does not. Call before the answer is written.
 */
export function closeAfterAnswer(req: IncomingMessage, res: ServerResponse): void {
  res.shouldKeepAlive = false;
  const socket = req.socket;
  let discarded = 0;
  const cut = (): void => {
    socket.destroy();
  };
  const count = (chunk: Buffer): void => {
    discarded += chunk.length;
    if (discarded > LINGER_BYTES) cut();
  };
  // Replaces Node's own close of this one socket (see above); everything else is Node's.
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(cut, LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    req.on('data', count);
    req.resume();
  };
}
