import { describe, expect, it } from 'vitest';
import type { ServiceScore } from '../../models/fleet/index.ts';
import { anomalyEvent, ROOT_CAUSE_ROLE_ATTRIBUTE } from './anomaly-events.ts';

const score = {
  input: { service: 'gateway', startMs: 0, endMs: 10_000, features: {}, callees: [] },
  score: 0.9,
  likelihood: 0.9,
  evidence: [{ feature: 'error_ratio', observed: 0.5, expected: 0, deviation: 9 }],
  transition: 'open',
  episodeId: 'gateway:10000:1',
  openedAtMs: 10_000,
  flapping: false,
  peak: 0.9,
  callees: [],
  severity: 'critical',
  warmingUp: false,
} as unknown as ServiceScore;

describe('anomaly events: root-cause role', () => {
  it('marks the service as the cause when it ranks first (or nothing is ranked), else as a symptom', () => {
    const role = (causes: string[]) =>
      anomalyEvent(
        score,
        causes.map((service) => ({ service, score: 0.5, reason: '' })),
        'v',
        0,
      ).attributes[ROOT_CAUSE_ROLE_ATTRIBUTE];
    expect(role(['gateway', 'cart'])).toBe('cause');
    expect(role([])).toBe('cause');
    expect(role(['cart', 'gateway'])).toBe('symptom');
  });
});
