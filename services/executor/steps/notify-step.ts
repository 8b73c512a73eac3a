import { PermanentError } from '../../core/errors.ts';
import { sendRequest } from './http-client.ts';
import { zeroopsHeaders } from './http-step.ts';
import { renderNotify } from './render-step.ts';
import type { StepActivity, StepDeps } from './types.ts';

/** Creates the `notify` step: a Slack (`{text}`), PagerDuty Events v2 or plain JSON webhook. */
export function createNotifyStep(deps: StepDeps): StepActivity {
  return async (action, rt) => {
    const p = action.notify;
    if (!p) throw new PermanentError('ZEROOPS_STEP_INVALID', 'notify step without notify parameters');
    const { url, text, routingKey } = renderNotify(p, rt.template);
    const a = rt.template.anomaly;
    let payload: unknown;
    if (p.kind === 'slack') payload = { text };
    else if (p.kind === 'pagerduty') {
      payload = {
        routing_key: routingKey ?? '',
        event_action: 'trigger',
        dedup_key: rt.idempotencyKey,
        payload: {
          summary: text,
          source: String(a.service ?? ''),
          severity: a.severity === 'critical' ? 'critical' : a.severity === 'warning' ? 'warning' : 'info',
        },
      };
    } else payload = { text, anomaly: a, execution: rt.template.execution, playbook: rt.template.playbook };
    const body = JSON.stringify(payload);
    const headers = { 'content-type': 'application/json', ...zeroopsHeaders(deps, rt, body) };
    const res = await sendRequest({ method: 'POST', url, headers, body, timeoutMs: rt.timeoutMs, signal: rt.signal, guard: deps.guard });
    return { request: { url, body: payload }, response: res };
  };
}
