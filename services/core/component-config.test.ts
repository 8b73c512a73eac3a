import { describe, expect, expectTypeOf, it } from 'vitest';
import { API_CONFIG_KEYS, COLLECTOR_CONFIG_KEYS, type CollectorConfig, configFor, DETECTOR_CONFIG_KEYS, EXECUTOR_CONFIG_KEYS } from './component-config.ts';
import { type Config, loadConfig, SETTINGS } from './config.ts';

describe('Config derived from the settings table', () => {
  it('has one field per setting, typed by its schema', () => {
    const config = loadConfig({});
    expect(Object.keys(config).sort()).toEqual([...SETTINGS.map((s) => s.key), 'secrets'].sort());
    expectTypeOf<Config['otlpGrpcPort']>().toEqualTypeOf<number>();
    expectTypeOf<Config['kafkaBrokers']>().toEqualTypeOf<string[]>();
    expectTypeOf<Config['detectorNeural']>().toEqualTypeOf<boolean>();
    expectTypeOf<Config['logFormat']>().toEqualTypeOf<'auto' | 'pretty' | 'json'>();
    expectTypeOf<Config['retentionAuditDays']>().toEqualTypeOf<number>();
  });

  it('gives each component exactly the settings it declares', () => {
    const config = loadConfig({ ZEROOPS_OTLP_GRPC_PORT: '0', ZEROOPS_SECRET_TOKEN: 's3' });
    const collector: CollectorConfig = configFor(config, COLLECTOR_CONFIG_KEYS);
    expect(Object.keys(collector).sort()).toEqual([...COLLECTOR_CONFIG_KEYS].sort());
    expect(collector.otlpGrpcPort).toBe(0);
    expect(configFor(config, EXECUTOR_CONFIG_KEYS).secrets).toEqual({ TOKEN: 's3' });
    expect('secrets' in configFor(config, DETECTOR_CONFIG_KEYS)).toBe(false);
    // Every declared key is a real setting.
    const known = new Set<string>([...SETTINGS.map((s) => s.key), 'secrets']);
    for (const k of [...COLLECTOR_CONFIG_KEYS, ...DETECTOR_CONFIG_KEYS, ...EXECUTOR_CONFIG_KEYS, ...API_CONFIG_KEYS]) expect(known.has(k), k).toBe(true);
  });
});
