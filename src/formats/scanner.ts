/**
 * The decoder's hot path, kept in one module so nothing per byte or per tuple crosses a module
 * boundary (module bindings cost a call each under some loaders):
 *
 * 1. A string cache keyed on raw bytes, so an IP or rule name seen before becomes a dictionary
 *    reference without building a JS string. Each distinct byte sequence gets a global id; each
 *    batch gets its own dictionary, filled on first use per batch (a generation stamp per id says
 *    whether the id already has a reference in the current batch).
 * 2. Tuple scanners that parse one flow-tuple string straight from the JSON bytes into row `r` of
 *    a `FlowBatch`, starting just after the string's opening quote. They return the index after
 *    the closing quote, or -1 with `tupleFailure` describing the first bad field. A failure at or
 *    past the end of the buffer means "need more bytes", not bad data; the caller decides.
 * 3. `scanVnetTupleArray` / `scanNsgTupleArray`, the loops over one `flowTuples` array with the
 *    tuple parse inlined (the standalone parsers serve the generic path; tests compare the two).
 *
 * Normalisation (azure-flowlogs-spec.md §1.4, §1.7, §2.2):
 * - timestamps below 1e11 are seconds (10 digits) and become ms; larger values are ms already.
 *   (11–12 digit values are ambiguous in the spec; this threshold reads them as seconds up to
 *   year 5138 and as ms from 1973 on, so real data of either unit is read right.)
 * - NSG protocol `T`/`U` → 6/17; a decimal protocol number is accepted too.
 * - VNet decision is derived: state `D` ⇒ deny, anything else ⇒ allow.
 * - An empty counter is NaN (absent); `0` stays 0.
 */
import type { FlowBatch } from './flowbatch.js';
import {
  FALLBACK,
  NEED_MORE,
  describeByte,
  malformed,
  scanString,
  stringHasEscape,
  stringValue,
} from './json.js';
import { KNOWN_ENCRYPTION_VALUES } from './records.js';

const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

export const FNV_OFFSET = 0x811c9dc5 | 0;
export const FNV_PRIME = 0x01000193;

export interface ByteCache {
  table: Int32Array;
  mask: number;
  count: number;
  hashes: Int32Array;
  offsets: Int32Array;
  lengths: Int32Array;
  /** Caller-defined flag bits per id (the decoder marks known encryption values). */
  flags: Uint8Array;
  arena: Uint8Array;
  arenaLength: number;
  strings: string[];
  /**
   * Per id, interleaved: [2·id] the generation (batch) that last referenced it, [2·id+1] its
   * reference in that batch. One array, so the common lookup touches one cache line.
   */
  batchRefs: Int32Array;
  currentGeneration: number;
  /**
   * Scratch for the dictionary of the batch being filled, kept across batches: its first
   * `batchCount` entries are the batch's, and `endBatch` copies them out in one slice. Appending
   * to a fresh array per batch (growing it step by step) or allocating a big holey one per batch
   * both cost several percent of decoding.
   */
  batchStrings: string[];
  batchCount: number;
  byString: Map<string, number>;
  /** Encryption values by hash (see `encryptionId`). */
  encryptionTable: Int32Array;
  /** IPv4 index (see `refOfIp4`): [2·i] address, [2·i+1] tagged batch reference. */
  ip4Table: Int32Array;
  /** Global id per IPv4 slot. */
  ip4Ids: Int32Array;
  /** Text per IPv4 slot (the id's string): a batch's first use of an address reads only this. */
  ip4Strings: string[];
  ip4Count: number;
  /** The current batch's tag in `ip4Table` references: 1..IP4_TAG_MAX, and shifted in place. */
  ip4Tag: number;
  ip4TagBits: number;
  /** Ids in the byte table (bare ids of IPv4 addresses are not). */
  tableCount: number;
}

const ENCRYPTION_SLOTS = 64;

/** Past this many distinct strings the cache is emptied when the next batch starts. */
const MAX_ENTRIES = 1 << 18;

export function createByteCache(): ByteCache {
  const ids = 1024;
  return {
    table: new Int32Array(4096),
    mask: 4095,
    count: 0,
    hashes: new Int32Array(ids),
    offsets: new Int32Array(ids),
    lengths: new Int32Array(ids),
    flags: new Uint8Array(ids),
    arena: new Uint8Array(1 << 16),
    arenaLength: 0,
    strings: [],
    batchRefs: new Int32Array(ids * 2),
    currentGeneration: 1,
    batchStrings: [],
    batchCount: 0,
    byString: new Map(),
    encryptionTable: new Int32Array(ENCRYPTION_SLOTS * 2),
    ip4Table: new Int32Array(4096 * 2),
    ip4Ids: new Int32Array(4096),
    ip4Strings: new Array<string>(4096).fill(''),
    ip4Count: 0,
    ip4Tag: 1,
    ip4TagBits: 1 << IP4_REF_BITS,
    tableCount: 0,
  };
}

/** Starts a new batch dictionary; ids keep their strings, references start over. */
export function startBatch(cache: ByteCache): void {
  if (cache.count > MAX_ENTRIES) clearCache(cache);
  cache.currentGeneration++;
  cache.batchCount = 0;
  if (++cache.ip4Tag > IP4_TAG_MAX) {
    cache.ip4Tag = 1;
    const table = cache.ip4Table;
    for (let i = 1; i < table.length; i += 2) table[i] = 0;
  }
  cache.ip4TagBits = cache.ip4Tag << IP4_REF_BITS;
}

function clearCache(cache: ByteCache): void {
  cache.table.fill(0);
  cache.count = 0;
  cache.arenaLength = 0;
  cache.strings.length = 0;
  cache.batchRefs.fill(0);
  cache.flags.fill(0);
  cache.byString.clear();
  cache.encryptionTable.fill(0);
  cache.ip4Table.fill(0);
  cache.ip4Ids.fill(0);
  cache.ip4Strings.fill('');
  cache.ip4Count = 0;
  cache.tableCount = 0;
}

/**
 * FNV-1a of the bytes; past 64 bytes (resource IDs) only the first and last 32 bytes and the
 * length are hashed: lookups compare the full bytes anyway, and long IDs differ at their ends.
 */
export function hashBytes(b: Uint8Array, s: number, e: number): number {
  let h = FNV_OFFSET;
  if (e - s <= 64) {
    for (let i = s; i < e; i++) h = Math.imul(h ^ b[i], FNV_PRIME);
    return h;
  }
  for (let i = s; i < s + 32; i++) h = Math.imul(h ^ b[i], FNV_PRIME);
  for (let i = e - 32; i < e; i++) h = Math.imul(h ^ b[i], FNV_PRIME);
  return Math.imul(h ^ (e - s), FNV_PRIME);
}

/** Text of `b[s, e)`: ASCII without a decoder call, anything else as UTF-8. */
export function textOf(b: Uint8Array, s: number, e: number): string {
  if (e - s <= 64) {
    let ascii = true;
    for (let i = s; i < e && ascii; i++) ascii = b[i] < 0x80;
    if (ascii) return e - s <= 15 ? shortAscii(b, s, e - s) : asciiSlice(b, s, e);
  }
  try {
    return decoder.decode(b.subarray(s, e));
  } catch {
    throw malformed('invalid UTF-8 in a string', s);
  }
}

/**
 * Node's native slice of a byte range into a string (one call; ASCII bytes read the same in
 * UTF-8): ~4× cheaper than `String.fromCharCode.apply` over a subarray for a record time's 28
 * bytes, which every record makes. Falls back to that where the method is missing.
 */
const nativeUtf8Slice = (Buffer.prototype as unknown as { utf8Slice?: (s: number, e: number) => string })
  .utf8Slice;
function asciiSlice(b: Uint8Array, s: number, e: number): string {
  return nativeUtf8Slice !== undefined
    ? nativeUtf8Slice.call(b, s, e)
    : String.fromCharCode.apply(null, b.subarray(s, e) as unknown as number[]);
}

/**
 * ASCII text of `b[s, s + n)` for n ≤ 15 (IP addresses, encryption values): explicit arguments
 * are several times cheaper than `apply` over a subarray.
 */
function shortAscii(b: Uint8Array, s: number, n: number): string {
  switch (n) {
    case 0:
      return '';
    case 1:
      return String.fromCharCode(b[s]);
    case 2:
      return String.fromCharCode(b[s], b[s + 1]);
    case 3:
      return String.fromCharCode(b[s], b[s + 1], b[s + 2]);
    case 4:
      return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3]);
    case 5:
      return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4]);
    case 6:
      return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5]);
    case 7:
      return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6]);
    case 8:
      return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7]);
    case 9:
      return String.fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
      );
    case 10:
      return String.fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
        b[s + 9],
      );
    case 11:
      return String.fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
        b[s + 9],
        b[s + 10],
      );
    case 12:
      return String.fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
        b[s + 9],
        b[s + 10],
        b[s + 11],
      );
    case 13:
      return String.fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
        b[s + 9],
        b[s + 10],
        b[s + 11],
        b[s + 12],
      );
    case 14:
      return String.fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
        b[s + 9],
        b[s + 10],
        b[s + 11],
        b[s + 12],
        b[s + 13],
      );
    case 15:
      return String.fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
        b[s + 9],
        b[s + 10],
        b[s + 11],
        b[s + 12],
        b[s + 13],
        b[s + 14],
      );
    default:
      return String.fromCharCode.apply(null, b.subarray(s, s + n) as unknown as number[]);
  }
}

function growIds(cache: ByteCache): void {
  const size = cache.hashes.length * 2;
  const grow = <T extends Int32Array | Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
    const next = make(size);
    next.set(a);
    return next;
  };
  cache.hashes = grow(cache.hashes, (n) => new Int32Array(n));
  cache.offsets = grow(cache.offsets, (n) => new Int32Array(n));
  cache.lengths = grow(cache.lengths, (n) => new Int32Array(n));
  cache.flags = grow(cache.flags, (n) => new Uint8Array(n));
  const batchRefs = new Int32Array(size * 2);
  batchRefs.set(cache.batchRefs);
  cache.batchRefs = batchRefs;
}

function growTable(cache: ByteCache): void {
  const size = cache.table.length * 2;
  const table = new Int32Array(size);
  const mask = size - 1;
  for (let id = 0; id < cache.count; id++) {
    if (cache.lengths[id] < 0) continue;
    let i = cache.hashes[id] & mask;
    while (table[i] !== 0) i = (i + 1) & mask;
    table[i] = id + 1;
  }
  cache.table = table;
  cache.mask = mask;
}

function ip4Slot(key: number, mask: number): number {
  const h = Math.imul(key, 0x9e3779b1);
  return (h ^ (h >>> 15)) & mask;
}

/*
 * IPv4 index: open addressing over pairs [2·i] the 32-bit address (0 = empty slot; 0.0.0.0 takes
 * the byte-keyed path), [2·i+1] the address's reference in the current batch tagged with the
 * batch (`ip4Tag << IP4_REF_BITS | ref`; another batch's tag means none yet), and in `ip4Ids[i]`
 * its global id. A repeated address costs one probe of 8 bytes: the table is far bigger than L1
 * and addresses come in random order, so its size decides the cost (20k addresses: 256 KiB).
 *
 * Canonical dotted quads get their references only here. An address first seen in a tuple gets a
 * bare id (a string, no byte-table entry: 20k addresses per blob cost no hashing or arena copies);
 * the same text reaching the byte cache by another path (a rule named like an address, the
 * generic path) is flagged `IP4_FLAG` when inserted, and `refOfId` sends flagged ids here, so
 * the text has one reference per batch whichever path came first.
 */
const IP4_REF_BITS = 22;
/** Tags run 1..IP4_TAG_MAX (kept positive in an int32), then the table's tags are cleared. */
const IP4_TAG_MAX = 511;
/** Tagged value for a reference too large to tag: this batch's reference is in `batchRefs`. */
const IP4_REF_OVERFLOW = (1 << IP4_REF_BITS) - 1;
/** Flag bit on cache ids of canonical IPv4 text, whose references live in the IPv4 index. */
const IP4_FLAG = 4;

function growIp4(cache: ByteCache): void {
  const old = cache.ip4Table;
  const oldIds = cache.ip4Ids;
  const oldStrings = cache.ip4Strings;
  const table = new Int32Array(old.length * 2);
  const ids = new Int32Array(oldIds.length * 2);
  const strings = new Array<string>(ids.length).fill('');
  const mask = ids.length - 1;
  for (let i = 0; i < oldIds.length; i++) {
    const key = old[2 * i];
    if (key === 0) continue;
    let j = ip4Slot(key, mask);
    while (table[2 * j] !== 0) j = (j + 1) & mask;
    table[2 * j] = key;
    table[2 * j + 1] = old[2 * i + 1];
    ids[j] = oldIds[i];
    strings[j] = oldStrings[i];
  }
  cache.ip4Table = table;
  cache.ip4Ids = ids;
  cache.ip4Strings = strings;
}

/**
 * Batch reference of the canonical dotted quad whose 32-bit value is `key` (not 0) and whose
 * text is `b[s, e)`. `scanIp` has this probe written out.
 */
function refOfIp4(cache: ByteCache, key: number, b: Uint8Array, s: number, e: number): number {
  const table = cache.ip4Table;
  const last = table.length - 1;
  let j = ip4Slot(key, last >> 1) << 1;
  let at = table[j];
  while (at !== key) {
    if (at === 0) return addIp4(cache, key, j, b, s, e);
    j = (j + 2) & last;
    at = table[j];
  }
  const ref = table[j + 1] ^ cache.ip4TagBits;
  if (ref < IP4_REF_OVERFLOW) return ref;
  return firstIp4Use(cache, j);
}

/**
 * An address in the index (pair at table index `j`) without a taggable reference in this batch:
 * its first use in the batch, or a reference too large to tag.
 */
function firstIp4Use(cache: ByteCache, j: number): number {
  const table = cache.ip4Table;
  if (table[j + 1] >>> IP4_REF_BITS === cache.ip4Tag) return cache.batchRefs[2 * cache.ip4Ids[j >> 1] + 1];
  const ref = cache.batchCount++;
  cache.batchStrings[ref] = cache.ip4Strings[j >> 1];
  tagIp4(cache, j, ref);
  return ref;
}

function tagIp4(cache: ByteCache, j: number, ref: number): void {
  if (ref < IP4_REF_OVERFLOW) {
    cache.ip4Table[j + 1] = cache.ip4TagBits | ref;
  } else {
    const id = cache.ip4Ids[j >> 1];
    cache.ip4Table[j + 1] = cache.ip4TagBits | IP4_REF_OVERFLOW;
    cache.batchRefs[2 * id] = cache.currentGeneration;
    cache.batchRefs[2 * id + 1] = ref;
  }
}

/** A new address: a bare id for text `b[s, e)`, put in the empty pair at table index `j`. */
function addIp4(cache: ByteCache, key: number, j: number, b: Uint8Array, s: number, e: number): number {
  const text = shortAscii(b, s, e - s);
  const id = cache.count;
  if (id >= cache.hashes.length) growIds(cache);
  cache.hashes[id] = 0;
  cache.offsets[id] = 0;
  // No byte lookup matches a length of -1: bare ids stay out of the byte table.
  cache.lengths[id] = -1;
  cache.flags[id] = IP4_FLAG;
  cache.batchRefs[2 * id] = 0;
  cache.strings[id] = text;
  cache.count = id + 1;
  const ref = cache.batchCount++;
  cache.batchStrings[ref] = text;
  cache.ip4Table[j] = key;
  cache.ip4Ids[j >> 1] = id;
  cache.ip4Strings[j >> 1] = text;
  tagIp4(cache, j, ref);
  // Load ≤ 3/4 keeps the table small: it is probed at random, between streams of input and
  // column writes that push it out of L2, so its size is what costs.
  if (++cache.ip4Count * 8 > cache.ip4Ids.length * 6) growIp4(cache);
  return ref;
}

/** Text of a canonical dotted quad, rebuilt from its value (canonical text is unique). */
const IP4_TEXT = new Uint8Array(16);

/** Batch reference of a flagged id's canonical IPv4 text (reached through the byte cache). */
function refOfIp4Text(cache: ByteCache, text: string): number {
  let key = 0;
  let octet = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    IP4_TEXT[i] = c;
    if (c === 0x2e) {
      key = (key << 8) | octet;
      octet = 0;
    } else {
      octet = octet * 10 + (c - 48);
    }
  }
  return refOfIp4(cache, (key << 8) | octet, IP4_TEXT, 0, text.length);
}

/**
 * The 32-bit value of `b[s, e)` when it is canonical dotted-quad text (what `scanIp4Key` takes)
 * other than 0.0.0.0, else 0.
 */
function canonicalIp4Key(b: Uint8Array, s: number, e: number): number {
  if (e - s < 7 || e - s > 15) return 0;
  let key = 0;
  let p = s;
  for (let k = 0; k < 4; k++) {
    if (k > 0) {
      if (p >= e || b[p] !== 0x2e) return 0;
      p++;
    }
    const start = p;
    let octet = 0;
    while (p < e && p - start < 3 && b[p] >= 48 && b[p] <= 57) octet = octet * 10 + (b[p++] - 48);
    if (p === start || octet > 255 || (p - start > 1 && b[start] === 48)) return 0;
    key = (key << 8) | octet;
  }
  return p === e ? key : 0;
}

/**
 * Global id of an encryption value `b[s, e)`: a direct-mapped table of [length, id + 1] slots
 * keyed by the length and the first and last bytes, in front of `idOfBytes` (a handful of
 * distinct values, so it stays in L1 where the general table does not, and a hit needs no hash
 * of the bytes). A hit is confirmed against the id's bytes.
 */
function encryptionId(cache: ByteCache, b: Uint8Array, s: number, e: number): number {
  const table = cache.encryptionTable;
  const len = e - s;
  const slot = ((len * 7 + b[s] * 3 + b[e - 1]) & (ENCRYPTION_SLOTS - 1)) * 2;
  if (table[slot] === len && table[slot + 1] !== 0) {
    const id = table[slot + 1] - 1;
    const arena = cache.arena;
    const o = cache.offsets[id] - s;
    let k = s;
    while (k < e && arena[o + k] === b[k]) k++;
    if (k === e) return id;
  }
  let h = FNV_OFFSET;
  for (let k = s; k < e; k++) h = Math.imul(h ^ b[k], FNV_PRIME);
  const id = idOfBytes(cache, b, s, e, h);
  table[slot] = len;
  table[slot + 1] = id + 1;
  return id;
}

/** Where `scanIp` / `scanOtherIp` stopped (the comma after the address, or the bad byte). */
let ipEnd = 0;
/**
 * Reads an IP address field at `s` up to its comma and returns its batch reference, or -1.
 * A canonical dotted quad (four octets of 1–3 digits, no leading zero, each ≤ 255, not 0.0.0.0,
 * the index's empty key) goes through the IPv4 index, anything else (IPv6, odd forms) through
 * the byte-keyed cache. Parse and probe are written out in this one function so that the code
 * the tuple loops run for an address does not depend on V8's inlining choices.
 */
function scanIp(b: Uint8Array, s: number, cache: ByteCache): number {
  let p = s;
  let key = 0;
  let c: number;
  for (let k = 0; ; k++) {
    c = b[p];
    if (!(c >= 48 && c <= 57)) return scanOtherIp(b, s, cache);
    let octet = c - 48;
    c = b[++p];
    if (c >= 48 && c <= 57) {
      if (octet === 0) return scanOtherIp(b, s, cache);
      octet = octet * 10 + (c - 48);
      c = b[++p];
      if (c >= 48 && c <= 57) {
        octet = octet * 10 + (c - 48);
        if (octet > 255) return scanOtherIp(b, s, cache);
        c = b[++p];
      }
    }
    key = (key << 8) | octet;
    if (k === 3) break;
    if (c !== 0x2e) return scanOtherIp(b, s, cache);
    p++;
  }
  if (c !== COMMA || key === 0) return scanOtherIp(b, s, cache);
  ipEnd = p;
  const table = cache.ip4Table;
  const last = table.length - 1;
  const h = Math.imul(key, 0x9e3779b1);
  let j = ((h ^ (h >>> 15)) << 1) & last;
  let at = table[j];
  while (at !== key) {
    if (at === 0) return addIp4(cache, key, j, b, s, p);
    j = (j + 2) & last;
    at = table[j];
  }
  const tagged = table[j + 1];
  const ref = tagged ^ cache.ip4TagBits;
  if (ref < IP4_REF_OVERFLOW) return ref;
  // The address's first use in this batch (`firstIp4Use`, written out: a third of all lookups).
  if (tagged >>> IP4_REF_BITS !== cache.ip4Tag && cache.batchCount < IP4_REF_OVERFLOW) {
    const fresh = cache.batchCount++;
    cache.batchStrings[fresh] = cache.ip4Strings[j >> 1];
    table[j + 1] = cache.ip4TagBits | fresh;
    return fresh;
  }
  return firstIp4Use(cache, j);
}

/** `scanIp` for anything but a canonical dotted quad. */
function scanOtherIp(b: Uint8Array, s: number, cache: ByteCache): number {
  let p = s;
  let h = FNV_OFFSET;
  let c = b[p];
  while (IP_CHAR[c] === 1) {
    h = Math.imul(h ^ c, FNV_PRIME);
    c = b[++p];
  }
  ipEnd = p;
  if (c !== COMMA || p === s) return -1;
  return refOfBytes(cache, b, s, p, h);
}

// Fatal: bytes that are not UTF-8 are refused with their offset, never replaced by U+FFFD.
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The global id of bytes `b[s, e)` whose FNV-1a hash is `h`, adding them if new. */
export function idOfBytes(cache: ByteCache, b: Uint8Array, s: number, e: number, h: number): number {
  const len = e - s;
  const table = cache.table;
  const mask = cache.mask;
  let i = h & mask;
  for (;;) {
    const slot = table[i];
    if (slot === 0) break;
    const id = slot - 1;
    if (cache.hashes[id] === h && cache.lengths[id] === len) {
      const arena = cache.arena;
      let o = cache.offsets[id];
      let k = s;
      while (k < e && arena[o] === b[k]) {
        o++;
        k++;
      }
      if (k === e) return id;
    }
    i = (i + 1) & mask;
  }
  const id = cache.count;
  if (id >= cache.hashes.length) growIds(cache);
  if (cache.arenaLength + len > cache.arena.length) {
    const arena = new Uint8Array(Math.max(cache.arena.length * 2, cache.arenaLength + len));
    arena.set(cache.arena.subarray(0, cache.arenaLength));
    cache.arena = arena;
  }
  cache.arena.set(b.subarray(s, e), cache.arenaLength);
  cache.hashes[id] = h;
  cache.offsets[id] = cache.arenaLength;
  cache.lengths[id] = len;
  cache.flags[id] = canonicalIp4Key(b, s, e) !== 0 ? IP4_FLAG : 0;
  cache.batchRefs[2 * id] = 0;
  cache.arenaLength += len;
  cache.strings[id] = textOf(b, s, e);
  cache.count = id + 1;
  table[i] = id + 1;
  if (++cache.tableCount * 2 > table.length) growTable(cache);
  return id;
}

/** The current batch's dictionary reference for global id `id`. */
export function refOfId(cache: ByteCache, id: number): number {
  const refs = cache.batchRefs;
  if (refs[2 * id] === cache.currentGeneration) return refs[2 * id + 1];
  if ((cache.flags[id] & IP4_FLAG) !== 0) return refOfIp4Text(cache, cache.strings[id]);
  const ref = cache.batchCount++;
  cache.batchStrings[ref] = cache.strings[id];
  refs[2 * id] = cache.currentGeneration;
  refs[2 * id + 1] = ref;
  return ref;
}

/** Appends `value` to the batch dictionary without a cache entry; returns its reference. */
export function addBatchString(cache: ByteCache, value: string): number {
  const ref = cache.batchCount++;
  cache.batchStrings[ref] = value;
  return ref;
}

/** The current batch's dictionary, exactly its entries in use (a new array each call). */
export function endBatch(cache: ByteCache): string[] {
  return cache.batchStrings.slice(0, cache.batchCount);
}

export function refOfBytes(cache: ByteCache, b: Uint8Array, s: number, e: number, h: number): number {
  return refOfId(cache, idOfBytes(cache, b, s, e, h));
}

const encoder = new TextEncoder();

/** The global id of a JS string (slow path: escaped strings, block ids, source names). */
export function idOfString(cache: ByteCache, value: string): number {
  let id = cache.byString.get(value);
  if (id !== undefined && id < cache.count && cache.strings[id] === value) return id;
  const bytes = encoder.encode(value);
  id = idOfBytes(cache, bytes, 0, bytes.length, hashBytes(bytes, 0, bytes.length));
  cache.byString.set(value, id);
  return id;
}

export function refOfString(cache: ByteCache, value: string): number {
  return refOfId(cache, idOfString(cache, value));
}

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

const POW10 = new Float64Array([1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8]);

/**
 * Value of the decimal digits `b[s, e)` summed one digit at a time in doubles: for 16-digit
 * numbers, beyond 2^53, the rounding of the int32 split would differ from the digit-by-digit
 * value this decoder has always produced.
 */
function digitsValue(b: Uint8Array, s: number, e: number): number {
  let v = 0;
  for (let i = s; i < e; i++) v = v * 10 + (b[i] - 48);
  return v;
}

/** Encryption cache id of the last VNet tuple parsed (for unknown-value counting). */
let lastEncryptionId = -1;

export function parseVnetTuple(
  b: Uint8Array,
  p: number,
  batch: FlowBatch,
  r: number,
  cache: ByteCache,
): number {
  // 0: timestamp
  let s = p;
  let v = 0;
  let c = b[p];
  while (c >= 48 && c <= 57 && p - s < 9) {
    v = v * 10 + (c - 48);
    c = b[++p];
  }
  let time = v;
  if (c >= 48 && c <= 57) {
    const from = p;
    v = 0;
    while (c >= 48 && c <= 57 && p - from < 8) {
      v = v * 10 + (c - 48);
      c = b[++p];
    }
    time = p - s < 16 ? time * POW10[p - from] + v : digitsValue(b, s, p);
  }
  if (c !== COMMA || p === s || p - s > 16) return fail(0, p);
  batch.time_ms[r] = time < 1e11 ? time * 1000 : time;
  // 1: source IP
  let ref = scanIp(b, p + 1, cache);
  if (ref < 0) return fail(1, ipEnd);
  batch.src_ip[r] = ref;
  // 2: destination IP
  ref = scanIp(b, ipEnd + 1, cache);
  if (ref < 0) return fail(2, ipEnd);
  batch.dst_ip[r] = ref;
  p = ipEnd;
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
  let h = FNV_OFFSET;
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
  while (c >= 48 && c <= 57 && p - s < 9) {
    v = v * 10 + (c - 48);
    c = b[++p];
  }
  let time = v;
  if (c >= 48 && c <= 57) {
    const from = p;
    v = 0;
    while (c >= 48 && c <= 57 && p - from < 8) {
      v = v * 10 + (c - 48);
      c = b[++p];
    }
    time = p - s < 16 ? time * POW10[p - from] + v : digitsValue(b, s, p);
  }
  if (c !== COMMA || p === s || p - s > 16) return fail(0, p);
  batch.time_ms[r] = time < 1e11 ? time * 1000 : time;
  let ref = scanIp(b, p + 1, cache);
  if (ref < 0) return fail(1, ipEnd);
  batch.src_ip[r] = ref;
  ref = scanIp(b, ipEnd + 1, cache);
  if (ref < 0) return fail(2, ipEnd);
  batch.dst_ip[r] = ref;
  p = ipEnd;
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

const KNOWN_ENCRYPTION = new Set<string>(KNOWN_ENCRYPTION_VALUES);

/** What `scanTupleArray` needs from the decoder. */
export interface TupleScanContext {
  /** The batch rows go into; `grow` replaces it when full. */
  batch: FlowBatch;
  cache: ByteCache;
  /** Index of the next tuple within the current record (across groups). */
  tupleIndex: number;
  /** Unknown encryption values seen in the current record. */
  unknownEncryption: string[];
  /** Returns a batch with room for more rows (and stores it in `batch`). */
  grow(): FlowBatch;
  /** A tuple failed to parse: throws in strict mode, counts it in lenient mode. */
  bad(version: 1 | 2 | 4, text: string, field: number, offset: number): void;
  /** A view of the bytes the loops scan (the caller replaces it with the buffer). */
  view: DataView;
  /**
   * Set by the tuple loops called with `chain` when they went on into following entries (flow
   * groups, NSG MAC entries): the first row of the last entry read; else left as the caller set
   * it (-1).
   */
  entryRowStart: number;
  /** With `entryRowStart`: the last entry's rule (VNet) or MAC (NSG) reference. */
  entryRef: number;
}

/** Azure's compact joins of two flow groups / two NSG MAC entries, up to the value's text. */
const NEXT_RULE_HEAD = Buffer.from('},{"rule":"', 'latin1');
const NEXT_MAC_HEAD = Buffer.from('},{"mac":"', 'latin1');
/** From the value's closing quote to the first tuple's opening quote. */
const ENTRY_TUPLES_HEAD = Buffer.from('","flowTuples":["', 'latin1');
/** Longest rule or MAC text `nextEntry` reads (longer ones take the generic path). */
const ENTRY_VALUE_MAX = 256;
/** The value `nextEntry` found: `b[nextValueStart, nextValueEnd)`. */
let nextValueStart = 0;
let nextValueEnd = 0;

/**
 * At a tuple array's `]` (index `p`): when the next entry follows as Azure writes it,
 * `]},{"rule":"<name>","flowTuples":["` (head `NEXT_RULE_HEAD`) or the same with `"mac"`, with
 * printable ASCII and no escape in the value, sets `nextValueStart`/`nextValueEnd` and returns
 * the index of the first tuple's opening quote; else -1 (also when the bytes end first: the
 * caller's generic path then asks for more).
 */
function nextEntry(b: Uint8Array, p: number, n: number, head: Uint8Array): number {
  let q = p + 1;
  if (q + head.length + ENTRY_TUPLES_HEAD.length + ENTRY_VALUE_MAX > n) return -1;
  for (let k = 0; k < head.length; k++) if (b[q + k] !== head[k]) return -1;
  q += head.length;
  const s = q;
  let c = b[q];
  while (c !== QUOTE) {
    if (c < 0x20 || c > 0x7e || c === 0x5c || q - s >= ENTRY_VALUE_MAX) return -1;
    c = b[++q];
  }
  for (let k = 0; k < ENTRY_TUPLES_HEAD.length; k++) if (b[q + k] !== ENTRY_TUPLES_HEAD[k]) return -1;
  nextValueStart = s;
  nextValueEnd = q;
  return q + ENTRY_TUPLES_HEAD.length - 1;
}

function ws(b: Uint8Array, p: number, n: number): number {
  while (p < n) {
    const c = b[p];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
    else return p;
  }
  throw NEED_MORE;
}

/**
 * Parses one tuple given as a JS string (generic path); returns true when it parsed and the row
 * was appended, else calls `ctx.bad`.
 */
export function parseTupleText(
  ctx: TupleScanContext,
  text: string,
  version: 1 | 2 | 4,
  offset: number,
): void {
  const buf = Buffer.from(text + '"', 'utf8');
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  let batch = ctx.batch;
  const r = batch.length;
  if (r >= batch.time_ms.length) batch = ctx.grow();
  const end =
    version === 4
      ? parseVnetTuple(bytes, 0, batch, r, ctx.cache)
      : parseNsgTuple(bytes, 0, batch, r, ctx.cache, version);
  if (end === bytes.length) {
    batch.length = r + 1;
    if (version === 4) {
      const value = ctx.cache.strings[lastEncryptionId];
      if (!KNOWN_ENCRYPTION.has(value)) ctx.unknownEncryption.push(value);
    }
  } else {
    ctx.bad(version, text, end < 0 ? tupleFailure.field : version === 1 ? 8 : 13, offset);
  }
  ctx.tupleIndex++;
}

/**
 * The VNet tuple loop with the tuple parse inlined and the column arrays held in locals: the
 * hottest code of the decoder. It must accept exactly what `parseVnetTuple` accepts (the generic
 * path uses that one; tests compare the two paths). `rule` goes into every row's rule column
 * (the caller fills the rows again when the group's rule turns out different or absent).
 *
 * Where a tuple's common path leaves this function, what runs does not depend on V8's inlining
 * choices. The previous-tuple address check and the hits of the encryption lookups
 * (`encryptionId`, `refOfId`) are written out here (and the address check again in
 * `scanNsgTupleArray`, on purpose); an address that needs parsing goes to `scanIp`, which makes
 * no call on its own common path (the probe of `refOfIp4` and the first use of `firstIp4Use` are
 * written out in it), so its optimised code is the same whether V8 inlines it here or calls it.
 * The session-start code called `firstIp4Use` from `scanIp`: V8 inlined it or not depending on
 * the call counts when each function was optimised (traced with --trace-turbo-inlining: `scanIp`
 * with its own optimised code counted 444 + 379 bytes against the loop's cumulative budget of
 * 920 and stayed a call), and processes of one build decoded 1M tuples in 0.30 s or in
 * 0.45-0.53 s of CPU. Writing the whole address path into both loops (four copies) measured the
 * same when warm but doubled each TurboFan compile of the loops (~110 -> ~220 ms at load ~4; 5-8
 * compiles while warming up), which cost a cold 500 MB decode over a second: one copy, in `scanIp`.
 * Only rare paths remain calls: a new address (`addIp4`), anything but a canonical dotted quad
 * (`scanOtherIp`), an encryption value not in the small table, errors. A change to the address
 * check goes into both loops; the stream tests compare both loops with the generic
 * `parse*Tuple` path.
 */
export function scanVnetTupleArray(
  ctx: TupleScanContext,
  b: Uint8Array,
  p: number,
  n: number,
  rule: number,
  chain = false,
): number {
  p = ws(b, p, n);
  if (b[p] !== LBRACKET) throw malformed(`"flowTuples" must be an array, found ${describeByte(b[p])}`, p);
  p = ws(b, p + 1, n);
  if (b[p] === RBRACKET) return p + 1;
  const cache = ctx.cache;
  const view = ctx.view;
  let batch = ctx.batch;
  let capacity = batch.time_ms.length;
  let time = batch.time_ms;
  let srcIp = batch.src_ip;
  let dstIp = batch.dst_ip;
  let srcPort = batch.src_port;
  let dstPort = batch.dst_port;
  let protocol = batch.protocol;
  let direction = batch.direction;
  let state = batch.state;
  let decision = batch.decision;
  let encryption = batch.encryption;
  let packetsS2d = batch.packets_s2d;
  let bytesS2d = batch.bytes_s2d;
  let packetsD2s = batch.packets_d2s;
  let bytesD2s = batch.bytes_d2s;
  let rules = batch.rule;
  // Previous timestamp with 9-15 digits: b[tsStart, +tsLength), its first 8 digits' value.
  let tsStart = 0;
  let tsLength = 0;
  let tsHigh = 0;
  // Previous tuple's IPs: bytes b[start, +length) and their reference in this batch.
  let srcStart = 0;
  let srcLength = 0;
  let srcRef = 0;
  let dstStart = 0;
  let dstLength = 0;
  let dstRef = 0;
  // Encryption memo: bytes at b[memoStart, +memoLength) resolved to memoId / memoRef.
  let memoLength = -1;
  let memoStart = 0;
  let memoId = -1;
  let memoRef = 0;
  let memoUnknown = false;
  for (;;) {
    let c = p < n ? b[p] : 0;
    if (c !== QUOTE) {
      p = ws(b, p, n);
      c = b[p];
      if (c !== QUOTE) throw malformed(`a flow tuple must be a string, found ${describeByte(c)}`, p);
    }
    const r = batch.length;
    if (r >= capacity) {
      batch = ctx.grow();
      capacity = batch.time_ms.length;
      time = batch.time_ms;
      srcIp = batch.src_ip;
      dstIp = batch.dst_ip;
      srcPort = batch.src_port;
      dstPort = batch.dst_port;
      protocol = batch.protocol;
      direction = batch.direction;
      state = batch.state;
      decision = batch.decision;
      encryption = batch.encryption;
      packetsS2d = batch.packets_s2d;
      bytesS2d = batch.bytes_s2d;
      packetsD2s = batch.packets_d2s;
      bytesD2s = batch.bytes_d2s;
      rules = batch.rule;
    }
    if (n - p < 512) scanString(b, p, n);
    let q = p + 1;
    let field = -1;
    let unknownEncryption = -1;
    parse: {
      // 0: timestamp
      // Tuples of a group share the leading digits of their timestamps: when the first 8 bytes
      // and the length match the previous timestamp's, only the digits after them are read.
      let s = q;
      let v = 0;
      let t = -1;
      if (
        tsLength > 0 &&
        b[q + tsLength] === COMMA &&
        view.getInt32(q, true) === view.getInt32(tsStart, true) &&
        view.getInt32(q + 4, true) === view.getInt32(tsStart + 4, true)
      ) {
        q += 8;
        c = b[q];
        while (c >= 48 && c <= 57) {
          v = v * 10 + (c - 48);
          c = b[++q];
        }
        if (q === s + tsLength) t = tsHigh * POW10[tsLength - 8] + v;
        else q = s;
      }
      if (t < 0) {
        // The first 9 digits and the rest are read as int32s: a chain of 13 double
        // multiply-adds per timestamp cost more than the rest of the field.
        v = 0;
        c = b[q];
        while (c >= 48 && c <= 57 && q - s < 9) {
          v = v * 10 + (c - 48);
          c = b[++q];
        }
        t = v;
        if (c >= 48 && c <= 57) {
          const from = q;
          v = 0;
          while (c >= 48 && c <= 57 && q - from < 8) {
            v = v * 10 + (c - 48);
            c = b[++q];
          }
          t = q - s < 16 ? t * POW10[q - from] + v : digitsValue(b, s, q);
        }
        if (c !== COMMA || q === s || q - s > 16) {
          field = 0;
          break parse;
        }
        if (q - s > 8 && q - s < 16) {
          tsStart = s;
          tsLength = q - s;
          tsHigh = (t / POW10[tsLength - 8]) | 0;
        }
      }
      time[r] = t < 1e11 ? t * 1000 : t;
      rules[r] = rule;
      // 1, 2: IPs. One side is usually the NIC's own address, the same as in the previous
      // tuple: compare with the previous tuple's bytes (four at a time) before parsing.
      let ref: number;
      s = q + 1;
      ref = -1;
      if (srcLength > 0 && b[s + srcLength] === COMMA) {
        let k = 0;
        while (k + 4 <= srcLength && view.getInt32(s + k, true) === view.getInt32(srcStart + k, true)) k += 4;
        if (k + 4 > srcLength) while (k < srcLength && b[s + k] === b[srcStart + k]) k++;
        if (k === srcLength) {
          ref = srcRef;
          q = s + srcLength;
        }
      }
      if (ref < 0) {
        ref = scanIp(b, s, cache);
        q = ipEnd;
        if (ref < 0) {
          field = 1;
          break parse;
        }
        srcStart = s;
        srcLength = q - s;
        srcRef = ref;
      }
      srcIp[r] = ref;
      s = q + 1;
      ref = -1;
      if (dstLength > 0 && b[s + dstLength] === COMMA) {
        let k = 0;
        while (k + 4 <= dstLength && view.getInt32(s + k, true) === view.getInt32(dstStart + k, true)) k += 4;
        if (k + 4 > dstLength) while (k < dstLength && b[s + k] === b[dstStart + k]) k++;
        if (k === dstLength) {
          ref = dstRef;
          q = s + dstLength;
        }
      }
      if (ref < 0) {
        ref = scanIp(b, s, cache);
        q = ipEnd;
        if (ref < 0) {
          field = 2;
          break parse;
        }
        dstStart = s;
        dstLength = q - s;
        dstRef = ref;
      }
      dstIp[r] = ref;
      // 3: source port
      s = ++q;
      v = 0;
      c = b[q];
      while (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        c = b[++q];
      }
      if (c !== COMMA || q === s || q - s > 5 || v > 65535) {
        field = 3;
        break parse;
      }
      srcPort[r] = v;
      // 4: destination port
      s = ++q;
      v = 0;
      c = b[q];
      while (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        c = b[++q];
      }
      if (c !== COMMA || q === s || q - s > 5 || v > 65535) {
        field = 4;
        break parse;
      }
      dstPort[r] = v;
      // 5: protocol
      s = ++q;
      v = 0;
      c = b[q];
      while (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        c = b[++q];
      }
      if (c !== COMMA || q === s || q - s > 3 || v > 255) {
        field = 5;
        break parse;
      }
      protocol[r] = v;
      // 6: direction
      c = b[++q];
      if (c === 0x49) direction[r] = 0;
      else if (c === 0x4f) direction[r] = 1;
      else {
        field = 6;
        break parse;
      }
      if (b[++q] !== COMMA) {
        field = 6;
        break parse;
      }
      // 7: state, decision derived
      c = b[++q];
      if (c === 0x42) state[r] = 1;
      else if (c === 0x43) state[r] = 2;
      else if (c === 0x45) state[r] = 3;
      else if (c === 0x44) state[r] = 4;
      else {
        field = 7;
        break parse;
      }
      decision[r] = c === 0x44 ? 1 : 0;
      if (b[++q] !== COMMA) {
        field = 7;
        break parse;
      }
      // 8: encryption
      s = ++q;
      c = b[q];
      while (WORD_CHAR[c] === 1) c = b[++q];
      if (c !== COMMA || q === s) {
        field = 8;
        break parse;
      }
      // Most tuples repeat the previous tuple's encryption value: compare with it first, then
      // look the few distinct values up in a small table (no hashing of the bytes on either path).
      const len = q - s;
      let same = len === memoLength;
      for (let k = 0; same && k < len; k++) same = b[s + k] === b[memoStart + k];
      if (same) {
        encryption[r] = memoRef;
        if (memoUnknown) unknownEncryption = memoId;
      } else {
        // The lookups of `encryptionId` and `refOfId`, written out for their hits.
        const encTable = cache.encryptionTable;
        const slot = ((len * 7 + b[s] * 3 + b[q - 1]) & (ENCRYPTION_SLOTS - 1)) * 2;
        let encId = -1;
        if (encTable[slot] === len && encTable[slot + 1] !== 0) {
          encId = encTable[slot + 1] - 1;
          const arena = cache.arena;
          const o = cache.offsets[encId] - s;
          let k = s;
          while (k < q && arena[o + k] === b[k]) k++;
          if (k !== q) encId = -1;
        }
        if (encId < 0) encId = encryptionId(cache, b, s, q);
        const refs = cache.batchRefs;
        ref = refs[2 * encId] === cache.currentGeneration ? refs[2 * encId + 1] : refOfId(cache, encId);
        encryption[r] = ref;
        let flags = cache.flags[encId];
        if ((flags & CHECKED_FLAG) === 0) {
          flags = CHECKED_FLAG | (KNOWN_ENCRYPTION.has(cache.strings[encId]) ? KNOWN_ENCRYPTION_FLAG : 0);
          cache.flags[encId] = flags;
        }
        memoUnknown = (flags & KNOWN_ENCRYPTION_FLAG) === 0;
        if (memoUnknown) unknownEncryption = encId;
        memoLength = len;
        memoStart = s;
        memoId = encId;
        memoRef = ref;
      }
      // 9–12: counters, empty ⇒ NaN
      s = ++q;
      v = 0;
      c = b[q];
      while (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        c = b[++q];
      }
      if (c !== COMMA || q - s > 16) {
        field = 9;
        break parse;
      }
      packetsS2d[r] = q === s ? NaN : v;
      s = ++q;
      v = 0;
      c = b[q];
      while (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        c = b[++q];
      }
      if (c !== COMMA || q - s > 16) {
        field = 10;
        break parse;
      }
      bytesS2d[r] = q === s ? NaN : v;
      s = ++q;
      v = 0;
      c = b[q];
      while (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        c = b[++q];
      }
      if (c !== COMMA || q - s > 16) {
        field = 11;
        break parse;
      }
      packetsD2s[r] = q === s ? NaN : v;
      s = ++q;
      v = 0;
      c = b[q];
      while (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        c = b[++q];
      }
      if (q - s > 16) {
        field = 12;
        break parse;
      }
      if (c !== QUOTE) {
        field = c === COMMA ? 13 : 12;
        break parse;
      }
      bytesD2s[r] = q === s ? NaN : v;
    }
    if (field < 0) {
      batch.length = r + 1;
      p = q + 1;
      if (unknownEncryption >= 0) ctx.unknownEncryption.push(cache.strings[unknownEncryption]);
    } else {
      if (q >= n) throw NEED_MORE;
      const e = scanString(b, p, n);
      if (stringHasEscape) throw FALLBACK;
      ctx.bad(4, stringValue(b, p, e, false), field, p);
      p = e;
    }
    ctx.tupleIndex++;
    c = p < n ? b[p] : 0;
    if (c === COMMA) {
      p++;
      continue;
    }
    if (c === RBRACKET) {
      // The next flow group as Azure writes it: go on here (see `scanNsgTupleArray`).
      const next = chain ? nextEntry(b, p, n, NEXT_RULE_HEAD) : -1;
      if (next < 0) return p + 1;
      rule = refOfBytes(cache, b, nextValueStart, nextValueEnd, hashBytes(b, nextValueStart, nextValueEnd));
      ctx.entryRef = rule;
      ctx.entryRowStart = batch.length;
      p = next;
      continue;
    }
    p = ws(b, p, n);
    c = b[p];
    if (c === COMMA) {
      p++;
      continue;
    }
    if (c === RBRACKET) return p + 1;
    throw malformed(`expected ',' or ']' after a flow tuple, found ${describeByte(c)}`, p);
  }
}

/**
 * The NSG tuple loop, inlined like `scanVnetTupleArray`; must accept exactly what `parseNsgTuple`
 * accepts. `mac` goes into every row's MAC column (the caller fills again when it was not final).
 *
 * Fields 0–4 (timestamp with its shared-prefix shortcut, the two IPs with their previous-tuple
 * check, the ports) are the VNet loop's text, repeated on purpose:
 * the shortcut state lives in locals of each loop, and moving it into a shared helper or state
 * object puts the hot path at the mercy of V8's inlining (see `scanVnetTupleArray`). A change to
 * one of these fields goes into both loops; the stream tests compare both loops with the generic
 * `parse*Tuple` path.
 */
export function scanNsgTupleArray(
  ctx: TupleScanContext,
  b: Uint8Array,
  p: number,
  n: number,
  version: 1 | 2,
  mac: number,
  chain = false,
): number {
  p = ws(b, p, n);
  if (b[p] !== LBRACKET) throw malformed(`"flowTuples" must be an array, found ${describeByte(b[p])}`, p);
  p = ws(b, p + 1, n);
  if (b[p] === RBRACKET) return p + 1;
  const cache = ctx.cache;
  const view = ctx.view;
  let batch = ctx.batch;
  let capacity = batch.time_ms.length;
  let time = batch.time_ms;
  let srcIp = batch.src_ip;
  let dstIp = batch.dst_ip;
  let srcPort = batch.src_port;
  let dstPort = batch.dst_port;
  let protocol = batch.protocol;
  let direction = batch.direction;
  let state = batch.state;
  let decision = batch.decision;
  let encryption = batch.encryption;
  let packetsS2d = batch.packets_s2d;
  let bytesS2d = batch.bytes_s2d;
  let packetsD2s = batch.packets_d2s;
  let bytesD2s = batch.bytes_d2s;
  let macs = batch.mac;
  // Previous timestamp with 9-15 digits: b[tsStart, +tsLength), its first 8 digits' value.
  let tsStart = 0;
  let tsLength = 0;
  let tsHigh = 0;
  // Previous tuple's IPs: bytes b[start, +length) and their reference in this batch.
  let srcStart = 0;
  let srcLength = 0;
  let srcRef = 0;
  let dstStart = 0;
  let dstLength = 0;
  let dstRef = 0;
  for (;;) {
    let c = p < n ? b[p] : 0;
    if (c !== QUOTE) {
      p = ws(b, p, n);
      c = b[p];
      if (c !== QUOTE) throw malformed(`a flow tuple must be a string, found ${describeByte(c)}`, p);
    }
    const r = batch.length;
    if (r >= capacity) {
      batch = ctx.grow();
      capacity = batch.time_ms.length;
      time = batch.time_ms;
      srcIp = batch.src_ip;
      dstIp = batch.dst_ip;
      srcPort = batch.src_port;
      dstPort = batch.dst_port;
      protocol = batch.protocol;
      direction = batch.direction;
      state = batch.state;
      decision = batch.decision;
      encryption = batch.encryption;
      packetsS2d = batch.packets_s2d;
      bytesS2d = batch.bytes_s2d;
      packetsD2s = batch.packets_d2s;
      bytesD2s = batch.bytes_d2s;
      macs = batch.mac;
    }
    if (n - p < 512) scanString(b, p, n);
    let q = p + 1;
    let field = -1;
    parse: {
      // 0: timestamp
      // Tuples of a group share the leading digits of their timestamps: when the first 8 bytes
      // and the length match the previous timestamp's, only the digits after them are read.
      let s = q;
      let v = 0;
      let t = -1;
      if (
        tsLength > 0 &&
        b[q + tsLength] === COMMA &&
        view.getInt32(q, true) === view.getInt32(tsStart, true) &&
        view.getInt32(q + 4, true) === view.getInt32(tsStart + 4, true)
      ) {
        q += 8;
        c = b[q];
        while (c >= 48 && c <= 57) {
          v = v * 10 + (c - 48);
          c = b[++q];
        }
        if (q === s + tsLength) t = tsHigh * POW10[tsLength - 8] + v;
        else q = s;
      }
      if (t < 0) {
        // The first 9 digits and the rest are read as int32s: a chain of 13 double
        // multiply-adds per timestamp cost more than the rest of the field.
        v = 0;
        c = b[q];
        while (c >= 48 && c <= 57 && q - s < 9) {
          v = v * 10 + (c - 48);
          c = b[++q];
        }
        t = v;
        if (c >= 48 && c <= 57) {
          const from = q;
          v = 0;
          while (c >= 48 && c <= 57 && q - from < 8) {
            v = v * 10 + (c - 48);
            c = b[++q];
          }
          t = q - s < 16 ? t * POW10[q - from] + v : digitsValue(b, s, q);
        }
        if (c !== COMMA || q === s || q - s > 16) {
          field = 0;
          break parse;
        }
        if (q - s > 8 && q - s < 16) {
          tsStart = s;
          tsLength = q - s;
          tsHigh = (t / POW10[tsLength - 8]) | 0;
        }
      }
      time[r] = t < 1e11 ? t * 1000 : t;
      macs[r] = mac;
      // 1, 2: IPs. One side is usually the NIC's own address, the same as in the previous
      // tuple: compare with the previous tuple's bytes (four at a time) before parsing.
      let ref: number;
      s = q + 1;
      ref = -1;
      if (srcLength > 0 && b[s + srcLength] === COMMA) {
        let k = 0;
        while (k + 4 <= srcLength && view.getInt32(s + k, true) === view.getInt32(srcStart + k, true)) k += 4;
        if (k + 4 > srcLength) while (k < srcLength && b[s + k] === b[srcStart + k]) k++;
        if (k === srcLength) {
          ref = srcRef;
          q = s + srcLength;
        }
      }
      if (ref < 0) {
        ref = scanIp(b, s, cache);
        q = ipEnd;
        if (ref < 0) {
          field = 1;
          break parse;
        }
        srcStart = s;
        srcLength = q - s;
        srcRef = ref;
      }
      srcIp[r] = ref;
      s = q + 1;
      ref = -1;
      if (dstLength > 0 && b[s + dstLength] === COMMA) {
        let k = 0;
        while (k + 4 <= dstLength && view.getInt32(s + k, true) === view.getInt32(dstStart + k, true)) k += 4;
        if (k + 4 > dstLength) while (k < dstLength && b[s + k] === b[dstStart + k]) k++;
        if (k === dstLength) {
          ref = dstRef;
          q = s + dstLength;
        }
      }
      if (ref < 0) {
        ref = scanIp(b, s, cache);
        q = ipEnd;
        if (ref < 0) {
          field = 2;
          break parse;
        }
        dstStart = s;
        dstLength = q - s;
        dstRef = ref;
      }
      dstIp[r] = ref;
      // 3: source port
      s = ++q;
      v = 0;
      c = b[q];
      while (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        c = b[++q];
      }
      if (c !== COMMA || q === s || q - s > 5 || v > 65535) {
        field = 3;
        break parse;
      }
      srcPort[r] = v;
      // 4: destination port
      s = ++q;
      v = 0;
      c = b[q];
      while (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        c = b[++q];
      }
      if (c !== COMMA || q === s || q - s > 5 || v > 65535) {
        field = 4;
        break parse;
      }
      dstPort[r] = v;
      // 5: protocol, T/U or a number
      s = ++q;
      c = b[q];
      if (c === 0x54) {
        protocol[r] = 6;
        c = b[++q];
      } else if (c === 0x55) {
        protocol[r] = 17;
        c = b[++q];
      } else {
        v = 0;
        while (c >= 48 && c <= 57) {
          v = v * 10 + (c - 48);
          c = b[++q];
        }
        if (q === s || q - s > 3 || v > 255) {
          field = 5;
          break parse;
        }
        protocol[r] = v;
      }
      if (c !== COMMA) {
        field = 5;
        break parse;
      }
      // 6: direction
      c = b[++q];
      if (c === 0x49) direction[r] = 0;
      else if (c === 0x4f) direction[r] = 1;
      else {
        field = 6;
        break parse;
      }
      if (b[++q] !== COMMA) {
        field = 6;
        break parse;
      }
      // 7: decision
      c = b[++q];
      if (c === 0x41) decision[r] = 0;
      else if (c === 0x44) decision[r] = 1;
      else {
        field = 7;
        break parse;
      }
      encryption[r] = 0xffffffff;
      c = b[++q];
      if (version === 1) {
        if (c !== QUOTE) {
          field = c === COMMA ? 8 : 7;
          break parse;
        }
        state[r] = 0;
        packetsS2d[r] = NaN;
        bytesS2d[r] = NaN;
        packetsD2s[r] = NaN;
        bytesD2s[r] = NaN;
        break parse;
      }
      if (c !== COMMA) {
        field = c === QUOTE ? 8 : 7;
        break parse;
      }
      // 8: state (no D in NSG: a deny is the decision field)
      c = b[++q];
      if (c === 0x42) state[r] = 1;
      else if (c === 0x43) state[r] = 2;
      else if (c === 0x45) state[r] = 3;
      else {
        field = 8;
        break parse;
      }
      if (b[++q] !== COMMA) {
        field = 8;
        break parse;
      }
      // 9–12: counters, empty ⇒ NaN
      s = ++q;
      v = 0;
      c = b[q];
      while (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        c = b[++q];
      }
      if (c !== COMMA || q - s > 16) {
        field = 9;
        break parse;
      }
      packetsS2d[r] = q === s ? NaN : v;
      s = ++q;
      v = 0;
      c = b[q];
      while (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        c = b[++q];
      }
      if (c !== COMMA || q - s > 16) {
        field = 10;
        break parse;
      }
      bytesS2d[r] = q === s ? NaN : v;
      s = ++q;
      v = 0;
      c = b[q];
      while (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        c = b[++q];
      }
      if (c !== COMMA || q - s > 16) {
        field = 11;
        break parse;
      }
      packetsD2s[r] = q === s ? NaN : v;
      s = ++q;
      v = 0;
      c = b[q];
      while (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        c = b[++q];
      }
      if (q - s > 16) {
        field = 12;
        break parse;
      }
      if (c !== QUOTE) {
        field = c === COMMA ? 13 : 12;
        break parse;
      }
      bytesD2s[r] = q === s ? NaN : v;
    }
    if (field < 0) {
      batch.length = r + 1;
      p = q + 1;
    } else {
      if (q >= n) throw NEED_MORE;
      const e = scanString(b, p, n);
      if (stringHasEscape) throw FALLBACK;
      ctx.bad(version, stringValue(b, p, e, false), field, p);
      p = e;
    }
    ctx.tupleIndex++;
    c = p < n ? b[p] : 0;
    if (c === COMMA) {
      p++;
      continue;
    }
    if (c === RBRACKET) {
      // Azure writes a rule's MAC entries one after another: go on into the next one here
      // instead of returning through the caller's object and array loops (NSG entries hold
      // ~5 tuples each, so that round trip cost more per tuple than any field).
      const next = chain ? nextEntry(b, p, n, NEXT_MAC_HEAD) : -1;
      if (next < 0) return p + 1;
      mac = refOfBytes(cache, b, nextValueStart, nextValueEnd, hashBytes(b, nextValueStart, nextValueEnd));
      ctx.entryRef = mac;
      ctx.entryRowStart = batch.length;
      p = next;
      continue;
    }
    p = ws(b, p, n);
    c = b[p];
    if (c === COMMA) {
      p++;
      continue;
    }
    if (c === RBRACKET) return p + 1;
    throw malformed(`expected ',' or ']' after a flow tuple, found ${describeByte(c)}`, p);
  }
}
