/**
 * A synthetic fleet for the detector benchmark: per-service feature windows
 * with a daily traffic cycle, noise from a seeded RNG, and injected anomalies
 * (error bursts, latency spikes, traffic drops, error-log floods, and
 * correlation breaks) whose positions are known, so that precision and
 * recall can be computed. CPU follows the request rate closely (about 1%
 * noise around rate x cost); a correlation break raises CPU by 15% at an
 * unchanged rate: every feature stays within its own normal range (the
 * per-feature floors are 10%), so only the multivariate model can see it.
 */

import type { FeatureVector } from '../../../models/fleet/index.ts';
import { createRng, type Rng } from '../../../models/stats/index.ts';

/** One injected anomaly: windows [from, to) of service `service`. */
export interface Injected {
  service: number;
  from: number;
  to: number;
  kind: 'errors' | 'latency' | 'traffic' | 'logs' | 'correlation';
}

interface Profile {
  rate: number;
  errors: number;
  latency: number;
  logs: number;
  cpu: number;
}

/** The fleet: `n` services with their own levels, deterministic from `seed`. */
export class SyntheticFleet {
  private readonly rng: Rng;
  private readonly profiles: Profile[];
  private readonly active = new Map<number, Injected[]>();
  readonly injected: Injected[] = [];

  constructor(
    readonly n: number,
    seed: number,
  ) {
    this.rng = createRng(seed);
    this.profiles = Array.from({ length: n }, () => ({
      rate: 5 + this.rng.next() * 200,
      errors: this.rng.next() * 0.02,
      latency: 10 + this.rng.next() * 300,
      logs: this.rng.next() * 5,
      cpu: 0.1 + this.rng.next() * 0.5,
    }));
  }

  /**
   * Plans injections: `share` of the services get one, starting in
   * [from, to - 8), lasting 3-6 windows. May be called for several periods
   * (a service may then have one in each); returns this call's injections.
   */
  inject(share: number, from: number, to: number): Injected[] {
    const planned: Injected[] = [];
    const kinds: Injected['kind'][] = ['errors', 'latency', 'traffic', 'logs', 'correlation'];
    for (let s = 0; s < this.n; s++) {
      if (this.rng.next() >= share) continue;
      const start = from + Math.floor(this.rng.next() * (to - from - 8));
      const inj: Injected = {
        service: s,
        from: start,
        to: start + 3 + Math.floor(this.rng.next() * 4),
        kind: kinds[Math.floor(this.rng.next() * kinds.length)] as Injected['kind'],
      };
      planned.push(inj);
      this.injected.push(inj);
      this.active.set(s, [...(this.active.get(s) ?? []), inj]);
    }
    return planned;
  }

  private noise(scale: number): number {
    return (this.rng.next() + this.rng.next() + this.rng.next() - 1.5) * scale;
  }

  /** Features of service `s` in window `w` ending at `endMs`. */
  features(s: number, w: number, endMs: number): FeatureVector {
    const p = this.profiles[s] as Profile;
    const on = this.active.get(s)?.find((i) => w >= i.from && w < i.to)?.kind;
    const day = 1 + 0.3 * Math.sin((2 * Math.PI * endMs) / 86_400_000);
    const rate = Math.max(0, p.rate * day * (1 + this.noise(0.1)) * (on === 'traffic' ? 0.25 : 1));
    const errors = Math.min(1, Math.max(0, p.errors + this.noise(0.01)) + (on === 'errors' ? 0.2 + 0.2 * this.rng.next() : 0));
    const lat = p.latency * (1 + this.noise(0.1)) * (on === 'latency' ? 4 : 1);
    return {
      request_rate: rate,
      error_ratio: errors,
      latency_p50_ms: lat * 0.6,
      latency_p95_ms: lat,
      latency_p99_ms: lat * 1.4,
      log_info_rate: Math.max(0, p.logs * (1 + this.noise(0.2))),
      log_error_rate: Math.max(0, p.logs * 0.05 * (1 + this.noise(0.3))) + (on === 'logs' ? 5 + p.logs : 0),
      'metric:cpu': Math.max(0, ((p.cpu * rate) / p.rate) * (1 + this.noise(0.02)) * (on === 'correlation' ? 1.15 : 1)),
      'metric:http.requests:rate': rate,
    };
  }
}
