/**
 * Bounds the memory the collector holds for requests: bytes received, bytes
 * decompressed and records waiting for the bus. A request takes a
 * {@link Lease}, grows it as bytes arrive and releases it once the bus has
 * settled its records (even when the client was already answered).
 */
export class ByteBudget {
  private used = 0;

  /** @param max Most bytes held at once. */
  constructor(readonly max: number) {}

  /** Bytes currently held. */
  inUse(): number {
    return this.used;
  }

  /** Opens an empty lease on this budget. */
  lease(): Lease {
    return new Lease(this);
  }

  /** @internal used by {@link Lease}. */
  take(n: number): boolean {
    if (this.used + n > this.max) return false;
    this.used += n;
    return true;
  }

  /** @internal used by {@link Lease}. */
  give(n: number): void {
    this.used -= n;
  }
}

/** Bytes held by one request. */
export class Lease {
  private held = 0;
  private released = false;

  constructor(private readonly budget: ByteBudget) {}

  /** Takes `n` more bytes; false (and nothing taken) when the budget is exhausted. */
  grow(n: number): boolean {
    if (this.released) return false;
    if (!this.budget.take(n)) return false;
    this.held += n;
    return true;
  }

  /** Bytes this lease holds. */
  size(): number {
    return this.held;
  }

  /** Gives back `n` of the bytes held (at most all of them), e.g. once a copy has replaced the pieces it was made from. */
  shrink(n: number): void {
    const k = Math.min(Math.max(0, n), this.held);
    this.held -= k;
    this.budget.give(k);
  }

  /** Returns every byte held (idempotent). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.give(this.held);
    this.held = 0;
  }
}
