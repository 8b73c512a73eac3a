import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { PermanentError } from '../core/errors.ts';
import { embeddedV4, type IpBytes, type IpRange, inRange, parseIp, parseRange, type Restriction, restrictionOf } from './ip-ranges.ts';

/**
 * The resolver the guard asks: the shape of `dns.lookup` with `all: true`.
 * Injectable so tests can answer what an attacker's DNS would.
 */
export type Resolver = (
  hostname: string,
  options: { all: true; family: 0 | 4 | 6 },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/** The `lookup` option of node:net / node:http. */
export type LookupHook = (
  hostname: string,
  options: { family?: number | string; all?: boolean } | number,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

type Entry = { kind: 'range'; range: IpRange } | { kind: 'name'; name: string } | { kind: 'suffix'; suffix: string };

const NAME_RE = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

/** Lower case, without the trailing dot of a fully qualified name. */
const normalizeHost = (host: string): string =>
  host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');

function parseEntry(raw: string): Entry {
  const e = normalizeHost(raw.trim());
  const range = parseRange(e);
  if (range) return { kind: 'range', range };
  if (e.startsWith('*.') && NAME_RE.test(e.slice(2))) return { kind: 'suffix', suffix: e.slice(1) };
  if (NAME_RE.test(e) && !/^[\d.]+$/.test(e)) return { kind: 'name', name: e };
  throw new PermanentError(
    'ZEROOPS_CONFIG_INVALID',
    `ZEROOPS_HTTP_ALLOWLIST entry "${raw}" is neither a host name, a *.suffix, an IP address nor a CIDR (e.g. 10.0.0.0/8, fd00::/8)`,
  );
}

/** Names that are loopback or metadata whatever DNS says (RFC 6761 `localhost`; the GCE metadata name). */
function wellKnownName(host: string): Restriction | null {
  if (host === 'localhost' || host.endsWith('.localhost')) return { rule: 'localhost (RFC 6761)', kind: 'loopback' };
  if (host === 'metadata.google.internal' || host === 'metadata') return { rule: host, kind: 'cloud metadata' };
  return null;
}

/**
 * Decides which addresses http and notify steps may connect to. Public
 * addresses are always allowed. A restricted address (private, loopback,
 * link-local, multicast, unspecified, reserved, cloud metadata) is allowed
 * only when an allowlist entry names it: an IP or CIDR containing it (an
 * IPv4 entry also covers the IPv4-mapped IPv6 form), or the host name that
 * was asked for (exactly, or under a `*.suffix`) — except that a name never
 * unlocks a cloud-metadata address: only an IP or CIDR entry does.
 */
export class AddressGuard {
  private readonly entries: Entry[];
  private readonly resolver: Resolver;

  /** `allowlist` is config.httpAllowlist; throws ZEROOPS_CONFIG_INVALID naming a malformed entry. `resolver` defaults to `dns.lookup`. */
  constructor(allowlist: string[], resolver: Resolver = dnsLookup as unknown as Resolver) {
    this.entries = allowlist.filter((e) => e.trim() !== '').map(parseEntry);
    this.resolver = resolver;
  }

  /** The allowlist in force, for the start-up log. */
  describe(): string[] {
    return this.entries.map((e) => (e.kind === 'range' ? e.range.text : e.kind === 'name' ? e.name : `*${e.suffix}`));
  }

  private allowed(host: string, ip: IpBytes, r: Restriction): boolean {
    const v4 = embeddedV4(ip)?.v4;
    const metadata = r.kind.startsWith('cloud metadata');
    return this.entries.some((e) => {
      if (e.kind === 'range') return inRange(ip, e.range) || (v4 !== undefined && inRange(v4, e.range));
      if (metadata) return false;
      return e.kind === 'name' ? e.name === host : host.endsWith(e.suffix);
    });
  }

  /**
   * Throws a PermanentError `ZEROOPS_TARGET_REFUSED` naming the rule when
   * `address` (what `host` resolved to, or the literal host itself) may not
   * be called. An answer that is not an IP address is refused too.
   */
  check(host: string, address: string): void {
    const name = normalizeHost(host);
    const ip = parseIp(address);
    const r: Restriction | null = ip ? restrictionOf(ip) : { rule: 'not an IP address', kind: 'unusable' };
    if (r === null || (ip && this.allowed(name, ip, r))) return;
    throw new PermanentError(
      'ZEROOPS_TARGET_REFUSED',
      `refusing to call ${host} (${address}): ${r.kind} address (rule ${r.rule}); add the host or address to ZEROOPS_HTTP_ALLOWLIST to allow it`,
    );
  }

  /**
   * What the guard can tell about a URL's host without resolving it (for
   * validate, create and dry-run): the refusal message for an IP literal or
   * a well-known name that is not allowlisted, else undefined. Names are
   * checked again, on their resolved addresses, at call time.
   */
  literalProblem(hostname: string): string | undefined {
    const host = normalizeHost(hostname);
    const ip = parseIp(host);
    if (ip) {
      try {
        this.check(host, host);
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    }
    const known = wellKnownName(host);
    if (!known || this.entries.some((e) => (e.kind === 'name' ? e.name === host : e.kind === 'suffix' && host.endsWith(e.suffix)))) return undefined;
    return `refusing to call ${hostname}: ${known.kind} name (rule ${known.rule}); add it to ZEROOPS_HTTP_ALLOWLIST to allow it`;
  }

  /**
   * The `lookup` hook for node:http: resolves `hostname` once, checks every
   * address of the answer, and hands exactly those addresses to the socket,
   * so the address checked is the address dialled (no DNS rebinding between
   * check and connect). One refused address refuses the whole answer.
   */
  readonly lookup: LookupHook = (hostname, options, callback) => {
    const opts = typeof options === 'number' ? { family: options } : options;
    const fam = opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : Number(opts.family ?? 0);
    this.resolver(hostname, { all: true, family: fam === 4 || fam === 6 ? fam : 0 }, (err, addresses) => {
      if (err) return callback(err, '');
      try {
        if (addresses.length === 0) throw new PermanentError('ZEROOPS_TARGET_REFUSED', `${hostname} resolved to no address`);
        for (const a of addresses) this.check(hostname, a.address);
      } catch (refused) {
        return callback(refused as NodeJS.ErrnoException, '');
      }
      const usable = addresses.map((a) => ({ address: a.address, family: isIP(a.address) }));
      if (opts.all) return callback(null, usable);
      callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}

/** Why an IP address may not be called without an allowlist entry (e.g. `loopback`), or null when it is public. */
export function restrictedKind(address: string): string | null {
  const ip = parseIp(address);
  return ip ? (restrictionOf(ip)?.kind ?? null) : 'not an IP address';
}
