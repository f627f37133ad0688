/**
 * Longest-prefix matching for IPv4 and IPv6, used for service tags, threat lists, sites and
 * topology ranges. One hash map per prefix length: a lookup costs at most 33 (IPv4) or 129
 * (IPv6) map probes and is done once per distinct address of a batch, not per tuple.
 */
import { parseIpv4 } from '../model/ip.js';

export type ParsedIp = { v: 4; n: number } | { v: 6; n: bigint };

export function parseIpv6(text: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(':')) return null;
  let head = text;
  let tailV4: number | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) > 0) {
    tailV4 = parseIpv4(text.slice(lastColon + 1));
    if (tailV4 < 0) return null;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let n = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  if (tailV4 !== null) n = (n & ~0xffffffffn) | BigInt(tailV4);
  return n;
}

export function parseIp(text: string): ParsedIp | null {
  const v4 = parseIpv4(text);
  if (v4 >= 0) return { v: 4, n: v4 };
  const v6 = parseIpv6(text);
  return v6 === null ? null : { v: 6, n: v6 };
}

export interface ParsedPrefix {
  ip: ParsedIp;
  bits: number;
}

/** `a.b.c.d/n`, `a.b.c.d`, `x::y/n`, `x::y`; null when malformed. Host bits are ignored. */
export function parsePrefix(text: string): ParsedPrefix | null {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return null;
  const max = ip.v === 4 ? 32 : 128;
  if (slash < 0) return { ip, bits: max };
  const b = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(b) || Number(b) > max) return null;
  return { ip, bits: Number(b) };
}

function v4Key(n: number, bits: number): number {
  return bits === 0 ? 0 : (n >>> (32 - bits)) >>> 0;
}

function v6Key(n: bigint, bits: number): string {
  return bits === 0 ? '0' : (n >> BigInt(128 - bits)).toString(16);
}

export interface PrefixTable<T> {
  add(prefix: ParsedPrefix, value: T): void;
  /** Longest match, or undefined. */
  lookup(ip: ParsedIp): T | undefined;
  readonly size: number;
}

export function createPrefixTable<T>(): PrefixTable<T> {
  const v4 = new Map<number, Map<number, T>>();
  const v6 = new Map<number, Map<string, T>>();
  let v4Lengths: number[] = [];
  let v6Lengths: number[] = [];
  let size = 0;
  return {
    add(prefix, value) {
      if (prefix.ip.v === 4) {
        let m = v4.get(prefix.bits);
        if (!m) {
          v4.set(prefix.bits, (m = new Map()));
          v4Lengths = [...v4.keys()].sort((a, b) => b - a);
        }
        const k = v4Key(prefix.ip.n, prefix.bits);
        if (!m.has(k)) size++;
        if (!m.has(k)) m.set(k, value);
      } else {
        let m = v6.get(prefix.bits);
        if (!m) {
          v6.set(prefix.bits, (m = new Map()));
          v6Lengths = [...v6.keys()].sort((a, b) => b - a);
        }
        const k = v6Key(prefix.ip.n, prefix.bits);
        if (!m.has(k)) size++;
        if (!m.has(k)) m.set(k, value);
      }
    },
    lookup(ip) {
      if (ip.v === 4) {
        for (const bits of v4Lengths) {
          const hit = v4.get(bits)!.get(v4Key(ip.n, bits));
          if (hit !== undefined) return hit;
        }
      } else {
        for (const bits of v6Lengths) {
          const hit = v6.get(bits)!.get(v6Key(ip.n, bits));
          if (hit !== undefined) return hit;
        }
      }
      return undefined;
    },
    get size() {
      return size;
    },
  };
}

const RFC1918 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((p) => parsePrefix(p)!);
/**
 * Not RFC 1918 but not routable on the internet either; counted as "Unknown Private" when the
 * topology does not know them (UNCONFIRMED in the spec; a choice, see docs/tables.md).
 */
const OTHER_PRIVATE = ['100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8', '0.0.0.0/8', 'fc00::/7', 'fe80::/10', '::1/128'].map(
  (p) => parsePrefix(p)!,
);

function within(ip: ParsedIp, p: ParsedPrefix): boolean {
  if (ip.v !== p.ip.v) return false;
  if (ip.v === 4) return v4Key(ip.n, p.bits) === v4Key((p.ip as { n: number }).n, p.bits);
  return v6Key(ip.n, p.bits) === v6Key((p.ip as { n: bigint }).n, p.bits);
}

export function isRfc1918(ip: ParsedIp): boolean {
  return RFC1918.some((p) => within(ip, p));
}

export function isPrivateAddress(ip: ParsedIp, includeSpecialRanges: boolean): boolean {
  return isRfc1918(ip) || (includeSpecialRanges && OTHER_PRIVATE.some((p) => within(ip, p)));
}
