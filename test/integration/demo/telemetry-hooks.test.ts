import { describe, expect, it } from 'vitest';
import { exporterRequest, peerServiceHook } from '../../../infra/demo/service/telemetry.ts';

describe('the demo services telemetry hooks', () => {
  it('tells the exporters requests to the OTLP endpoint from the calls to other services', () => {
    const exporter = exporterRequest('http://127.0.0.1:4318');
    expect(exporter({ hostname: '127.0.0.1', port: 4318 })).toBe(true);
    expect(exporter({ host: '127.0.0.1:4318', port: '4318' })).toBe(true);
    // A callee's load balancer on the same host.
    expect(exporter({ hostname: '127.0.0.1', port: 7101 })).toBe(false);
    expect(exporterRequest('http://localhost/')({ hostname: 'localhost' })).toBe(true);
  });

  it('names the callee of a call to its load balancer, and no other', () => {
    const hook = peerServiceHook({ cart: 'http://127.0.0.1:7101' });
    expect(hook({ hostname: '127.0.0.1', port: 7101 })).toEqual({ 'peer.service': 'cart' });
    expect(hook({ hostname: '127.0.0.1', port: 4318 })).toEqual({});
  });
});
