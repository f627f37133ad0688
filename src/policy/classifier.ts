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
  starts: Uint32Array | Float64Array;
  /** intervals × words bitsets. */
  bits: Int32Array;
}

export interface Classifier {
  /** Number of rules. */
  size: number;
  /** 32-bit words per bitset. */
  words: number;
  srcIp: Dimension;
  dstIp: Dimension;
  srcPort: Dimension;
  dstPort: Dimension;
  /** 6 protocol slots × words (see `protocolSlot`). */
  protocol: Int32Array;
  /** Bit position → global rule index. */
  ruleIds: Int32Array;
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
  const points = new Set<number>([0]);
  for (const r of rules) {
    const f = pick(r);
    for (let i = 0; i < f.length; i += 2) {
      points.add(f[i]);
      if (f[i + 1] + 1 <= max) points.add(f[i + 1] + 1);
    }
  }
  const sorted = [...points].sort((a, b) => a - b);
  const starts = max > 0xffff ? new Float64Array(sorted) : new Uint32Array(sorted);
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
    for (let s = 0; s < 6; s++) if (r.protocolMask & (1 << s)) protocol[s * words + (bit >>> 5)] |= 1 << (bit & 31);
  });
  return {
    size: rules.length,
    words,
    srcIp: buildDimension(rules, (r) => r.srcIp, 0xffffffff, words),
    dstIp: buildDimension(rules, (r) => r.dstIp, 0xffffffff, words),
    srcPort: buildDimension(rules, (r) => r.srcPort, 0xffff, words),
    dstPort: buildDimension(rules, (r) => r.dstPort, 0xffff, words),
    protocol,
    ruleIds: Int32Array.from(rules.map((r) => r.ruleId)),
  };
}

function locate(d: Dimension, v: number): number {
  const s = d.starts;
  let hi = s.length - 1;
  if (hi === 0) return 0;
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (s[mid] <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Global rule index of the highest-priority matching rule, or -1. */
export function classify(c: Classifier, srcIp: number, dstIp: number, srcPort: number, dstPort: number, slot: number): number {
  const w = c.words;
  const a = locate(c.srcIp, srcIp) * w;
  const b = locate(c.dstIp, dstIp) * w;
  const p = locate(c.srcPort, srcPort) * w;
  const q = locate(c.dstPort, dstPort) * w;
  const r = slot * w;
  const A = c.srcIp.bits;
  const B = c.dstIp.bits;
  const P = c.srcPort.bits;
  const Q = c.dstPort.bits;
  const R = c.protocol;
  for (let i = 0; i < w; i++) {
    const x = A[a + i] & B[b + i] & P[p + i] & Q[q + i] & R[r + i];
    if (x !== 0) return c.ruleIds[(i << 5) + 31 - Math.clz32(x & -x)];
  }
  return -1;
}
