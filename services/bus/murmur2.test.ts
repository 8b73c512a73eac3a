import { describe, expect, it } from 'vitest';
import { Partitioners } from './kafkajs.ts';
import { murmur2, partitionForKey } from './murmur2.ts';

const enc = new TextEncoder();

describe('murmur2', () => {
  it("matches the hashes in Apache Kafka's own UtilsTest", () => {
    expect(murmur2(enc.encode('21'))).toBe(-973932308);
    expect(murmur2(enc.encode('foobar'))).toBe(-790332482);
    expect(murmur2(enc.encode('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(enc.encode('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(enc.encode('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(enc.encode('abc'))).toBe(479470107);
  });

  it("places every key on the partition kafkajs' DefaultPartitioner picks", () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 3, 8, 12]) {
      const meta = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
      for (let i = 0; i < 300; i++) {
        const key = `svc-${i}-${'x'.repeat(i % 7)}-é`;
        const theirs = kafkajs({ topic: 't', partitionMetadata: meta, message: { key, value: null } });
        expect(partitionForKey(key, partitions)).toBe(theirs);
      }
    }
  });
});
