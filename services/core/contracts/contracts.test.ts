import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TObject, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeAnomaly, encodeAnomaly } from '../../bus/messages.ts';
import {
  ANOMALY_KINDS,
  type AnomalyEvent,
  AnomalyEventSchema,
  EPISODE_STATES,
  EvidenceSchema,
  OUTCOMES,
  OutcomeEventSchema,
  RootCauseSchema,
  SEVERITIES,
} from './index.ts';

const protoPath = fileURLToPath(new URL('../../../proto/zeroops/v1/events.proto', import.meta.url));
const protoText = readFileSync(protoPath, 'utf8');
const root = protobuf.loadSync(protoPath);

/** The values a proto field's trailing comment lists, e.g. `// "info" | "warning"` or `// a | b`. */
function documentedValues(message: string, field: string): string[] {
  const body = new RegExp(`message ${message} \\{([\\s\\S]*?)\\n\\}`).exec(protoText)?.[1] ?? '';
  const line = body.split('\n').find((l) => new RegExp(`\\s${field} = \\d+;`).test(l));
  const comment = line?.split('//')[1] ?? '';
  return comment.split('|').map((v) => v.trim().replace(/^"|"$/g, ''));
}

function protoFields(message: string): string[] {
  return Object.keys(root.lookupType(`zeroops.v1.${message}`).fields).sort();
}

function schemaFields(schema: TSchema): string[] {
  return Object.keys((schema as TObject).properties).sort();
}

describe('the anomaly contract and proto/zeroops/v1 agree', () => {
  it('lists the same enum values as the proto documents', () => {
    expect(documentedValues('Anomaly', 'severity')).toEqual([...SEVERITIES]);
    expect(documentedValues('Anomaly', 'kind')).toEqual([...ANOMALY_KINDS]);
    expect(documentedValues('Anomaly', 'episode_state')).toEqual([...EPISODE_STATES]);
    expect(documentedValues('Outcome', 'outcome')).toEqual([...OUTCOMES]);
  });

  it('has the same fields as the proto messages', () => {
    expect(schemaFields(AnomalyEventSchema)).toEqual(protoFields('Anomaly'));
    expect(schemaFields(EvidenceSchema)).toEqual(protoFields('Evidence'));
    expect(schemaFields(RootCauseSchema)).toEqual(protoFields('RootCause'));
    expect(schemaFields(OutcomeEventSchema)).toEqual(protoFields('Outcome'));
  });

  it('accepts what the bus decodes, and refuses a value outside an enum', () => {
    const event: AnomalyEvent = {
      id: 'checkout:1:2',
      service: 'checkout',
      episodeId: 'checkout:1',
      windowStartUnixMs: 1,
      windowEndUnixMs: 2,
      score: 0.9,
      likelihood: 0.99,
      severity: 'critical',
      kind: 'errors',
      evidence: [{ feature: 'error_ratio', observed: 0.5, expected: 0.01, deviation: 9 }],
      modelVersion: 'v1',
      episodeState: 'open',
      rootCauses: [{ service: 'db', score: 0.8, reason: 'downstream first' }],
      attributes: { 'service.version': '1.2' },
      detectedUnixMs: 3,
      recoveryStartUnixMs: 0,
      flapping: false,
    };
    const decoded = decodeAnomaly(encodeAnomaly(event));
    expect(Value.Check(AnomalyEventSchema, decoded)).toBe(true);
    expect(decoded).toEqual(event);
    expect(Value.Check(AnomalyEventSchema, { ...decoded, severity: 'fatal' })).toBe(false);
    expect(Value.Check(AnomalyEventSchema, { ...decoded, episodeState: 'reopened' })).toBe(false);
  });
});
