/**
 * Bit-vector packet classification: each rule list is compiled once into, per dimension (source
 * IP, destination IP, source port, destination port, protocol), a sorted array of interval
 * starts and one bitset of matching rules per interval. A lookup is four binary searches, an AND
 * of a few 32-bit words, and a count-trailing-zeros: no strings, no allocation. Rules are ordered
 * by priority, so the lowest set bit is the winning rule.
 */

/** [first, last] inclusive ranges as flat pairs: [f0, l0, f1, l1, ...]. */
export type FlatRanges = number[];

export interface Dimension {
  /** Interval starts, ascending; `starts[0] === 0`. */
  starts: Uint32Array;
  /** intervals × words bitsets. */
  bits: Int32Array;
  /**
   * Jump table over the top bits of the value: `jump[v >>> shift]` is the interval holding the
   * first value of that block, so a lookup only searches inside one block (usually 0–2 steps).
   */
  jump: Uint16Array | Uint32Array;
  shift: number;
}

/**
 * A compiled rule list. All arrays live in one buffer (`u32`/`i32` views of the same memory) so
 * a lookup touches few cache lines and dereferences no per-dimension objects; the `*Off` fields
 * are word offsets into it.
 */
export interface Classifier {
  /** Number of rules. */
  size: number;
  /** 32-bit words per bitset. */
  words: number;
  u32: Uint32Array;
  i32: Int32Array;
  // Per dimension: jump table (257 words), interval starts (count words), bitsets (count × words).
  sipJump: number; sipStarts: number; sipCount: number; sipBits: number;
  dipJump: number; dipStarts: number; dipCount: number; dipBits: number;
  sptJump: number; sptStarts: number; sptCount: number; sptBits: number;
  dptJump: number; dptStarts: number; dptCount: number; dptBits: number;
  /** 6 protocol slots × words (see `protocolSlot`). */
  protoBits: number;
  /** Bit position → global rule index. */
  ruleIds: number;
  /** The dimensions before packing (for inspection and tests). */
  dimensions: { srcIp: Dimension; dstIp: Dimension; srcPort: Dimension; dstPort: Dimension };
}

export interface ClassifierRule {
  ruleId: number;
  srcIp: FlatRanges;
  dstIp: FlatRanges;
  srcPort: FlatRanges;
  dstPort: FlatRanges;
  /** Bit mask over protocol slots. */
  protocolMask: number;
}

/** TCP 0, UDP 1, ICMP 2, ESP 3, AH 4, anything else 5. */
export function protocolSlot(ianaProtocol: number): number {
  switch (ianaProtocol) {
    case 6:
      return 0;
    case 17:
      return 1;
    case 1:
      return 2;
    case 50:
      return 3;
    case 51:
      return 4;
    default:
      return 5;
  }
}
export const ALL_PROTOCOLS_MASK = 0b111111;

function upperBound(starts: ArrayLike<number>, v: number): number {
  // index of the last start <= v
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid] <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function buildDimension(rules: readonly ClassifierRule[], pick: (r: ClassifierRule) => FlatRanges, max: number, words: number): Dimension {
  const dim = buildIntervals(rules, pick, max, words);
  // 256 blocks (first octet for IPs, high byte for ports): small enough to stay in cache with
  // hundreds of classifiers, which matters more than saving a few search steps.
  const shift = max > 0xffff ? 24 : 8;
  const blocks = 256;
  const jump = dim.starts.length <= 0xffff ? new Uint16Array(blocks + 1) : new Uint32Array(blocks + 1);
  for (let b = 0; b < blocks; b++) jump[b] = upperBound(dim.starts, b * 2 ** shift);
  jump[blocks] = dim.starts.length - 1;
  return { ...dim, jump, shift };
}

function buildIntervals(
  rules: readonly ClassifierRule[],
  pick: (r: ClassifierRule) => FlatRanges,
  max: number,
  words: number,
): { starts: Uint32Array; bits: Int32Array } {
  const points = new Set<number>([0]);
  for (const r of rules) {
    const f = pick(r);
    for (let i = 0; i < f.length; i += 2) {
      points.add(f[i]);
      if (f[i + 1] + 1 <= max) points.add(f[i + 1] + 1);
    }
  }
  const sorted = [...points].sort((a, b) => a - b);
  const starts = new Uint32Array(sorted);
  const bits = new Int32Array(sorted.length * words);
  rules.forEach((r, bit) => {
    const f = pick(r);
    const word = bit >>> 5;
    const mask = 1 << (bit & 31);
    for (let i = 0; i < f.length; i += 2) {
      const from = upperBound(starts, f[i]);
      const to = upperBound(starts, f[i + 1]);
      for (let k = from; k <= to; k++) bits[k * words + word] |= mask;
    }
  });
  return { starts, bits };
}

export function buildClassifier(rules: readonly ClassifierRule[]): Classifier {
  const words = Math.max(1, Math.ceil(rules.length / 32));
  const protocol = new Int32Array(6 * words);
  rules.forEach((r, bit) => {
    for (let k = 0; k < 6; k++) if (r.protocolMask & (1 << k)) protocol[k * words + (bit >>> 5)] |= 1 << (bit & 31);
  });
  const dims = {
    srcIp: buildDimension(rules, (r) => r.srcIp, 0xffffffff, words),
    dstIp: buildDimension(rules, (r) => r.dstIp, 0xffffffff, words),
    srcPort: buildDimension(rules, (r) => r.srcPort, 0xffff, words),
    dstPort: buildDimension(rules, (r) => r.dstPort, 0xffff, words),
  };
  const order = [dims.srcIp, dims.dstIp, dims.srcPort, dims.dstPort];
  let total = 6 * words + rules.length;
  for (const d of order) total += 257 + d.starts.length + d.bits.length;
  const buffer = new ArrayBuffer(total * 4);
  const u32 = new Uint32Array(buffer);
  const i32 = new Int32Array(buffer);
  let at = 0;
  const offs: number[] = [];
  for (const d of order) {
    offs.push(at);
    u32.set(d.jump, at);
    at += 257;
    offs.push(at);
    u32.set(d.starts, at);
    at += d.starts.length;
    offs.push(d.starts.length);
    offs.push(at);
    i32.set(d.bits, at);
    at += d.bits.length;
  }
  const protoBits = at;
  i32.set(protocol, at);
  at += protocol.length;
  const ruleIds = at;
  i32.set(rules.map((r) => r.ruleId), at);
  return {
    size: rules.length,
    words,
    u32,
    i32,
    sipJump: offs[0], sipStarts: offs[1], sipCount: offs[2], sipBits: offs[3],
    dipJump: offs[4], dipStarts: offs[5], dipCount: offs[6], dipBits: offs[7],
    sptJump: offs[8], sptStarts: offs[9], sptCount: offs[10], sptBits: offs[11],
    dptJump: offs[12], dptStarts: offs[13], dptCount: offs[14], dptBits: offs[15],
    protoBits,
    ruleIds,
    dimensions: dims,
  };
}

/** Index of the interval holding `v`: jump to its block, then binary-search inside the block. */
function locate(u: Uint32Array, jump: number, starts: number, count: number, v: number, shift: number): number {
  if (count === 1) return 0;
  const block = v >>> shift;
  let lo = u[jump + block];
  let hi = u[jump + block + 1];
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (u[starts + mid] <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Global rule index of the highest-priority matching rule, or -1. */
export function classify(c: Classifier, srcIp: number, dstIp: number, srcPort: number, dstPort: number, slot: number): number {
  const w = c.words;
  const u = c.u32;
  const I = c.i32;
  const a = c.sipBits + locate(u, c.sipJump, c.sipStarts, c.sipCount, srcIp, 24) * w;
  const b = c.dipBits + locate(u, c.dipJump, c.dipStarts, c.dipCount, dstIp, 24) * w;
  const p = c.sptBits + locate(u, c.sptJump, c.sptStarts, c.sptCount, srcPort, 8) * w;
  const q = c.dptBits + locate(u, c.dptJump, c.dptStarts, c.dptCount, dstPort, 8) * w;
  const r = c.protoBits + slot * w;
  for (let i = 0; i < w; i++) {
    const x = I[a + i] & I[b + i] & I[p + i] & I[q + i] & I[r + i];
    if (x !== 0) return I[c.ruleIds + (i << 5) + 31 - Math.clz32(x & -x)];
  }
  return -1;
}
