import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { AnomalyEvent, OutcomeEvent } from '../core/contracts/index.ts';
import { PermanentError } from '../core/errors.ts';

const protoPath = fileURLToPath(new URL('../../proto/zeroops/v1/events.proto', import.meta.url));
const root = protobuf.loadSync(protoPath);
const AnomalyType = root.lookupType('zeroops.v1.Anomaly');
const OutcomeType = root.lookupType('zeroops.v1.Outcome');
const CallHintsType = root.lookupType('zeroops.v1.CallHints');
const FeedbackType = root.lookupType('zeroops.v1.Feedback');

export type {
  AnomalyEvent,
  AnomalyKind,
  EpisodeState,
  Evidence,
  OutcomeEvent,
  RootCause,
  Severity,
} from '../core/contracts/index.ts';

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

/** The root-cause evidence of one service at one window end, from the detector instance that scores it. */
export interface PeerEvidence {
  service: string;
  windowEndUnixMs: number;
  /** Its callees seen recently, as its owner knows them. */
  callees: string[];
  /** models/root-cause `ServiceEvidence` as JSON. */
  evidenceJson: string;
}

/** Value of the `callgraph` topic: hints, and the evidence of one window round, from one detector instance. */
export interface CallHintsMessage {
  origin: string;
  hints: CallHint[];
  /** The services the sender scored in one window round (absent or empty: hints only). */
  evidence?: PeerEvidence[];
  /** The window end of that evidence, Unix ms (0 or absent: hints only). */
  stepEndUnixMs?: number;
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
