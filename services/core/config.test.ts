import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, SETTINGS } from './config.ts';

describe('loadConfig', () => {
  it('applies documented defaults', () => {
    const c = loadConfig({});
    expect(c.otlpGrpcPort).toBe(4317);
    expect(c.otlpHttpPort).toBe(4318);
    expect(c.apiPort).toBe(8080);
    expect(c.kafkaBrokers).toEqual([]);
    expect(c.databaseUrl).toBe('');
    expect(c.dataDir).toBe('./.zeroops-data');
  });

  it('reads environment variables with their types', () => {
    const c = loadConfig({ ZEROOPS_API_PORT: '9000', KAFKA_BROKERS: 'a:1, b:2', ZEROOPS_WINDOW_SECONDS: '2.5', ZEROOPS_SECRET_SLACK: 'xoxb' });
    expect(c.apiPort).toBe(9000);
    expect(c.kafkaBrokers).toEqual(['a:1', 'b:2']);
    expect(c.windowSeconds).toBe(2.5);
    expect(c.secrets).toEqual({ SLACK: 'xoxb' });
  });

  it('names every invalid setting and what it expects', () => {
    const bad = () => loadConfig({ ZEROOPS_API_PORT: 'eighty', ZEROOPS_LOG_LEVEL: 'loud', ZEROOPS_OTLP_HTTP_PORT: '70000' });
    expect(bad).toThrow(/ZEROOPS_API_PORT: got "eighty", expected an integer from 0 to 65535/);
    expect(bad).toThrow(/ZEROOPS_OTLP_HTTP_PORT: got 70000, expected an integer from 0 to 65535/);
    expect(bad).toThrow(/ZEROOPS_LOG_LEVEL: got "loud", expected one of "fatal"/);
  });

  it('reads a YAML file, with the environment winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeroops-config-'));
    const file = join(dir, 'zeroops.yaml');
    writeFileSync(file, 'apiPort: 7000\notlpHttpPort: 7001\n');
    const c = loadConfig({ ZEROOPS_CONFIG: file, ZEROOPS_OTLP_HTTP_PORT: '7002' });
    expect(c.apiPort).toBe(7000);
    expect(c.otlpHttpPort).toBe(7002);
  });

  it('rejects unknown keys in the file and bad API token roles', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeroops-config-'));
    const file = join(dir, 'zeroops.json');
    writeFileSync(file, JSON.stringify({ apiPrt: 1 }));
    expect(() => loadConfig({ ZEROOPS_CONFIG: file })).toThrow(/unknown setting "apiPrt"/);
    expect(() => loadConfig({ ZEROOPS_API_TOKENS: 'root:abc' })).toThrow(/role viewer, operator or admin/);
  });

  it('every setting is documented in the README', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const s of SETTINGS) expect(readme, `README lacks ${s.env}`).toContain(`\`${s.env}\``);
  });
});
