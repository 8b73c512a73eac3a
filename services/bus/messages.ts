import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { PermanentError } from '../core/errors.ts';

const protoPath = fileURLToPath(new URL('../../proto/zeroops/v1/events.proto', import.meta.url));
const root = protobuf.loadSync(protoPath);
const AnomalyType = root.lookupType('zeroops.v1.Anomaly');
const OutcomeType = root.lookupType('zeroops.v1.Outcome');
const CallHintsType = root.lookupType('zeroops.v1.CallHints');
const FeedbackType = root.lookupType('zeroops.v1.Feedback');

/** One deviating feature of an anomaly. */
export interface Evidence {
  feature: string;
  observed: number;
  expected: number;
  /** Signed deviation in robust standard deviations. */
  deviation: number;
}

/** A service that may explain an anomaly. */
export interface RootCause {
  service: string;
  /** In [0, 1]. */
  score: number;
  reason: string;
}

/** Severity of an anomaly. */
export type Severity = 'info' | 'warning' | 'critical';
/** What kind of signal is anomalous. */
export type AnomalyKind = 'latency' | 'errors' | 'traffic' | 'saturation' | 'logs';
/** Where in its episode an anomaly event is. */
export type EpisodeState = 'open' | 'ongoing' | 'closed';

/** An anomaly event (value of the `anomalies` topic), as plain data. Times in Unix ms. */
export interface AnomalyEvent {
  id: string;
  service: string;
  episodeId: string;
  windowStartUnixMs: number;
  windowEndUnixMs: number;
  score: number;
  likelihood: number;
  severity: Severity;
  kind: AnomalyKind;
  evidence: Evidence[];
  modelVersion: string;
  episodeState: EpisodeState;
  rootCauses: RootCause[];
  attributes: Record<string, string>;
  detectedUnixMs: number;
  flapping: boolean;
}

/** The result of one execution (value of the `outcomes` topic). */
export interface OutcomeEvent {
  executionId: string;
  episodeId: string;
  service: string;
  playbookId: string;
  playbookVersion: number;
  outcome: 'resolved' | 'not_resolved' | 'made_worse' | 'undone' | 'escalated' | 'skipped' | 'awaiting_approval';
  reason: string;
  scoreBefore: number;
  scoreAfter: number;
  decidedUnixMs: number;
  anomalyKind: string;
}

const toObjectOpts: protobuf.IConversionOptions = { longs: Number, defaults: true, arrays: true, objects: true };

function decode<T>(type: protobuf.Type, bytes: Uint8Array, what: string): T {
  try {
    return type.toObject(type.decode(bytes), toObjectOpts) as T;
  } catch (err) {
    throw new PermanentError('ZEROOPS_MESSAGE_INVALID', `cannot decode ${what}: ${(err as Error).message}`, { cause: err });
  }
}

/** Encodes an anomaly event as zeroops.v1.Anomaly protobuf. */
export function encodeAnomaly(a: AnomalyEvent): Uint8Array {
  return AnomalyType.encode(AnomalyType.fromObject(a)).finish();
}

/** Decodes zeroops.v1.Anomaly; throws PermanentError on malformed bytes. */
export function decodeAnomaly(bytes: Uint8Array): AnomalyEvent {
  return decode<AnomalyEvent>(AnomalyType, bytes, 'zeroops.v1.Anomaly');
}

/** Encodes an outcome as zeroops.v1.Outcome protobuf. */
export function encodeOutcome(o: OutcomeEvent): Uint8Array {
  return OutcomeType.encode(OutcomeType.fromObject(o)).finish();
}

/** Decodes zeroops.v1.Outcome; throws PermanentError on malformed bytes. */
export function decodeOutcome(bytes: Uint8Array): OutcomeEvent {
  return decode<OutcomeEvent>(OutcomeType, bytes, 'zeroops.v1.Outcome');
}

/** A server span whose parent client span the sending detector has not seen. */
export interface CallHint {
  /** Hex id of the parent (client) span. */
  parentSpanId: string;
  /** Service of the server span. */
  callee: string;
  endUnixMs: number;
}

/** Value of the `callgraph` topic: hints from one detector instance. */
export interface CallHintsMessage {
  origin: string;
  hints: CallHint[];
}

/** Encodes call-graph hints as zeroops.v1.CallHints protobuf. */
export function encodeCallHints(m: CallHintsMessage): Uint8Array {
  return CallHintsType.encode(CallHintsType.fromObject(m)).finish();
}

/** Decodes zeroops.v1.CallHints; throws PermanentError on malformed bytes. */
export function decodeCallHints(bytes: Uint8Array): CallHintsMessage {
  return decode<CallHintsMessage>(CallHintsType, bytes, 'zeroops.v1.CallHints');
}

/** A human label (value of the `feedback` topic). Times in Unix ms. */
export interface FeedbackEvent {
  id: string;
  label: 'true_positive' | 'false_positive' | 'missed';
  service: string;
  /** The incident labelled; empty for `missed`. */
  episodeId: string;
  /** The range labelled: the incident's opening to its closing (or the time of labelling), or the missed range. */
  fromUnixMs: number;
  toUnixMs: number;
  actor: string;
  note: string;
  createdUnixMs: number;
}

/** Encodes a label as zeroops.v1.Feedback protobuf. */
export function encodeFeedback(f: FeedbackEvent): Uint8Array {
  return FeedbackType.encode(FeedbackType.fromObject(f)).finish();
}

/** Decodes zeroops.v1.Feedback; throws PermanentError on malformed bytes. */
export function decodeFeedback(bytes: Uint8Array): FeedbackEvent {
  return decode<FeedbackEvent>(FeedbackType, bytes, 'zeroops.v1.Feedback');
}
