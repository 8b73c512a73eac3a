/**
 * Wraps a close function so that it runs once: later calls return the same
 * promise (so `close()` is idempotent and concurrent calls wait together).
 */
export function closeOnce(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= fn();
    return done;
  };
}
