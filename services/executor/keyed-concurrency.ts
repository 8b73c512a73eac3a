/**
 * Runs `fn` over `items` with at most `limit` calls in flight, keeping the
 * order of items that share a key (one key is processed sequentially;
 * different keys in parallel). Waits for every started call; then rejects
 * with the first error, if any (so a batch is redelivered only once all its
 * work has stopped).
 */
export async function forEachKeyInOrder<T>(items: T[], keyOf: (item: T) => string, limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const groups = new Map<string, T[]>();
  for (const it of items) {
    const k = keyOf(it);
    const g = groups.get(k);
    if (g) g.push(it);
    else groups.set(k, [it]);
  }
  const queue = [...groups.values()];
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    for (let g = queue.shift(); g && errors.length === 0; g = queue.shift()) {
      for (const it of g) {
        try {
          await fn(it);
        } catch (err) {
          errors.push(err);
          return;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, queue.length)) }, worker));
  if (errors.length > 0) throw errors[0];
}
