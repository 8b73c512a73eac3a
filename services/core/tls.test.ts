import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { loadTls } from './tls.ts';

describe('TLS settings', () => {
  it('are off by default, and must come as a pair, with a client CA only beside them', () => {
    expect(loadTls(loadConfig({}), 'ingest')).toBeUndefined();
    expect(() => loadConfig({ ZEROOPS_TLS_CERT_FILE: '/x.pem' })).toThrow(/ZEROOPS_TLS_CERT_FILE and ZEROOPS_TLS_KEY_FILE must be set together/);
    expect(() => loadConfig({ ZEROOPS_TLS_KEY_FILE: '/x.key' })).toThrow(/must be set together/);
    expect(() => loadConfig({ ZEROOPS_TLS_CLIENT_CA_FILE: '/ca.pem' })).toThrow(/ZEROOPS_TLS_CLIENT_CA_FILE needs TLS/);
  });

  it('reads PEM files; the client CA only for ingest; a missing or non-PEM file names its setting', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeroops-tls-unit-'));
    const pem = (name: string, label: string): string => {
      const p = join(dir, name);
      writeFileSync(p, `-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`);
      return p;
    };
    const env = {
      ZEROOPS_TLS_CERT_FILE: pem('c.pem', 'CERTIFICATE'),
      ZEROOPS_TLS_KEY_FILE: pem('k.pem', 'PRIVATE KEY'),
      ZEROOPS_TLS_CLIENT_CA_FILE: pem('ca.pem', 'CERTIFICATE'),
    };
    const ingest = loadTls(loadConfig(env), 'ingest');
    expect(ingest?.cert.toString()).toContain('BEGIN CERTIFICATE');
    expect(ingest?.key.toString()).toContain('BEGIN PRIVATE KEY');
    expect(ingest?.ca).toBeDefined();
    expect(loadTls(loadConfig(env), 'api')?.ca).toBeUndefined();
    expect(() => loadTls(loadConfig({ ...env, ZEROOPS_TLS_KEY_FILE: join(dir, 'none.key') }), 'api')).toThrow(/ZEROOPS_TLS_KEY_FILE: cannot read .*none\.key/);
    writeFileSync(join(dir, 'der.crt'), Buffer.from([0x30, 0x82, 0x01, 0x0a]));
    expect(() => loadTls(loadConfig({ ...env, ZEROOPS_TLS_CERT_FILE: join(dir, 'der.crt') }), 'api')).toThrow(/ZEROOPS_TLS_CERT_FILE: .*holds no PEM block/);
  });
});
