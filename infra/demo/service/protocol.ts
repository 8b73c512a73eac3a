/**
 * What the supervisor and a demo service process tell each other: the
 * process's start-up configuration (one JSON argument) and the IPC messages.
 */
import type { FaultKind } from '../fault-kinds.ts';
import type { ServiceSpec } from '../topology.ts';

/** A fault the process itself must act out (traffic surges are the load generator's). */
export interface ProcessEffect {
  kind: FaultKind;
  magnitude: number;
  /** Unix ms the fault started. */
  startedAt: number;
}

/** Start-up configuration of one replica, passed as the process's only argument (JSON). */
export interface ServiceProcessConfig {
  spec: ServiceSpec;
  /** The `service.version` resource attribute. */
  version: string;
  /** Share of requests the version's bug fails (0 for a good version). */
  bugRate: number;
  /** Requests per second one replica can serve (its own work is 1/capacityRps seconds, served one at a time). */
  capacityRps: number;
  /** `service.instance.id`. */
  instanceId: string;
  /** Service name -> base URL of its load balancer. */
  peers: Record<string, string>;
  /** OTLP/HTTP base URL (e.g. http://127.0.0.1:4318); empty: no telemetry export. */
  otlpEndpoint: string;
  /** Metric export interval in milliseconds. */
  metricIntervalMs: number;
  effects: ProcessEffect[];
  flags: Record<string, boolean>;
}

/** Supervisor -> process. */
export type ToProcess = { type: 'effects'; effects: ProcessEffect[] } | { type: 'flags'; flags: Record<string, boolean> } | { type: 'cache-clear' };

/** Process -> supervisor. */
export type FromProcess = { type: 'ready'; port: number } | { type: 'cache-cleared'; entries: number };
