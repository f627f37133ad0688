/**
 * Tuple scanners: parse one flow-tuple string straight from the JSON bytes into row `r` of a
 * `FlowBatch`, starting just after the string's opening quote. They return the index after the
 * closing quote, or -1 with `tupleFailure` describing the first bad field. A failure at or past
 * the end of the buffer means "need more bytes", not bad data; the caller decides.
 *
 * Normalisation (azure-flowlogs-spec.md §1.4, §1.7, §2.2):
 * - timestamps below 1e11 are seconds (10 digits) and become ms; larger values are ms already.
 *   (11–12 digit values are ambiguous in the spec; this threshold reads them as seconds up to
 *   year 5138 and as ms from 1973 on, so real data of either unit is read right.)
 * - NSG protocol `T`/`U` → 6/17; a decimal protocol number is accepted too.
 * - VNet decision is derived: state `D` ⇒ deny, anything else ⇒ allow.
 * - An empty counter is NaN (absent); `0` stays 0.
 */
import { FNV_OFFSET, FNV_PRIME, idOfBytes, refOfBytes, refOfId, type ByteCache } from './intern.js';
import type { FlowBatch } from './flowbatch.js';

const COMMA = 0x2c;
const QUOTE = 0x22;

/** 1 for bytes allowed in an IP address field (hex digits, `.`, `:`). */
const IP_CHAR = new Uint8Array(256);
for (const ch of '0123456789abcdefABCDEF.:') IP_CHAR[ch.charCodeAt(0)] = 1;
/** 1 for bytes allowed in an encryption value (`NX_HW_NOT_SUPPORTED` and the like). */
const WORD_CHAR = new Uint8Array(256);
for (const ch of '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_') {
  WORD_CHAR[ch.charCodeAt(0)] = 1;
}

/** Flag bit on cache ids that are documented encryption values. */
export const KNOWN_ENCRYPTION_FLAG = 1;
/** Flag bit on cache ids whose known-ness has been computed. */
export const CHECKED_FLAG = 2;

export interface TupleFailure {
  /** 0-based index of the bad field; equal to the arity when there are too many fields. */
  field: number;
  /** Buffer index where scanning stopped. */
  offset: number;
}

export const tupleFailure: TupleFailure = { field: 0, offset: 0 };

function fail(field: number, offset: number): number {
  tupleFailure.field = field;
  tupleFailure.offset = offset;
  return -1;
}

/** Encryption cache id of the last VNet tuple parsed (for unknown-value counting). */
export let lastEncryptionId = -1;

export function parseVnetTuple(b: Uint8Array, p: number, batch: FlowBatch, r: number, cache: ByteCache): number {
  // 0: timestamp
  let s = p;
  let v = 0;
  let c = b[p];
  while (c >= 48 && c <= 57) {
    v = v * 10 + (c - 48);
    c = b[++p];
  }
  if (c !== COMMA || p === s || p - s > 16) return fail(0, p);
  batch.time_ms[r] = v < 1e11 ? v * 1000 : v;
  // 1: source IP
  s = ++p;
  let h = FNV_OFFSET;
  c = b[p];
  while (IP_CHAR[c] === 1) {
    h = Math.imul(h ^ c, FNV_PRIME);
    c = b[++p];
  }
  if (c !== COMMA || p === s) return fail(1, p);
  batch.src_ip[r] = refOfBytes(cache, b, s, p, h);
  // 2: destination IP
  s = ++p;
  h = FNV_OFFSET;
  c = b[p];
  while (IP_CHAR[c] === 1) {
    h = Math.imul(h ^ c, FNV_PRIME);
    c = b[++p];
  }
  if (c !== COMMA || p === s) return fail(2, p);
  batch.dst_ip[r] = refOfBytes(cache, b, s, p, h);
  // 3: source port
  s = ++p;
  v = 0;
  c = b[p];
  while (c >= 48 && c <= 57) {
    v = v * 10 + (c - 48);
    c = b[++p];
  }
  if (c !== COMMA || p === s || p - s > 5 || v > 65535) return fail(3, p);
  batch.src_port[r] = v;
  // 4: destination port
  s = ++p;
  v = 0;
  c = b[p];
  while (c >= 48 && c <= 57) {
    v = v * 10 + (c - 48);
    c = b[++p];
  }
  if (c !== COMMA || p === s || p - s > 5 || v > 65535) return fail(4, p);
  batch.dst_port[r] = v;
  // 5: protocol (IANA number)
  s = ++p;
  v = 0;
  c = b[p];
  while (c >= 48 && c <= 57) {
    v = v * 10 + (c - 48);
    c = b[++p];
  }
  if (c !== COMMA || p === s || p - s > 3 || v > 255) return fail(5, p);
  batch.protocol[r] = v;
  // 6: direction
  c = b[++p];
  if (c === 0x49) batch.direction[r] = 0;
  else if (c === 0x4f) batch.direction[r] = 1;
  else return fail(6, p);
  if (b[++p] !== COMMA) return fail(6, p);
  // 7: state; decision derived from it
  c = b[++p];
  if (c === 0x42) batch.state[r] = 1;
  else if (c === 0x43) batch.state[r] = 2;
  else if (c === 0x45) batch.state[r] = 3;
  else if (c === 0x44) batch.state[r] = 4;
  else return fail(7, p);
  batch.decision[r] = c === 0x44 ? 1 : 0;
  if (b[++p] !== COMMA) return fail(7, p);
  // 8: encryption
  s = ++p;
  h = FNV_OFFSET;
  c = b[p];
  while (WORD_CHAR[c] === 1) {
    h = Math.imul(h ^ c, FNV_PRIME);
    c = b[++p];
  }
  if (c !== COMMA || p === s) return fail(8, p);
  const encId = idOfBytes(cache, b, s, p, h);
  lastEncryptionId = encId;
  batch.encryption[r] = refOfId(cache, encId);
  // 9–12: counters, empty ⇒ NaN
  return parseCounters(b, p, batch, r, 9);
}

/** Parses the 4 counters after the comma at `p`; `first` is the index of the first counter field. */
function parseCounters(b: Uint8Array, p: number, batch: FlowBatch, r: number, first: number): number {
  let s = ++p;
  let v = 0;
  let c = b[p];
  while (c >= 48 && c <= 57) {
    v = v * 10 + (c - 48);
    c = b[++p];
  }
  if (c !== COMMA || p - s > 16) return fail(first, p);
  batch.packets_s2d[r] = p === s ? NaN : v;
  s = ++p;
  v = 0;
  c = b[p];
  while (c >= 48 && c <= 57) {
    v = v * 10 + (c - 48);
    c = b[++p];
  }
  if (c !== COMMA || p - s > 16) return fail(first + 1, p);
  batch.bytes_s2d[r] = p === s ? NaN : v;
  s = ++p;
  v = 0;
  c = b[p];
  while (c >= 48 && c <= 57) {
    v = v * 10 + (c - 48);
    c = b[++p];
  }
  if (c !== COMMA || p - s > 16) return fail(first + 2, p);
  batch.packets_d2s[r] = p === s ? NaN : v;
  s = ++p;
  v = 0;
  c = b[p];
  while (c >= 48 && c <= 57) {
    v = v * 10 + (c - 48);
    c = b[++p];
  }
  if (p - s > 16) return fail(first + 3, p);
  if (c !== QUOTE) return fail(c === COMMA ? first + 4 : first + 3, p);
  batch.bytes_d2s[r] = p === s ? NaN : v;
  return p + 1;
}

/** Parses an NSG tuple: 8 fields for version 1, 13 for version 2. */
export function parseNsgTuple(
  b: Uint8Array,
  p: number,
  batch: FlowBatch,
  r: number,
  cache: ByteCache,
  version: 1 | 2,
): number {
  let s = p;
  let v = 0;
  let c = b[p];
  while (c >= 48 && c <= 57) {
    v = v * 10 + (c - 48);
    c = b[++p];
  }
  if (c !== COMMA || p === s || p - s > 16) return fail(0, p);
  batch.time_ms[r] = v < 1e11 ? v * 1000 : v;
  s = ++p;
  let h = FNV_OFFSET;
  c = b[p];
  while (IP_CHAR[c] === 1) {
    h = Math.imul(h ^ c, FNV_PRIME);
    c = b[++p];
  }
  if (c !== COMMA || p === s) return fail(1, p);
  batch.src_ip[r] = refOfBytes(cache, b, s, p, h);
  s = ++p;
  h = FNV_OFFSET;
  c = b[p];
  while (IP_CHAR[c] === 1) {
    h = Math.imul(h ^ c, FNV_PRIME);
    c = b[++p];
  }
  if (c !== COMMA || p === s) return fail(2, p);
  batch.dst_ip[r] = refOfBytes(cache, b, s, p, h);
  s = ++p;
  v = 0;
  c = b[p];
  while (c >= 48 && c <= 57) {
    v = v * 10 + (c - 48);
    c = b[++p];
  }
  if (c !== COMMA || p === s || p - s > 5 || v > 65535) return fail(3, p);
  batch.src_port[r] = v;
  s = ++p;
  v = 0;
  c = b[p];
  while (c >= 48 && c <= 57) {
    v = v * 10 + (c - 48);
    c = b[++p];
  }
  if (c !== COMMA || p === s || p - s > 5 || v > 65535) return fail(4, p);
  batch.dst_port[r] = v;
  // 5: protocol, T/U or a number
  s = ++p;
  c = b[p];
  if (c === 0x54) {
    batch.protocol[r] = 6;
    c = b[++p];
  } else if (c === 0x55) {
    batch.protocol[r] = 17;
    c = b[++p];
  } else {
    v = 0;
    while (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      c = b[++p];
    }
    if (p === s || p - s > 3 || v > 255) return fail(5, p);
    batch.protocol[r] = v;
  }
  if (c !== COMMA) return fail(5, p);
  c = b[++p];
  if (c === 0x49) batch.direction[r] = 0;
  else if (c === 0x4f) batch.direction[r] = 1;
  else return fail(6, p);
  if (b[++p] !== COMMA) return fail(6, p);
  // 7: decision
  c = b[++p];
  if (c === 0x41) batch.decision[r] = 0;
  else if (c === 0x44) batch.decision[r] = 1;
  else return fail(7, p);
  c = b[++p];
  batch.encryption[r] = 0xffffffff;
  if (version === 1) {
    if (c !== QUOTE) return fail(c === COMMA ? 8 : 7, p);
    batch.state[r] = 0;
    batch.packets_s2d[r] = NaN;
    batch.bytes_s2d[r] = NaN;
    batch.packets_d2s[r] = NaN;
    batch.bytes_d2s[r] = NaN;
    return p + 1;
  }
  if (c !== COMMA) return fail(c === QUOTE ? 8 : 7, p);
  // 8: state (no D in NSG: a deny is the decision field)
  c = b[++p];
  if (c === 0x42) batch.state[r] = 1;
  else if (c === 0x43) batch.state[r] = 2;
  else if (c === 0x45) batch.state[r] = 3;
  else return fail(8, p);
  if (b[++p] !== COMMA) return fail(8, p);
  return parseCounters(b, p, batch, r, 9);
}

const VNET_FIELDS = [
  'timestamp',
  'source IP',
  'destination IP',
  'source port',
  'destination port',
  'protocol',
  'direction (I/O)',
  'flow state (B/C/E/D)',
  'encryption',
  'packets sent',
  'bytes sent',
  'packets received',
  'bytes received',
];
const NSG_FIELDS = [
  'timestamp',
  'source IP',
  'destination IP',
  'source port',
  'destination port',
  'protocol (T/U)',
  'direction (I/O)',
  'decision (A/D)',
  'flow state (B/C/E)',
  'packets sent',
  'bytes sent',
  'packets received',
  'bytes received',
];

/** A one-line reason for a failed tuple, given its text. */
export function describeTupleFailure(version: 1 | 2 | 4, text: string, field: number): string {
  const arity = version === 1 ? 8 : 13;
  const count = text.split(',').length;
  const shown = text.length > 160 ? text.slice(0, 160) + '…' : text;
  if (count !== arity) {
    return `tuple "${shown}" has ${count} fields, version ${version} tuples have ${arity}`;
  }
  const names = version === 4 ? VNET_FIELDS : NSG_FIELDS;
  const name = names[Math.min(field, names.length - 1)];
  return `tuple "${shown}": bad ${name} "${text.split(',')[field] ?? ''}"`;
}

/** Reason key for lenient-mode counts (no tuple text, so counts group). */
export function tupleFailureKey(version: 1 | 2 | 4, text: string, field: number): string {
  const arity = version === 1 ? 8 : 13;
  if (text.split(',').length !== arity) return `wrong field count for version ${version}`;
  const names = version === 4 ? VNET_FIELDS : NSG_FIELDS;
  return `bad ${names[Math.min(field, names.length - 1)]}`;
}

