import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { SlotPool } from '../../../infra/demo/service/slot-pool.ts';
import { observePool } from '../../../infra/demo/service/telemetry.ts';

/** The points of one collection: metric name -> [state or '', value]. */
async function collect(reader: PeriodicExportingMetricReader): Promise<Map<string, Array<[string, number]>>> {
  const { resourceMetrics } = await reader.collect();
  const out = new Map<string, Array<[string, number]>>();
  for (const sm of resourceMetrics.scopeMetrics) {
    for (const m of sm.metrics) {
      out.set(
        m.descriptor.name,
        m.dataPoints.map((p) => [String(p.attributes['db.client.connection.state'] ?? ''), p.value as number]),
      );
    }
  }
  return out;
}

describe('the demo pool as the semantic conventions name a connection pool', () => {
  it('reports used and idle connections, the maximum and the requests waiting for one', async () => {
    const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const pool = new SlotPool(2, 8, 60_000);
    observePool(pool, 'products-db', provider.getMeter('test'));
    const release = await pool.acquire();
    expect(pool.leak()).toBe(true);
    let points = await collect(reader);
    expect(points.get('db.client.connection.count')).toEqual([
      ['used', 2],
      ['idle', 0],
    ]);
    expect(points.get('db.client.connection.max')).toEqual([['', 2]]);
    expect(points.get('db.client.connection.pending_requests')).toEqual([['', 0]]);
    // Exhausted: the next two requests wait for a connection.
    const waiting = [pool.acquire(), pool.acquire()];
    points = await collect(reader);
    expect(points.get('db.client.connection.pending_requests')).toEqual([['', 2]]);
    if (typeof release === 'function') release();
    points = await collect(reader);
    expect(points.get('db.client.connection.pending_requests')).toEqual([['', 1]]);
    const granted = await waiting[0];
    if (typeof granted === 'function') granted();
    await provider.shutdown();
  });
});
