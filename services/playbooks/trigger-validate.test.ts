import { describe, expect, it } from 'vitest';
import { PlaybookCatalog, validatePlaybook } from './index.ts';

const ctx = { secrets: {}, commandAllowlist: [], httpAllowlist: ['127.0.0.1'] };
const scale = { id: 'scale', type: 'http', http: { method: 'POST', url: 'http://127.0.0.1:7070/scale', body: { replicas: '{{forecast.replicas}}' } } };
const doc = (over: Record<string, unknown> = {}) => ({
  name: 'predict',
  mode: 'auto',
  match: { service: 'shop' },
  trigger: { type: 'forecast', leadSeconds: 300, capacity: { perReplica: 20 }, maxReplicas: 10 },
  steps: [scale],
  ...over,
});
const problems = (d: unknown) => {
  const r = validatePlaybook(d, ctx);
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
};

describe('forecast triggers', () => {
  it('accept a complete trigger and fill in the defaults', () => {
    const r = validatePlaybook(doc(), ctx);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.playbook.trigger).toEqual({
      type: 'forecast',
      leadSeconds: 300,
      capacity: { perReplica: 20, metricWindowSeconds: 300 },
      minReplicas: 1,
      maxReplicas: 10,
      scaleIn: { afterSeconds: 900, belowUtilization: 0.7 },
    });
    expect(validatePlaybook(doc({ trigger: { type: 'forecast', leadSeconds: 60, capacity: { metric: 'capacity_rps' }, maxReplicas: 3 } }), ctx).ok).toBe(true);
  });

  it('name each missing or contradictory field', () => {
    expect(problems(doc({ trigger: { type: 'forecast' } }))).toEqual([
      '/trigger/leadSeconds: a forecast trigger needs leadSeconds (how far ahead to look, in seconds)',
      '/trigger/maxReplicas: a forecast trigger needs maxReplicas',
      '/trigger/capacity: a forecast trigger needs capacity: { perReplica: <req/s> } or { metric: <feature> }',
    ]);
    expect(
      problems(doc({ trigger: { type: 'forecast', leadSeconds: 60, capacity: { perReplica: 1, metric: 'x' }, maxReplicas: 3, initialReplicas: 9 } })),
    ).toEqual([
      '/trigger/capacity: give exactly one of capacity.perReplica (req/s per replica) and capacity.metric',
      '/trigger/initialReplicas: initialReplicas must lie between minReplicas (1) and maxReplicas (3)',
    ]);
    expect(
      problems(doc({ trigger: { type: 'forecast', leadSeconds: 5, capacity: { perReplica: 0 }, maxReplicas: 3, scaleIn: { belowUtilization: 2 } } })),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/trigger\/leadSeconds: /),
        expect.stringMatching(/^\/trigger\/capacity\/perReplica: /),
        expect.stringMatching(/^\/trigger\/scaleIn\/belowUtilization: /),
      ]),
    );
    expect(problems(doc({ trigger: { type: 'sometimes' } }))).toEqual(['/trigger/type: must be one of anomaly, forecast (got "sometimes")']);
  });

  it('refuse anomaly criteria, verify steps and deferral with a forecast trigger, and forecast fields or {{forecast.*}} without one', () => {
    expect(
      problems(
        doc({
          match: { service: 'shop', minScore: 0.5 },
          deferrable: { maxDelaySeconds: 600 },
          steps: [scale, { id: 'v', type: 'verify', verify: { deadlineSeconds: 9 } }],
        }),
      ),
    ).toEqual([
      '/match/minScore: a forecast-triggered playbook matches services only (match.service): remove match.minScore',
      '/deferrable: a forecast-triggered playbook runs ahead of the load: it cannot be deferrable',
      '/steps/1: a verify step waits for an anomaly episode to close; a forecast-triggered playbook has none',
    ]);
    expect(problems(doc({ trigger: { type: 'anomaly', leadSeconds: 60 } }))).toEqual([
      '/trigger/leadSeconds: leadSeconds belongs to a forecast trigger (trigger.type: forecast)',
      '/steps/0/http/body/replicas: {{forecast.*}} has a value only in a playbook with trigger.type: forecast',
    ]);
    expect(problems(doc({ trigger: undefined }))).toEqual([
      '/steps/0/http/body/replicas: {{forecast.*}} has a value only in a playbook with trigger.type: forecast',
    ]);
  });

  it('keep a forecast-triggered playbook out of anomaly matching', () => {
    const r = validatePlaybook(doc({ match: { service: '*' } }), ctx);
    if (!r.ok) throw new Error('invalid');
    const cat = new PlaybookCatalog([{ id: 'p1', name: 'predict', version: 1, spec: r.playbook }]);
    const now = Date.now();
    const traffic = {
      id: 'a1',
      service: 'shop',
      episodeId: 'ep',
      score: 0.9,
      likelihood: 0.99,
      severity: 'critical' as const,
      kind: 'traffic' as const,
      evidence: [],
      rootCauses: [],
      modelVersion: 'test',
      episodeState: 'open' as const,
      flapping: false,
      attributes: {},
      windowStartUnixMs: now,
      windowEndUnixMs: now,
      detectedUnixMs: now,
      recoveryStartUnixMs: 0,
    };
    expect(cat.choose(traffic)).toBeUndefined();
    expect(cat.matching(traffic)).toEqual([]);
    expect(cat.forecastTriggered().map((p) => p.ref.name)).toEqual(['predict']);
    expect(cat.forecastTriggered()[0]?.coversService('shop')).toBe(true);
  });
});
