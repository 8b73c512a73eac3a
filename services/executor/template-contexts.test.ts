import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.ts';
import { PermanentError } from '../core/errors.ts';
import { type ActionSpec, AddressGuard, renderArgs, renderUrl, type TemplateContext, urlTemplateShape } from '../playbooks/index.ts';
import { createStepActivities, type StepRuntime } from './steps/index.ts';

/** Service names an attacker could put in OTLP resource attributes. */
const HOSTILE = [
  'a/b',
  'a/../../admin',
  '../admin',
  '?admin=1',
  '#frag',
  '@evil.example',
  'user:pw@evil.example',
  '100%',
  '%2e%2e',
  '%2F',
  'line\r\nx-injected: 1',
  'with space',
  '$(id); rm -rf / | cat `x` && echo >out',
  '\\..\\windows',
  'a&b=c',
  '"quoted" \'single\'',
  'ünïcødé €',
];
const REFUSED_SEGMENTS = ['.', '..'];

const ctxFor = (service: string): TemplateContext => ({
  anomaly: { service, score: 0.9 },
  secret: { BASE: 'https://hooks.example.com/services/T1/B2' },
  execution: { id: 'ex' },
  playbook: { id: 'p', name: 'n', version: 1 },
  step: { id: 's', idempotencyKey: 'k' },
});
const rt = (service: string): StepRuntime => ({
  template: ctxFor(service),
  idempotencyKey: 'k',
  signal: new AbortController().signal,
  timeoutMs: 10_000,
  firstStartedAt: Date.now(),
  episodeId: 'ep',
  scoreBefore: 0.9,
});

describe('context-aware templates: hostile service names reach an allowlisted target only as one encoded value', () => {
  const received: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  let base = '';
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body });
      res.end('ok');
    });
  });
  const config = loadConfig({ ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1', ZEROOPS_COMMAND_ALLOWLIST: process.execPath });
  const steps = createStepActivities({ config, guard: new AddressGuard(config.httpAllowlist), readIncident: async () => undefined });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  const httpStep = (body: unknown, contentType?: string): ActionSpec => ({
    type: 'http',
    http: {
      method: 'POST',
      url: `${base}/restart/{{anomaly.service}}/now?svc={{anomaly.service}}#{{anomaly.service}}`,
      headers: { 'x-service': 'svc={{anomaly.service}}', ...(contentType ? { 'content-type': contentType } : {}) },
      body,
    },
  });

  it('URL path segment, query value, header and JSON bodies', async () => {
    for (const name of HOSTILE) {
      received.length = 0;
      await steps.http(httpStep('{"service":"{{anomaly.service}}","score":{{anomaly.score}}}', 'application/json'), rt(name));
      await steps.http(httpStep({ service: '{{anomaly.service}}', score: '{{anomaly.score}}', text: 'svc {{anomaly.service}}' }), rt(name));
      expect(received, name).toHaveLength(2);
      for (const r of received) {
        const u = new URL(r.url, base);
        const segments = u.pathname.split('/');
        expect(segments, name).toHaveLength(4);
        expect([segments[1], decodeURIComponent(segments[2]!), segments[3]], name).toEqual(['restart', name, 'now']);
        expect([...u.searchParams.entries()], name).toEqual([['svc', name]]);
        expect(r.headers['x-service'], name).toBe(`svc=${name.replace(/[\r\n]/g, '').replace(/[^\x20-\x7e]+/g, encodeURIComponent)}`);
        expect(r.headers['x-injected'], name).toBeUndefined();
      }
      expect(JSON.parse(received[0]!.body), name).toEqual({ service: name, score: 0.9 });
      expect(JSON.parse(received[1]!.body), name).toEqual({ service: name, score: 0.9, text: `svc ${name}` });
    }
  });

  it('"." and ".." cannot be a path segment: the step fails and nothing is sent', async () => {
    received.length = 0;
    for (const name of REFUSED_SEGMENTS) {
      const err = await steps.http(httpStep(undefined), rt(name)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PermanentError);
      expect((err as PermanentError).code).toBe('ZEROOPS_TEMPLATE_UNSAFE');
    }
    expect(received).toEqual([]);
  });

  it('a command argument stays one argv entry and cannot become an option', async () => {
    const script = 'process.stdout.write(JSON.stringify(process.argv.slice(1)))';
    for (const name of [...HOSTILE.filter((n) => !n.includes('\0')), '-rf', '--output=/etc/passwd']) {
      const action: ActionSpec = {
        type: 'command',
        command: { executable: process.execPath, args: ['-e', script, '--', '{{anomaly.service}}', '--name={{anomaly.service}}'] },
      };
      const out = (await steps.command(action, rt(name))).response as { stdout: string };
      expect(JSON.parse(out.stdout), name).toEqual([name, `--name=${name}`]);
    }
    // Without a preceding "--", a value that starts with "-" is refused.
    expect(() => renderArgs(['{{anomaly.service}}'], ctxFor('--delete-all'))).toThrow(/ZEROOPS_TEMPLATE_UNSAFE|put a "--" argument before it/);
    expect(renderArgs(['{{anomaly.service}}', 'x{{anomaly.service}}'], ctxFor('ok'))).toEqual(['ok', 'xok']);
  });

  it('only a secret may supply the scheme, host or port', () => {
    expect(renderUrl('{{secret.BASE}}/{{anomaly.service}}', ctxFor('a/b'))).toBe('https://hooks.example.com/services/T1/B2/a%2Fb');
    expect(() => renderUrl('https://{{anomaly.service}}/x', ctxFor('evil.example'))).toThrow(/scheme, host or port/);
    expect(() => renderUrl('https://ops.example.com:{{anomaly.service}}/x', ctxFor('22'))).toThrow(/scheme, host or port/);
    expect(() => renderUrl('{{anomaly.service}}://ops.example.com/x', ctxFor('file'))).toThrow(/scheme, host or port/);
    expect(urlTemplateShape('https://{{anomaly.service}}.example.com/').problem).toMatch(/only \{\{secret\.NAME\}\} may be there/);
    expect(urlTemplateShape('{{secret.BASE}}/x/{{anomaly.service}}')).toEqual({});
    expect(urlTemplateShape('http://127.1:8080/{{anomaly.service}}')).toEqual({ host: '127.0.0.1' });
  });
});
