import { describe, expect, it } from 'vitest';
import {
  type AnomalyEvent,
  decodeAnomaly,
  decodeFeedback,
  decodeOutcome,
  encodeAnomaly,
  encodeFeedback,
  encodeOutcome,
  type FeedbackEvent,
} from './messages.ts';

describe('zeroops.v1 messages', () => {
  it('round-trips an anomaly with evidence, root causes and attributes', () => {
    const a: AnomalyEvent = {
      id: 'ep-1:1700000010000',
      service: 'checkout',
      episodeId: 'ep-1',
      windowStartUnixMs: 1_700_000_000_000,
      windowEndUnixMs: 1_700_000_010_000,
      score: 0.93,
      likelihood: 0.999,
      severity: 'critical',
      kind: 'errors',
      evidence: [{ feature: 'error_ratio', observed: 0.5, expected: 0.01, deviation: 12.5 }],
      modelVersion: 'v1',
      episodeState: 'open',
      rootCauses: [{ service: 'payments', score: 0.8, reason: 'downstream anomalous first' }],
      attributes: { region: 'eu' },
      detectedUnixMs: 1_700_000_010_500,
      recoveryStartUnixMs: 0,
      flapping: false,
    };
    expect(decodeAnomaly(encodeAnomaly(a))).toEqual(a);
  });

  it('round-trips an outcome', () => {
    const o = {
      executionId: 'x',
      episodeId: 'e',
      service: 's',
      playbookId: 'p',
      playbookVersion: 3,
      outcome: 'resolved' as const,
      reason: 'episode closed',
      scoreBefore: 0.9,
      scoreAfter: 0.1,
      decidedUnixMs: 1_700_000_000_000,
      anomalyKind: 'latency',
    };
    expect(decodeOutcome(encodeOutcome(o))).toEqual(o);
  });

  it('round-trips a label', () => {
    const f: FeedbackEvent = {
      id: 'fb-1',
      label: 'false_positive',
      service: 'checkout',
      episodeId: 'ep-1',
      fromUnixMs: 1_700_000_000_000,
      toUnixMs: 1_700_000_600_000,
      actor: 'token:alice',
      note: 'a batch job',
      createdUnixMs: 1_700_000_700_000,
    };
    expect(decodeFeedback(encodeFeedback(f))).toEqual(f);
  });

  it('rejects malformed bytes with a permanent error', () => {
    expect(() => decodeAnomaly(new Uint8Array([0x0a, 0xff, 0xff, 0xff]))).toThrow(/cannot decode zeroops.v1.Anomaly/);
  });
});
