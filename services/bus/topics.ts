/**
 * The topic catalog: every topic zeroops uses, the protobuf message its
 * values hold and what its key is. The only place topic names are written.
 */
export interface TopicDef {
  /** Topic name without the configured prefix. */
  readonly name: string;
  /** Fully qualified protobuf message of each value. */
  readonly message: string;
  /** What the key is. */
  readonly key: string;
}

export const TOPICS = {
  traces: { name: 'telemetry.traces', message: 'opentelemetry.proto.trace.v1.ResourceSpans', key: 'service.name of the resource' },
  metrics: { name: 'telemetry.metrics', message: 'opentelemetry.proto.metrics.v1.ResourceMetrics', key: 'service.name of the resource' },
  logs: { name: 'telemetry.logs', message: 'opentelemetry.proto.logs.v1.ResourceLogs', key: 'service.name of the resource' },
  anomalies: { name: 'anomalies', message: 'zeroops.v1.Anomaly', key: 'service' },
  outcomes: { name: 'outcomes', message: 'zeroops.v1.Outcome', key: 'service' },
  feedback: { name: 'feedback', message: 'zeroops.v1.Feedback', key: 'service' },
  callgraph: { name: 'detector.callgraph', message: 'zeroops.v1.CallHints', key: 'detector instance id' },
} as const satisfies Record<string, TopicDef>;

export type TopicId = keyof typeof TOPICS;

/** The service name used as key when a resource has no `service.name`. */
export const UNKNOWN_SERVICE = 'unknown_service';

/** Resolves topic names under a prefix (`ZEROOPS_TOPIC_PREFIX`). */
export function topicNames(prefix: string): Record<TopicId, string> {
  const out = {} as Record<TopicId, string>;
  for (const id of Object.keys(TOPICS) as TopicId[]) out[id] = prefix + TOPICS[id].name;
  return out;
}
