/**
 * Whether this process serves, for /readyz. The process wiring marks it
 * serving once every component has started and draining from the first
 * moment of a shutdown; in between, each component may still report that it
 * does not serve (a consumer rejoining its group after a crash).
 */
import type { Component } from './component.ts';

/** `starting` until every component started, `serving`, then `draining` from the first moment of a shutdown. */
export type ProcessState = 'starting' | 'serving' | 'draining';

/** A readiness report: the process state and each component's status (`ok` or what it waits for). */
export interface ReadinessReport {
  ready: boolean;
  state: ProcessState;
  components: Record<string, 'ok' | string>;
}

/** The readiness of one process; owned by the process wiring, read by the API's /readyz. */
export interface ProcessReadiness {
  /** Marks the process as serving (call after every component started). */
  serving(): void;
  /** Marks the process as draining; it never serves again. */
  draining(): void;
  /** The current state and each component's status. */
  report(): ReadinessReport;
}

/** Creates the readiness of a process made of `components` (checked in order on every report). */
export function createProcessReadiness(components: readonly Component[]): ProcessReadiness {
  let state: ProcessState = 'starting';
  return {
    serving() {
      if (state === 'starting') state = 'serving';
    },
    draining() {
      state = 'draining';
    },
    report() {
      const byName: Record<string, string> = {};
      for (const c of components) byName[c.name] = state === 'serving' ? (c.ready?.() ?? 'ok') : state;
      const ready = state === 'serving' && Object.values(byName).every((v) => v === 'ok');
      return { ready, state, components: byName };
    },
  };
}
