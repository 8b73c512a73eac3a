import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { PermanentError } from '../../core/errors.ts';

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function inCidr4(ip: string, cidr: string): boolean {
  const [base, bitsRaw] = cidr.split('/');
  const bits = bitsRaw === undefined ? 32 : Number(bitsRaw);
  if (!base || isIP(base) !== 4 || !(bits >= 0 && bits <= 32)) return false;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (v4ToInt(ip) & mask) >>> 0 === (v4ToInt(base) & mask) >>> 0;
}

const BLOCKED_V4: [string, string][] = [
  ['0.0.0.0/8', 'unspecified'],
  ['127.0.0.0/8', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['100.64.0.0/10', 'private (carrier-grade NAT)'],
  ['169.254.0.0/16', 'link-local'],
];

/** Why an IP address may not be called without an allowlist entry, or null when it is public. */
export function restrictedKind(ip: string): string | null {
  const fam = isIP(ip);
  if (fam === 4) return BLOCKED_V4.find(([c]) => inCidr4(ip, c))?.[1] ?? null;
  if (fam !== 6) return 'not an IP address';
  const low = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(low);
  if (mapped?.[1]) return restrictedKind(mapped[1]);
  if (low === '::1') return 'loopback';
  if (low === '::') return 'unspecified';
  if (/^f[cd][0-9a-f]{0,2}:/.test(low)) return 'private';
  if (/^fe[89ab][0-9a-f]?:/.test(low)) return 'link-local';
  return null;
}

/**
 * Decides which targets http and notify steps may reach: public addresses,
 * plus hosts and IPv4 CIDRs named in the allowlist (config.httpAllowlist).
 */
export class AddressGuard {
  private readonly entries: string[];

  constructor(allowlist: string[]) {
    this.entries = allowlist.map((e) => e.trim().toLowerCase()).filter((e) => e.length > 0);
  }

  private allowed(host: string, ip: string): boolean {
    return this.entries.some((e) => e === host.toLowerCase() || e === ip.toLowerCase() || (isIP(ip) === 4 && e.includes('/') && inCidr4(ip, e)));
  }

  /** Throws a PermanentError `ZEROOPS_TARGET_REFUSED` when `ip` (resolved from `host`) is restricted and not allowlisted. */
  check(host: string, ip: string): void {
    const kind = restrictedKind(ip);
    if (kind !== null && !this.allowed(host, ip)) {
      throw new PermanentError('ZEROOPS_TARGET_REFUSED', `refusing to call ${host} (${ip}): ${kind} address; add it to ZEROOPS_HTTP_ALLOWLIST to allow it`);
    }
  }

  /**
   * A `lookup` for node:http that resolves the host and refuses restricted
   * addresses, so the address checked is the address connected to (no DNS
   * rebinding between check and connect).
   */
  readonly lookup = (
    hostname: string,
    options: { family?: number | string; all?: boolean } | number,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    const opts = typeof options === 'number' ? { family: options } : options;
    dnsLookup(hostname, { all: true, family: Number(opts.family ?? 0) as 0 | 4 | 6 }, (err, addresses) => {
      if (err) return callback(err, '');
      try {
        for (const a of addresses) this.check(hostname, a.address);
      } catch (refused) {
        return callback(refused as NodeJS.ErrnoException, '');
      }
      const first = addresses[0];
      if (!first) return callback(new Error(`${hostname} has no address`) as NodeJS.ErrnoException, '');
      if (opts.all) return callback(null, addresses);
      callback(null, first.address, first.family);
    });
  };
}
