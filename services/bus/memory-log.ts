/**
 * Append-only partition logs of the in-process bus, and a tiny wake-up
 * primitive shared by its consumer loops.
 */

/** One record as stored in a partition log. */
export interface StoredRecord {
  key: string;
  value: Uint8Array;
  headers: Record<string, string>;
  /** Append time, Unix milliseconds. */
  timestamp: number;
}

/**
 * One partition: records with consecutive offsets starting at `base`.
 * Records below `base` were dropped by retention.
 */
export class PartitionLog {
  private base = 0;
  private readonly records: StoredRecord[] = [];

  /** Offset of the oldest record still held. */
  get start(): number {
    return this.base;
  }

  /** Offset the next appended record gets (the high watermark). */
  get end(): number {
    return this.base + this.records.length;
  }

  /** Appends `rec`; returns its offset. */
  append(rec: StoredRecord): number {
    this.records.push(rec);
    return this.end - 1;
  }

  /** Up to `max` records from `from` (clamped to {@link start}), each with its offset. */
  read(from: number, max: number): Array<{ offset: number; rec: StoredRecord }> {
    const first = Math.max(from, this.base);
    const out: Array<{ offset: number; rec: StoredRecord }> = [];
    for (let o = first; o < this.end && out.length < max; o++) {
      out.push({ offset: o, rec: this.records[o - this.base]! });
    }
    return out;
  }

  /** Drops every record below `offset` (no-op when already dropped). */
  dropBelow(offset: number): void {
    const n = Math.min(offset, this.end) - this.base;
    if (n <= 0) return;
    this.records.splice(0, n);
    this.base += n;
  }
}

/** A topic of the in-process bus: a fixed number of partition logs. */
export class MemoryTopic {
  /** One log per partition, indexed by partition number. */
  readonly logs: PartitionLog[];

  constructor(
    readonly name: string,
    partitions: number,
  ) {
    this.logs = Array.from({ length: partitions }, () => new PartitionLog());
  }
}

/**
 * A level-triggered wake-up: `wait()` resolves on the next `notify()` (or
 * at once if one happened since the last `wait()`), or after `timeoutMs`.
 */
export class Wakeup {
  private pending = false;
  private resolve: (() => void) | null = null;

  /** Wakes the waiter, or lets the next `wait()` return at once. */
  notify(): void {
    if (this.resolve) {
      const r = this.resolve;
      this.resolve = null;
      r();
    } else {
      this.pending = true;
    }
  }

  /** Resolves on the next notification or after `timeoutMs` (when given). */
  wait(timeoutMs?: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      this.resolve = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(
          () => {
            this.resolve = null;
            resolve();
          },
          Math.max(0, timeoutMs),
        );
        timer.unref();
      }
    });
  }
}
