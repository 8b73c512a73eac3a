import { isIP } from 'node:net';

/**
 * IP address parsing and the address ranges outbound steps may not reach
 * without an allowlist entry. Pure code: strings in, verdicts out.
 */

/** An address as its bytes: 4 (IPv4) or 16 (IPv6). */
export type IpBytes = Uint8Array;

/** A range: its bytes, prefix length and what it is. */
export interface IpRange {
  bytes: IpBytes;
  bits: number;
  /** As written, e.g. `127.0.0.0/8`. */
  text: string;
}

/** Why an address is restricted: the rule (range) that matched and its kind. */
export interface Restriction {
  /** e.g. `127.0.0.0/8`, or `::ffff:0:0/96 (IPv4-mapped) -> 127.0.0.0/8`. */
  rule: string;
  /** e.g. `loopback`, `private`, `cloud metadata`. */
  kind: string;
}

/** Parses a canonical dotted-quad IPv4 address (what `net.isIPv4` accepts). */
function parseV4(s: string): IpBytes | undefined {
  if (isIP(s) !== 4) return undefined;
  return Uint8Array.from(s.split('.').map(Number));
}

/** Parses any IPv6 notation (compressed, embedded IPv4, zone id, brackets). */
function parseV6(raw: string): IpBytes | undefined {
  let s = raw.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIP(s) !== 6) return undefined;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s)?.[1];
  if (v4) {
    const b = parseV4(v4);
    if (!b) return undefined;
    s = `${s.slice(0, -v4.length)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const split = (p: string) => (p === '' ? [] : p.split(':'));
  const [head, rest] = s.split('::') as [string, string | undefined];
  const h = split(head);
  const r = rest === undefined ? [] : split(rest);
  const groups = rest === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - r.length)).fill('0'), ...r];
  const words = groups.map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? Number.parseInt(g, 16) : Number.NaN));
  if (words.length !== 8 || words.some((w) => Number.isNaN(w))) return undefined;
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Parses an IPv4 (dotted quad) or IPv6 address; undefined when `s` is not one. */
export function parseIp(s: string): IpBytes | undefined {
  return parseV4(s) ?? parseV6(s);
}

/** Parses `address/bits` (or a bare address: one address) into a range; undefined when malformed. */
export function parseRange(text: string): IpRange | undefined {
  const [addr, bitsRaw, extra] = text.split('/');
  if (addr === undefined || extra !== undefined) return undefined;
  const bytes = parseIp(addr);
  if (!bytes) return undefined;
  const bits = bitsRaw === undefined ? bytes.length * 8 : /^\d{1,3}$/.test(bitsRaw) ? Number(bitsRaw) : Number.NaN;
  if (!(bits >= 0 && bits <= bytes.length * 8)) return undefined;
  return { bytes, bits, text };
}

/** Whether `ip` lies in `range` (same family only). */
export function inRange(ip: IpBytes, range: IpRange): boolean {
  if (ip.length !== range.bytes.length) return false;
  for (let bit = 0; bit < range.bits; bit += 8) {
    const n = Math.min(8, range.bits - bit);
    const mask = (0xff << (8 - n)) & 0xff;
    if (((ip[bit / 8]! ^ range.bytes[bit / 8]!) & mask) !== 0) return false;
  }
  return true;
}

const table = (rows: [string, string][]): [IpRange, string][] => rows.map(([r, kind]) => [parseRange(r)!, kind]);

/** Restricted IPv4 ranges, most specific first (the metadata addresses sit inside broader ranges). */
const V4: [IpRange, string][] = table([
  ['169.254.169.254/32', 'cloud metadata'],
  ['169.254.170.2/32', 'cloud metadata (ECS task)'],
  ['100.100.100.200/32', 'cloud metadata (Alibaba)'],
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'private (carrier-grade NAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved (IETF protocol assignments)'],
  ['192.0.2.0/24', 'reserved (documentation)'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'reserved (benchmarking)'],
  ['198.51.100.0/24', 'reserved (documentation)'],
  ['203.0.113.0/24', 'reserved (documentation)'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
]);

/** Restricted IPv6 ranges that do not embed an IPv4 address. */
const V6: [IpRange, string][] = table([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fd00:ec2::254/128', 'cloud metadata'],
  ['::/96', 'reserved (IPv4-compatible, deprecated)'],
  ['64:ff9b:1::/48', 'private (local-use NAT64)'],
  ['100::/64', 'reserved (discard-only)'],
  ['2001::/32', 'reserved (Teredo)'],
  ['2001:db8::/32', 'reserved (documentation)'],
  ['fc00::/7', 'private (unique local)'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'private (site-local, deprecated)'],
  ['ff00::/8', 'multicast'],
]);

/** IPv6 ranges that carry an IPv4 address: the embedded address decides. */
const EMBEDDING: { range: IpRange; name: string; at: number }[] = [
  { range: parseRange('::ffff:0:0/96')!, name: 'IPv4-mapped', at: 12 },
  { range: parseRange('::ffff:0:0:0/96')!, name: 'IPv4-translated', at: 12 },
  { range: parseRange('64:ff9b::/96')!, name: 'NAT64', at: 12 },
  { range: parseRange('2002::/16')!, name: '6to4', at: 2 },
];

const GLOBAL_UNICAST = parseRange('2000::/3')!;

/** The IPv4 address an IPv6 address embeds (IPv4-mapped, -translated, NAT64, 6to4), with the form's range; undefined if none. */
export function embeddedV4(ip: IpBytes): { v4: IpBytes; via: string } | undefined {
  if (ip.length !== 16) return undefined;
  const e = EMBEDDING.find((x) => inRange(ip, x.range));
  return e ? { v4: ip.slice(e.at, e.at + 4), via: `${e.range.text} (${e.name})` } : undefined;
}

/** Why `ip` may not be called without an allowlist entry, or null when it is a public address. */
export function restrictionOf(ip: IpBytes): Restriction | null {
  if (ip.length === 4) {
    const hit = V4.find(([r]) => inRange(ip, r));
    return hit ? { rule: hit[0].text, kind: hit[1] } : null;
  }
  const embedded = embeddedV4(ip);
  if (embedded) {
    const inner = restrictionOf(embedded.v4);
    return inner ? { rule: `${embedded.via} -> ${inner.rule}`, kind: inner.kind } : null;
  }
  const hit = V6.find(([r]) => inRange(ip, r));
  if (hit) return { rule: hit[0].text, kind: hit[1] };
  // Only 2000::/3 is routable global unicast; anything else is unassigned or special.
  return inRange(ip, GLOBAL_UNICAST) ? null : { rule: 'outside 2000::/3', kind: 'reserved' };
}
