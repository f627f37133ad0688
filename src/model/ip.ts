/**
 * IPv4 and CIDR helpers. The policy engine works on IPv4 as unsigned 32-bit integers; IPv6 text is
 * validated (service-tag files and rules contain it) but not evaluated.
 */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Parses dotted-quad IPv4 into an unsigned 32-bit number, or returns -1. */
export function parseIpv4(text: string): number {
  if (!IPV4.test(text)) return -1;
  const p = text.split('.');
  return ((+p[0] << 24) >>> 0) + (+p[1] << 16) + (+p[2] << 8) + +p[3];
}

export function formatIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

/** Loose IPv6 syntax check (8 groups, or `::` compression, optional embedded IPv4). */
export function isIpv6(text: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(':')) return false;
  const dbl = text.split('::');
  if (dbl.length > 2) return false;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const all = [...groups(dbl[0]), ...(dbl.length === 2 ? groups(dbl[1]) : [])];
  let count = 0;
  for (let i = 0; i < all.length; i++) {
    const g = all[i];
    if (i === all.length - 1 && g.includes('.')) {
      if (!isIpv4(g)) return false;
      count += 2;
    } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) count += 1;
    else return false;
  }
  return dbl.length === 2 ? count < 8 : count === 8;
}

/** An IPv4 range [first, last], both inclusive, as unsigned 32-bit numbers. */
export interface Ipv4Range {
  first: number;
  last: number;
}

/** Parses `a.b.c.d` or `a.b.c.d/n` (host bits are masked off, as Azure does for rules). */
export function parseIpv4Cidr(text: string): Ipv4Range | null {
  const slash = text.indexOf('/');
  const ipText = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIpv4(ipText);
  if (ip < 0) return null;
  let bits = 32;
  if (slash >= 0) {
    const b = text.slice(slash + 1);
    if (!/^\d{1,2}$/.test(b) || +b > 32) return null;
    bits = +b;
  }
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const first = (ip & mask) >>> 0;
  const last = (first | (~mask >>> 0)) >>> 0;
  return { first, last };
}

/** True when `text` is an IPv4/IPv6 address or CIDR. */
export function isIpOrCidr(text: string): boolean {
  if (parseIpv4Cidr(text)) return true;
  const slash = text.indexOf('/');
  const ip = slash < 0 ? text : text.slice(0, slash);
  if (!isIpv6(ip)) return false;
  if (slash < 0) return true;
  const b = text.slice(slash + 1);
  return /^\d{1,3}$/.test(b) && +b <= 128;
}

export function isIpv6Text(text: string): boolean {
  const slash = text.indexOf('/');
  return isIpv6(slash < 0 ? text : text.slice(0, slash));
}

/** Strict CIDR for address spaces: host bits must be zero (Azure rejects `10.0.0.1/24` there). */
export function isCanonicalIpv4Cidr(text: string): boolean {
  const r = parseIpv4Cidr(text);
  if (!r || !text.includes('/')) return false;
  return parseIpv4(text.slice(0, text.indexOf('/'))) === r.first;
}

export function rangeContains(outer: Ipv4Range, inner: Ipv4Range): boolean {
  return outer.first <= inner.first && inner.last <= outer.last;
}

export function rangesOverlap(a: Ipv4Range, b: Ipv4Range): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** Sorts and merges overlapping or adjacent ranges. */
export function mergeRanges(ranges: readonly Ipv4Range[]): Ipv4Range[] {
  const sorted = [...ranges].sort((a, b) => a.first - b.first);
  const out: Ipv4Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.first <= last.last + 1) {
      if (r.last > last.last) last.last = r.last;
    } else out.push({ first: r.first, last: r.last });
  }
  return out;
}

/** The complement of `ranges` within 0.0.0.0–255.255.255.255. */
export function complementRanges(ranges: readonly Ipv4Range[]): Ipv4Range[] {
  const merged = mergeRanges(ranges);
  const out: Ipv4Range[] = [];
  let next = 0;
  for (const r of merged) {
    if (r.first > next) out.push({ first: next, last: r.first - 1 });
    next = r.last + 1;
  }
  if (next <= 0xffffffff) out.push({ first: next, last: 0xffffffff });
  return out;
}

/** Parses a port spec: `*`, `80`, `1000-2000`. Returns [lo, hi] or null. */
export function parsePortRange(text: string): [number, number] | null {
  const t = text.trim();
  if (t === '*' || t.toLowerCase() === 'any') return [0, 65535];
  const m = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(t);
  if (!m) return null;
  const lo = +m[1];
  const hi = m[2] === undefined ? lo : +m[2];
  if (lo > 65535 || hi > 65535 || lo > hi) return null;
  return [lo, hi];
}
