import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError } from '../../core/errors.ts';
import { AddressGuard, type Resolver } from '../../playbooks/index.ts';
import { sendRequest } from './http-client.ts';

/** A resolver standing in for an attacker's DNS: every name answers with `answer(name, call)`. */
function fakeResolver(answer: (name: string, call: number) => string[]): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const r: Resolver = (hostname, _opts, cb) => {
    calls.push(hostname);
    const n = calls.filter((c) => c === hostname).length;
    const addresses: LookupAddress[] = answer(hostname, n).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    setImmediate(() => cb(null, addresses));
  };
  return Object.assign(r, { calls });
}

/** A real listener that counts every request it receives. */
async function listen(host: string): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.headers.host} ${req.url}`);
    res.end('ok');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  return { server, port: (server.address() as AddressInfo).port, hits };
}

describe('SSRF guard at connect time (real loopback listener)', () => {
  let lo: Awaited<ReturnType<typeof listen>>;
  let alt: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    lo = await listen('127.0.0.1');
    // A second loopback address (all of 127.0.0.0/8 is local on Linux) for the rebinding case.
    alt = await listen('127.0.0.2');
  });
  afterAll(() => {
    lo?.server.close();
    alt?.server.close();
  });

  const call = (url: string, guard: AddressGuard) => sendRequest({ method: 'POST', url, headers: {}, body: 'x', timeoutMs: 5_000, guard });
  const refusal = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'the call must be refused').toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('ZEROOPS_TARGET_REFUSED');
    return (err as Error).message;
  };

  // Host spellings; `{p}` is the listener's port. Every one must be refused and none may reach the listener.
  const SPELLINGS = [
    '127.0.0.1',
    '127.1',
    '127.0.1',
    '2130706433',
    '0x7f000001',
    '0x7f.0.0.1',
    '0x7f.1',
    '0177.0.0.1',
    '017700000001',
    '127.000.000.001',
    '127.0.0.1.',
    '%31%32%37.0.0.1',
    '127\u30020\u30020\u30021',
    '127.9.9.9',
    '[::1]',
    '[0:0:0:0:0:0:0:1]',
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:1]',
    '[0:0:0:0:0:ffff:7f00:1]',
    '[::127.0.0.1]',
    '[::ffff:0:127.0.0.1]',
    '[64:ff9b::127.0.0.1]',
    '[64:ff9b::7f00:1]',
    '[2002:7f00:1::]',
    '0.0.0.0',
    '0',
    '[::]',
    '169.254.169.254',
    '0xa9fea9fe',
    '[::ffff:169.254.169.254]',
    '[fd00:ec2::254]',
    '100.100.100.200',
    '10.0.0.1',
    '172.16.0.1',
    '192.168.1.1',
    '100.64.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '[ff02::1]',
    '[fe80::1]',
    '[fc00::1]',
    'localhost',
    'localhost.',
    'LOCALHOST',
    'evil.example',
    'evil.example.',
    'metadata.attacker.example',
    'mixed.example',
  ];

  it(`refuses ${SPELLINGS.length} spellings of private, loopback, link-local, metadata, multicast and unspecified targets; nothing connects`, async () => {
    // The attacker's DNS: names answer loopback or metadata; one answers a public and a loopback address.
    const dns = fakeResolver((name) =>
      name.startsWith('metadata.') ? ['169.254.169.254'] : name.startsWith('mixed.') ? ['93.184.216.34', '::ffff:7f00:1'] : ['127.0.0.1'],
    );
    const guard = new AddressGuard([], dns);
    const messages: string[] = [];
    for (const host of SPELLINGS) {
      for (const scheme of ['http', 'https']) messages.push(await refusal(call(`${scheme}://${host}:${lo.port}/hook`, guard)));
    }
    // localhost goes through the real resolver too.
    messages.push(await refusal(call(`http://localhost:${lo.port}/`, new AddressGuard([]))));
    expect(lo.hits).toEqual([]);
    expect(alt.hits).toEqual([]);
    // The message names the rule that refused.
    expect(messages[0]).toMatch(/loopback address \(rule 127\.0\.0\.0\/8\).*ZEROOPS_HTTP_ALLOWLIST/);
    expect(messages[SPELLINGS.indexOf('[::ffff:7f00:1]') * 2]).toMatch(/rule ::ffff:0:0\/96 \(IPv4-mapped\) -> 127\.0\.0\.0\/8/);
    expect(messages[SPELLINGS.indexOf('[64:ff9b::7f00:1]') * 2]).toMatch(/NAT64/);
    expect(messages[SPELLINGS.indexOf('0xa9fea9fe') * 2]).toMatch(/cloud metadata/);
    expect(messages[SPELLINGS.indexOf('evil.example') * 2]).toMatch(/refusing to call evil\.example \(127\.0\.0\.1\)/);
  });

  it('connects when the allowlist names the address, a CIDR or the host; a name never unlocks cloud metadata', async () => {
    const dns = fakeResolver(() => ['127.0.0.1']);
    expect((await call(`http://127.0.0.1:${lo.port}/a`, new AddressGuard(['127.0.0.1'], dns))).status).toBe(200);
    expect((await call(`http://[::ffff:127.0.0.1]:${lo.port}/b`, new AddressGuard(['127.0.0.0/8'], dns))).status).toBe(200);
    expect((await call(`http://ops.internal:${lo.port}/c`, new AddressGuard(['ops.internal'], dns))).status).toBe(200);
    expect((await call(`http://api.svc.cluster.local:${lo.port}/d`, new AddressGuard(['*.svc.cluster.local'], dns))).status).toBe(200);
    expect(lo.hits).toEqual([`127.0.0.1:${lo.port} /a`, `[::ffff:7f00:1]:${lo.port} /b`, `ops.internal:${lo.port} /c`, `api.svc.cluster.local:${lo.port} /d`]);
    // Allowlisting one name does not allow another name with the same address.
    await refusal(call(`http://other.internal:${lo.port}/e`, new AddressGuard(['ops.internal'], dns)));
    const meta = new AddressGuard(
      ['meta.internal'],
      fakeResolver(() => ['169.254.169.254']),
    );
    expect(await refusal(call(`http://meta.internal:${lo.port}/f`, meta))).toMatch(/cloud metadata/);
    expect(lo.hits).toHaveLength(4);
  });

  it('DNS rebinding cannot win: the one answer checked is the address dialled', async () => {
    // First answer: an allowlisted address; every later answer: a forbidden one.
    const dns = fakeResolver((_name, n) => (n === 1 ? ['127.0.0.2'] : ['127.0.0.1']));
    const guard = new AddressGuard(['127.0.0.2'], dns);
    expect((await call(`http://rebind.example:${alt.port}/first`, guard)).status).toBe(200);
    await refusal(call(`http://rebind.example:${lo.port}/second`, guard));
    // One resolution per request: a check-then-connect client would have asked twice and dialled 127.0.0.1.
    expect(dns.calls).toEqual(['rebind.example', 'rebind.example']);
    expect(alt.hits).toEqual([`rebind.example:${alt.port} /first`]);
    expect(lo.hits.filter((h) => h.includes('rebind'))).toEqual([]);
  });

  it('does not follow redirects to a forbidden target', async () => {
    const redirector = createServer((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${lo.port}/redirected` });
      res.end();
    });
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.3', r));
    const port = (redirector.address() as AddressInfo).port;
    await expect(call(`http://127.0.0.3:${port}/`, new AddressGuard(['127.0.0.3']))).rejects.toThrow(/answered 302/);
    expect(lo.hits.filter((h) => h.includes('redirected'))).toEqual([]);
    redirector.close();
  });

  it('rejects malformed allowlist entries and lists the allowlist in force', () => {
    expect(() => new AddressGuard(['10.0.0.0/33'])).toThrow(/ZEROOPS_HTTP_ALLOWLIST entry "10.0.0.0\/33"/);
    expect(() => new AddressGuard(['http://x/'])).toThrow(/ZEROOPS_CONFIG_INVALID|neither a host name/);
    expect(new AddressGuard(['10.0.0.0/8', 'FD00::/8', 'Ops.Internal.', '*.svc.cluster.local']).describe()).toEqual([
      '10.0.0.0/8',
      'fd00::/8',
      'ops.internal',
      '*.svc.cluster.local',
    ]);
    const g = new AddressGuard(['fd00::/8']);
    expect(() => g.check('h', 'fd12::1')).not.toThrow();
    expect(() => g.check('h', 'fc00::1')).toThrow(/unique local/);
    expect(g.literalProblem('127.0.0.1')).toMatch(/loopback/);
    expect(g.literalProblem('api.localhost')).toMatch(/RFC 6761/);
    expect(g.literalProblem('example.com')).toBeUndefined();
  });
});
