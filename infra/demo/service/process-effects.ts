/**
 * Faults a demo replica acts out on itself, as a real defect would: a crash
 * soon after start, a heap that grows until the process dies, a runaway loop,
 * leaked pool slots. Request-level faults (latency, errors, refused datastore)
 * are read by the request handler from {@link EffectState}.
 */
import type { FaultKind } from '../fault-kinds.ts';
import type { ProcessEffect } from './protocol.ts';
import type { SlotPool } from './slot-pool.ts';
import type { ServiceTelemetry } from './telemetry.ts';

/** The faults in force in this process, by kind. */
export class EffectState {
  private byKind = new Map<FaultKind, ProcessEffect>();

  /** Replaces the set of faults in force. */
  set(effects: ProcessEffect[]): void {
    this.byKind = new Map(effects.map((e) => [e.kind, e]));
  }

  /** The magnitude of `kind` when it is in force. */
  magnitude(kind: FaultKind): number | undefined {
    return this.byKind.get(kind)?.magnitude;
  }
}

/**
 * The share of the process's one thread that its requests get while a
 * `cpu-hog` of magnitude m spins: 1 - m (1 without a hog). The spinning
 * below blocks the event loop for that share of every 100 ms; the request
 * handler's own work (a timer in the demo, standing for CPU time, see
 * slot-pool.ts `WorkQueue`) takes 1 / (1 - m) as long, as a CPU-bound
 * handler's would when a runaway loop takes the rest of its thread. Never
 * below 0.05 (the kind's largest magnitude is 0.95).
 */
export function cpuShareLeft(state: EffectState): number {
  return Math.max(0.05, 1 - (state.magnitude('cpu-hog') ?? 0));
}

const CHUNK_DOUBLES = (64 * 1024) / 8;

/**
 * Runs the process-level faults: every 100 ms it spins (cpu-hog), retains
 * heap (memory-leak) and leaks pool slots (pool-exhaustion) in proportion to
 * their magnitude, and arms the crash-loop timer. Returns a stop function.
 */
export function runProcessEffects(state: EffectState, pool: SlotPool, telemetry: ServiceTelemetry, startedAt: number): () => void {
  const retained: number[][] = [];
  let leakCredit = 0;
  let crashTimer: NodeJS.Timeout | undefined;
  const tick = setInterval(() => {
    const hog = state.magnitude('cpu-hog');
    if (hog !== undefined) {
      const until = performance.now() + hog * 100;
      while (performance.now() < until) {
        // A runaway loop: the event loop gets nothing else done meanwhile.
      }
    }
    const leakMb = state.magnitude('memory-leak');
    if (leakMb !== undefined) {
      // Chunks of 64 KiB of doubles in fast arrays: real heap, not off-heap buffers.
      const chunks = Math.max(1, Math.round((leakMb * 1024) / 64 / 10));
      for (let i = 0; i < chunks; i++) retained.push(new Array(CHUNK_DOUBLES).fill(Math.random()));
    }
    const leakRate = state.magnitude('pool-exhaustion');
    if (leakRate !== undefined) {
      leakCredit += leakRate / 10;
      while (leakCredit >= 1) {
        leakCredit--;
        if (pool.leak() && pool.leaked % 5 === 0) telemetry.log('warn', `connection pool: ${pool.leaked} connections not returned`);
      }
    }
    const crashAfter = state.magnitude('crash-loop');
    if (crashAfter !== undefined && !crashTimer) {
      crashTimer = setTimeout(() => crash(telemetry), Math.max(0, startedAt + crashAfter * 1000 - Date.now()));
    } else if (crashAfter === undefined && crashTimer) {
      clearTimeout(crashTimer);
      crashTimer = undefined;
    }
  }, 100);
  return () => {
    clearInterval(tick);
    clearTimeout(crashTimer);
  };
}

function crash(telemetry: ServiceTelemetry): void {
  telemetry.log('fatal', 'unhandled error during start-up: configuration invalid, exiting');
  // Give the log a moment to leave, as a crashing process's last words sometimes do.
  telemetry.shutdown().finally(() => process.exit(1));
  setTimeout(() => process.exit(1), 1500).unref();
}
