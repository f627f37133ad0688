/**
 * Streaming decoder: flow-log bytes in (any chunking), `FlowBatch`es out.
 *
 * Accepts a whole `PT1H.json` (`{"records":[…]}`), the head block alone, or a fragment made of
 * middle blocks (each record block after the first starts with a comma; whitespace and CR/LF are
 * skipped anywhere between tokens), optionally followed by the `]}` tail block. It never parses a
 * whole file as one JSON document: records are scanned one at a time straight from the bytes,
 * tuples are parsed field by field into the typed arrays, and strings are interned through a
 * byte-keyed cache (see intern.ts). Memory stays at about one batch plus one record.
 *
 * Two paths, one result:
 * - the fast path reads keys in any order, skips unknown keys, and handles whitespace;
 * - a generic path (a full JSON value parse of that one record) takes over for the rare records
 *   the fast path declines: escaped strings, or NSG `flows` seen before `Version`.
 *
 * Record-level fields (time, MAC, resource IDs, version, lineage) are filled into the record's
 * rows when the record ends, so nothing depends on key order.
 *
 * Errors: strict mode (default) throws `FlowLogFormatError` naming source, block, record index,
 * tuple index and byte offset. Lenient mode skips the bad tuple (or, for a broken record, the
 * record) and counts it by reason in `DecodeStats`.
 */
import { FlowLogFormatError } from '../errors.js';
import { capacityOf, NULL_REF, type FlowBatch } from './flowbatch.js';
import type { FlowLogRecord } from './records.js';
import {
  COLON,
  COMMA,
  FALLBACK,
  LBRACE,
  LBRACKET,
  NEED_MORE,
  QUOTE,
  RBRACE,
  RBRACKET,
  describeByte,
  expectByte,
  isMalformed,
  malformed,
  parseEnd,
  parseValue,
  scanString,
  skipValue,
  skipWs,
  stringHasEscape,
  stringValue,
  type JsonValue,
  type Malformed,
} from './json.js';
import {
  addBatchString,
  createByteCache,
  endBatch,
  describeTupleFailure,
  hashBytes,
  parseTupleText,
  refOfBytes,
  refOfString,
  scanNsgTupleArray,
  scanVnetTupleArray,
  startBatch,
  textOf,
  tupleFailureKey,
  type ByteCache,
  type TupleScanContext,
} from './scanner.js';

export interface DecodeOptions {
  /** File path or blob name: used in errors and as every row's `blob` value. */
  source?: string;
  /**
   * Block lineage for every row: a fixed block id, or a function from the absolute byte offset
   * of a record's first byte to the id of the block holding it. `push(chunk, blockId)` is a
   * third way. Rows get `null` when none is given.
   */
  block?: string | ((offset: number) => string | null);
  /** Skip bad tuples and records and count them instead of throwing. Default false. */
  lenient?: boolean;
  /** Rows per emitted batch (a batch may exceed it by the rows of one record). Default 65536. */
  batchSize?: number;
  /** Absolute offset of the first byte pushed, when decoding a range of a blob. Default 0. */
  baseOffset?: number;
  /** Index of the first record pushed, when decoding a range of a blob. Default 0. */
  firstRecordIndex?: number;
  /** Reject records of the other family (`vnet`: flowLogVersion 4 only; `nsg`: versions 1 and 2). */
  expect?: 'vnet' | 'nsg';
  /** Receives each full batch, and the last partial one at `end()`. */
  onBatch: (batch: FlowBatch) => void;
  /**
   * The string cache of an earlier decoder to go on with (see `createDecoderCache`): a thread
   * decoding many small chunks (ingestion) keeps the strings it has made — addresses, MACs,
   * resource IDs, rules — instead of building them again for every chunk. One decoder at a time.
   */
  cache?: DecoderCache;
  /**
   * Opt-in reuse of batch memory (see `createBatchPool`). With a pool, a batch handed to
   * `onBatch` is the callback's only until it returns: the decoder then fills the same columns
   * with the next rows, and `end()` leaves the last batch's columns in the pool for the next
   * decoder given it. For consumers that are done with each batch inside the callback (count,
   * aggregate, write out, copy); not for ones that keep, queue or transfer batches. Default: none,
   * every batch is new memory the caller keeps.
   */
  batchPool?: BatchPool;
}

/**
 * Column memory kept between batches and decoders (`DecodeOptions.batchPool`). A full batch is
 * ~6.5 MB of columns (64k rows); allocating it fresh costs the page faults of touching it the
 * first time (measured 10–50 ms of system time per million rows), which reuse skips. Holds at
 * most one spare batch; each decoder takes it when created and puts its last batch back at end.
 */
export interface BatchPool {
  spare: FlowBatch | null;
}

export function createBatchPool(): BatchPool {
  return { spare: null };
}

/** Byte-to-string cache a decoder fills; reusable by later decoders on the same thread. */
export type DecoderCache = ByteCache;

export function createDecoderCache(): DecoderCache {
  return createByteCache();
}

export interface DecodeStats {
  /** Bytes pushed. */
  bytes: number;
  /** Records decoded (skipped records excluded). */
  records: number;
  /** Rows emitted. */
  tuples: number;
  /** Tuples skipped in lenient mode (including those of skipped records). */
  skipped: number;
  /** Records skipped whole in lenient mode. */
  skippedRecords: number;
  /** Lenient-mode skips by reason (tuples and records). */
  skipReasons: Record<string, number>;
  /** Encryption values outside the documented list (§1.5): kept in the rows, counted here. */
  unknownEncryption: Record<string, number>;
  /** Records decoded per flow-log version. */
  versions: { 1: number; 2: number; 4: number };
}

export interface FlowDecoder {
  /** Feeds the next bytes; `block` names the block these bytes belong to (for lineage). */
  push(chunk: Uint8Array, block?: string): void;
  /** Declares the input complete; flushes the last batch and returns the totals. */
  end(): DecodeStats;
  readonly stats: DecodeStats;
}

export function emptyStats(): DecodeStats {
  return {
    bytes: 0,
    records: 0,
    tuples: 0,
    skipped: 0,
    skippedRecords: 0,
    skipReasons: {},
    unknownEncryption: {},
    versions: { 1: 0, 2: 0, 4: 0 },
  };
}

const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const K_TIME = ascii('time');
const K_FLOW_LOG_VERSION = ascii('flowLogVersion');
const K_MAC_ADDRESS = ascii('macAddress');
const K_FLOW_LOG_RESOURCE_ID = ascii('flowLogResourceID');
const K_RESOURCE_ID = ascii('resourceId');
const K_TARGET_RESOURCE_ID = ascii('targetResourceID');
const K_FLOW_RECORDS = ascii('flowRecords');
const K_PROPERTIES = ascii('properties');
const K_RECORDS = ascii('records');
const K_FLOWS = ascii('flows');
const K_ACL_ID = ascii('aclID');
const K_FLOW_GROUPS = ascii('flowGroups');
const K_RULE = ascii('rule');
const K_FLOW_TUPLES = ascii('flowTuples');
const K_VERSION = ascii('Version');
const K_MAC = ascii('mac');
const RESYNC_PATTERN = Buffer.from('{"time"', 'latin1');
/** The compact starts of a flow group and of an NSG MAC entry, and the key between their members. */
const P_RULE = ascii('{"rule":');
const P_MAC = ascii('{"mac":');
const P_FLOW_TUPLES = ascii(',"flowTuples":');
/** `groupRuleWritten` / `macWritten` when the rows' values were not all written by a tuple loop. */
const MIXED = -2;

/** True when the key token `b[ks, ke)` (quotes included) spells `key`. */
function keyIs(b: Uint8Array, ks: number, ke: number, key: Uint8Array): boolean {
  const len = key.length;
  if (ke - ks - 2 !== len) return false;
  for (let i = 0; i < len; i++) if (b[ks + 1 + i] !== key[i]) return false;
  return true;
}

const enum State {
  Start,
  Array,
  AfterArray,
  Done,
  Resync,
}

const FAMILY_NONE = 0;
const FAMILY_VNET = 4;
const FAMILY_NSG = 1;

const EMPTY = new Uint8Array(0);

/**
 * A batch for the decoder to fill: like `allocateFlowBatch`, but each column's memory comes
 * unfilled (`Buffer.allocUnsafeSlow`, one ArrayBuffer per column as before). Zero-filling ~6 MB
 * per 64k-row batch was ~5% of decoding; every column of every row below `length` is written by
 * the tuple loops or the record fills, so nothing reads the unfilled bytes.
 */
function allocateDecoderBatch(capacity: number): FlowBatch {
  const f64 = () => new Float64Array(Buffer.allocUnsafeSlow(capacity * 8).buffer, 0, capacity);
  const u32 = () => new Uint32Array(Buffer.allocUnsafeSlow(capacity * 4).buffer, 0, capacity);
  const u16 = () => new Uint16Array(Buffer.allocUnsafeSlow(capacity * 2).buffer, 0, capacity);
  const u8 = () => new Uint8Array(Buffer.allocUnsafeSlow(capacity).buffer, 0, capacity);
  return {
    length: 0,
    strings: [],
    time_ms: f64(),
    version: u8(),
    src_port: u16(),
    dst_port: u16(),
    protocol: u8(),
    direction: u8(),
    state: u8(),
    decision: u8(),
    packets_s2d: f64(),
    bytes_s2d: f64(),
    packets_d2s: f64(),
    bytes_d2s: f64(),
    record_time: u32(),
    mac: u32(),
    flow_log_id: u32(),
    target_resource_id: u32(),
    acl_id: u32(),
    rule: u32(),
    src_ip: u32(),
    dst_ip: u32(),
    encryption: u32(),
    blob: u32(),
    block: u32(),
  };
}

function growBatch(batch: FlowBatch, capacity: number): FlowBatch {
  const next = allocateDecoderBatch(capacity);
  next.length = batch.length;
  next.strings = batch.strings;
  for (const key of Object.keys(batch) as (keyof FlowBatch)[]) {
    const from = batch[key];
    if (ArrayBuffer.isView(from)) (next[key] as typeof from).set(from as never);
  }
  return next;
}

/** Internal: when set, the decoder collects each record's JSON value instead of rows. */
interface RecordSink {
  (value: JsonValue, index: number): void;
}

export function createDecoder(options: DecodeOptions): FlowDecoder {
  return createDecoderInternal(options, undefined, false);
}

/** @internal `forceGeneric` runs every record through the generic path (tests compare paths). */
export function createDecoderInternal(
  options: DecodeOptions,
  recordSink: RecordSink | undefined,
  forceGeneric: boolean,
): FlowDecoder {
  const lenient = options.lenient === true;
  const batchSize = Math.max(1, options.batchSize ?? 65536);
  const source = options.source;
  const onBatch = options.onBatch;
  const expectFamily = options.expect === 'vnet' ? FAMILY_VNET : options.expect === 'nsg' ? FAMILY_NSG : 0;
  const stats = emptyStats();
  const cache: ByteCache = options.cache ?? createByteCache();

  const pool = options.batchPool;
  let batch = pool?.spare ?? allocateDecoderBatch(Math.min(batchSize + 64, 4096));
  if (pool !== undefined && pool.spare === batch) {
    pool.spare = null;
    batch.length = 0;
    batch.strings = [];
  }
  let learnedCapacity = capacityOf(batch);
  startBatch(cache);

  // Input window: `b[0, n)` holds bytes from absolute offset `bufBase`; between pushes only the
  // unfinished tail (the carry) stays in it.
  let b: Uint8Array = EMPTY;
  let n = 0;
  let bufBase = options.baseOffset ?? 0;
  let totalPushed = options.baseOffset ?? 0;
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  /** Absolute offset of `pending[0][0]`. */
  let pendingBase = options.baseOffset ?? 0;
  let needAtLeast = 0;
  const blockMarks: { offset: number; id: string }[] = [];

  // Framing state.
  let state: State = State.Start;
  let needSeparator = false;
  let lastWasComma = false;
  /** Set when lenient recovery moved the read position (the next record needs no comma). */
  let resynced = false;
  let recordIndex = options.firstRecordIndex ?? 0;
  let ended = false;

  // Per-record state.
  let recFamily = FAMILY_NONE;
  let recVersion = 0;
  let recTime = -1;
  let recMac = -1;
  let recFlowLog = -1;
  let recFlowLogIsAlias = false;
  let recTarget = -1;
  let recNested = false;
  let recRowStart = 0;
  let pendingSkipped = 0;
  const pendingReasons: string[] = [];
  const pendingUnknown: string[] = [];
  const tuples: TupleScanContext = {
    batch,
    cache,
    tupleIndex: 0,
    unknownEncryption: pendingUnknown,
    grow() {
      // Up to one batch's worth (plus a record's slack) in steps of 4, straight to full size once
      // a step would reach half of it, then doubling: the first batch of a long decode copies 20k
      // rows on its way to full size (4096 -> 16384 -> 69632 with the default size) instead of
      // 86k, and stops at the size later batches get instead of overshooting.
      const now = capacityOf(batch);
      const full = batchSize + 4096;
      batch = growBatch(batch, now < full ? (now * 8 >= full ? full : now * 4) : now * 2);
      learnedCapacity = Math.max(learnedCapacity, capacityOf(batch));
      tuples.batch = batch;
      return batch;
    },
    bad: badTuple,
    view: new DataView(EMPTY.buffer),
    entryRowStart: -1,
    entryRef: -1,
  };

  function resetRecord(): void {
    recFamily = FAMILY_NONE;
    recVersion = 0;
    recTime = -1;
    recMac = -1;
    recFlowLog = -1;
    recFlowLogIsAlias = false;
    recTarget = -1;
    recNested = false;
    recRowStart = batch.length;
    tuples.tupleIndex = 0;
    tuples.batch = batch;
    pendingSkipped = 0;
    pendingReasons.length = 0;
    pendingUnknown.length = 0;
  }

  function blockAt(offset: number): string | null {
    const block = options.block;
    if (typeof block === 'function') return block(offset);
    if (blockMarks.length > 0) {
      let lo = 0;
      let hi = blockMarks.length - 1;
      if (offset < blockMarks[0].offset) return typeof block === 'string' ? block : null;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (blockMarks[mid].offset <= offset) lo = mid;
        else hi = mid - 1;
      }
      return blockMarks[lo].id;
    }
    return block ?? null;
  }

  function formatError(
    m: Malformed,
    recordAbsOffset: number | undefined,
    inRecord: boolean,
  ): FlowLogFormatError {
    const offset = bufBase + m.offset;
    const block = blockAt(recordAbsOffset ?? offset);
    return new FlowLogFormatError(m.reason, {
      source,
      block: block ?? undefined,
      record: inRecord ? recordIndex : undefined,
      tuple: m.tuple,
      offset,
    });
  }

  // ---- string fields -------------------------------------------------------------------------

  /** Reads a string value at `p` into a batch reference; result in `stringRef`. */
  let stringRef = 0;
  function readStringRef(p: number, field: string): number {
    if (b[p] !== QUOTE) throw malformed(`"${field}" must be a string, found ${describeByte(b[p])}`, p);
    const e = scanString(b, p, n);
    if (stringHasEscape) {
      stringRef = refOfString(cache, stringValue(b, p, e, true));
    } else {
      stringRef = refOfBytes(cache, b, p + 1, e - 1, hashBytes(b, p + 1, e - 1));
    }
    return e;
  }

  let intValue = 0;
  function readInt(p: number, field: string): number {
    const s = p;
    let v = 0;
    while (p < n && b[p] >= 0x30 && b[p] <= 0x39 && p - s < 10) v = v * 10 + (b[p++] - 0x30);
    if (p >= n) throw NEED_MORE;
    if (p === s) {
      if (b[p] === QUOTE || b[p] === LBRACE || b[p] === LBRACKET) {
        throw malformed(`"${field}" must be a number, found ${describeByte(b[p])}`, p);
      }
      throw FALLBACK;
    }
    const c = b[p];
    if (!(c === COMMA || c === RBRACE || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09))
      throw FALLBACK;
    intValue = v;
    return p;
  }

  // ---- tuples -------------------------------------------------------------------------------

  function badTuple(version: 1 | 2 | 4, text: string, field: number, offset: number): void {
    if (!lenient) {
      throw malformed(describeTupleFailure(version, text, field), offset, tuples.tupleIndex);
    }
    pendingSkipped++;
    pendingReasons.push(tupleFailureKey(version, text, field));
  }

  // ---- VNet (flowRecords) ---------------------------------------------------------------------

  /** Generic object loop: calls `onKey(ks, ke, valueStart)` which returns the index after the value. */
  function scanObject(p: number, what: string, onKey: (ks: number, ke: number, v: number) => number): number {
    p = skipWs(b, p, n);
    if (b[p] !== LBRACE) throw malformed(`${what} must be an object, found ${describeByte(b[p])}`, p);
    p = skipWs(b, p + 1, n);
    if (b[p] === RBRACE) return p + 1;
    return objectMembers(p, what, onKey);
  }

  /** The members of an object from the key at `p` on; returns the index after its `}`. */
  function objectMembers(
    p: number,
    what: string,
    onKey: (ks: number, ke: number, v: number) => number,
  ): number {
    for (;;) {
      p = skipWs(b, p, n);
      const ks = p;
      p = scanString(b, p, n);
      if (stringHasEscape) throw FALLBACK;
      const ke = p;
      p = expectByte(b, p, n, COLON, "':'");
      p = onKey(ks, ke, skipWs(b, p, n));
      p = skipWs(b, p, n);
      const c = b[p];
      if (c === COMMA) {
        p++;
        continue;
      }
      if (c === RBRACE) return p + 1;
      throw malformed(`expected ',' or '}' in ${what}, found ${describeByte(c)}`, p);
    }
  }

  /** After a member's value ending at `p`: the rest of the object; returns the index after its `}`. */
  function restOfObject(
    p: number,
    what: string,
    onKey: (ks: number, ke: number, v: number) => number,
  ): number {
    p = skipWs(b, p, n);
    const c = b[p];
    if (c === RBRACE) return p + 1;
    if (c === COMMA) return objectMembers(p + 1, what, onKey);
    throw malformed(`expected ',' or '}' in ${what}, found ${describeByte(c)}`, p);
  }

  /** True when `b[p, …)` starts with `pattern` (false when the bytes end first). */
  function startsWith(p: number, pattern: Uint8Array): boolean {
    const len = pattern.length;
    if (p + len > n) return false;
    for (let i = 0; i < len; i++) if (b[p + i] !== pattern[i]) return false;
    return true;
  }

  function scanArray(p: number, what: string, onItem: (p: number) => number): number {
    p = skipWs(b, p, n);
    if (b[p] !== LBRACKET) throw malformed(`${what} must be an array, found ${describeByte(b[p])}`, p);
    p = skipWs(b, p + 1, n);
    if (b[p] === RBRACKET) return p + 1;
    for (;;) {
      p = onItem(skipWs(b, p, n));
      p = skipWs(b, p, n);
      const c = b[p];
      if (c === COMMA) {
        p++;
        continue;
      }
      if (c === RBRACKET) return p + 1;
      throw malformed(`expected ',' or ']' in ${what}, found ${describeByte(c)}`, p);
    }
  }

  function fillRule(ref: number, from: number, at: number, what: string): void {
    if (batch.length > from) {
      if (ref < 0) throw malformed(`${what} has flow tuples but no "rule"`, at);
      batch.rule.fill(ref, from, batch.length);
    }
  }

  const onGroupKey = (ks: number, ke: number, p: number): number => {
    if (keyIs(b, ks, ke, K_RULE)) {
      p = readStringRef(p, 'rule');
      groupRule = stringRef;
      return p;
    }
    if (keyIs(b, ks, ke, K_FLOW_TUPLES)) {
      groupRuleWritten = MIXED;
      return scanVnetTupleArray(tuples, b, p, n, groupRule);
    }
    return skipValue(b, p, n);
  };
  let groupRule = -1;
  /** The rule the tuple loop wrote into the group's rows, or MIXED when the rows need a fill. */
  let groupRuleWritten = MIXED;
  /**
   * A group as Azure writes it, `{"rule":"…","flowTuples":[…]}`, is read without the key loop and
   * the tuple loop writes its rule into each row; anything else (other key order, whitespace,
   * more keys) continues through the generic member loop from where the pattern stopped.
   */
  const scanGroup = (p: number): number => {
    let from = batch.length;
    groupRule = -1;
    groupRuleWritten = MIXED;
    let end: number;
    if (startsWith(p, P_RULE) && b[p + P_RULE.length] === QUOTE) {
      let q = readStringRef(p + P_RULE.length, 'rule');
      groupRule = stringRef;
      if (startsWith(q, P_FLOW_TUPLES)) {
        tuples.entryRowStart = -1;
        q = scanVnetTupleArray(tuples, b, q + P_FLOW_TUPLES.length, n, groupRule, true);
        if (tuples.entryRowStart >= 0) {
          // The loop went on through following compact groups (their rows have their rules).
          from = tuples.entryRowStart;
          groupRule = tuples.entryRef;
        }
        groupRuleWritten = groupRule;
      }
      end = restOfObject(q, 'a flowGroups entry', onGroupKey);
    } else {
      end = scanObject(p, 'a flowGroups entry', onGroupKey);
    }
    if (groupRule !== groupRuleWritten || groupRule < 0) fillRule(groupRule, from, p, 'a flowGroups entry');
    return end;
  };

  let aclRef = NULL_REF;
  const onAclKey = (ks: number, ke: number, p: number): number => {
    if (keyIs(b, ks, ke, K_ACL_ID)) {
      p = readStringRef(p, 'aclID');
      aclRef = stringRef;
      return p;
    }
    if (keyIs(b, ks, ke, K_FLOW_GROUPS)) return scanArray(p, '"flowGroups"', scanGroup);
    return skipValue(b, p, n);
  };
  const scanAcl = (p: number): number => {
    const from = batch.length;
    aclRef = NULL_REF;
    const end = scanObject(p, 'a flows entry', onAclKey);
    if (batch.length > from) batch.acl_id.fill(aclRef, from, batch.length);
    return end;
  };
  const onFlowRecordsKey = (ks: number, ke: number, p: number): number => {
    if (keyIs(b, ks, ke, K_FLOWS)) return scanArray(p, '"flowRecords.flows"', scanAcl);
    return skipValue(b, p, n);
  };

  // ---- NSG (properties) -----------------------------------------------------------------------

  let macRef = -1;
  /** The MAC the tuple loop wrote into the entry's rows, or MIXED when the rows need a fill. */
  let macWritten = MIXED;
  const onMacFlowKey = (ks: number, ke: number, p: number): number => {
    if (keyIs(b, ks, ke, K_MAC)) {
      p = readStringRef(p, 'mac');
      macRef = stringRef;
      return p;
    }
    if (keyIs(b, ks, ke, K_FLOW_TUPLES)) {
      macWritten = MIXED;
      return scanNsgTupleArray(tuples, b, p, n, recVersion as 1 | 2, macRef);
    }
    return skipValue(b, p, n);
  };
  /** Like `scanGroup`: `{"mac":"…","flowTuples":[…]}` has the MAC written by the tuple loop. */
  const scanMacFlow = (p: number): number => {
    let from = batch.length;
    macRef = -1;
    macWritten = MIXED;
    let end: number;
    if (startsWith(p, P_MAC) && b[p + P_MAC.length] === QUOTE) {
      let q = readStringRef(p + P_MAC.length, 'mac');
      macRef = stringRef;
      if (startsWith(q, P_FLOW_TUPLES)) {
        tuples.entryRowStart = -1;
        q = scanNsgTupleArray(tuples, b, q + P_FLOW_TUPLES.length, n, recVersion as 1 | 2, macRef, true);
        if (tuples.entryRowStart >= 0) {
          // The loop went on through following compact entries (their rows have their MACs):
          // what follows belongs to the last of them.
          from = tuples.entryRowStart;
          macRef = tuples.entryRef;
        }
        macWritten = macRef;
      }
      end = restOfObject(q, 'a rule\'s "flows" entry', onMacFlowKey);
    } else {
      end = scanObject(p, 'a rule\'s "flows" entry', onMacFlowKey);
    }
    if (batch.length > from) {
      if (macRef < 0) throw malformed('an NSG flows entry has flow tuples but no "mac"', p);
      if (macRef !== macWritten) batch.mac.fill(macRef, from, batch.length);
    }
    return end;
  };
  let nsgRule = -1;
  const onRuleKey = (ks: number, ke: number, p: number): number => {
    if (keyIs(b, ks, ke, K_RULE)) {
      p = readStringRef(p, 'rule');
      nsgRule = stringRef;
      return p;
    }
    if (keyIs(b, ks, ke, K_FLOWS)) return scanArray(p, 'a rule\'s "flows"', scanMacFlow);
    return skipValue(b, p, n);
  };
  const scanRule = (p: number): number => {
    const from = batch.length;
    nsgRule = -1;
    const end = scanObject(p, 'a properties.flows entry', onRuleKey);
    fillRule(nsgRule, from, p, 'an NSG rule entry');
    return end;
  };
  const onPropertiesKey = (ks: number, ke: number, p: number): number => {
    if (keyIs(b, ks, ke, K_VERSION)) {
      p = readInt(p, 'Version');
      if (intValue !== 1 && intValue !== 2)
        throw malformed(`unsupported NSG flow log Version ${intValue}`, p);
      recVersion = intValue;
      return p;
    }
    if (keyIs(b, ks, ke, K_FLOWS)) {
      if (recVersion === 0) throw FALLBACK;
      return scanArray(p, '"properties.flows"', scanRule);
    }
    return skipValue(b, p, n);
  };

  // ---- record -------------------------------------------------------------------------------

  function setFamily(family: number, at: number): void {
    if (recFamily !== FAMILY_NONE && recFamily !== family) {
      throw malformed('record has both "flowRecords" (VNet) and "properties" (NSG)', at);
    }
    recFamily = family;
  }

  const onRecordKey = (ks: number, ke: number, p: number): number => {
    switch (ke - ks - 2) {
      case 4:
        if (keyIs(b, ks, ke, K_TIME)) {
          if (b[p] !== QUOTE) throw malformed(`"time" must be a string, found ${describeByte(b[p])}`, p);
          const e = scanString(b, p, n);
          // Record times are unique per record: straight into the dictionary, no cache entry.
          recTime = addBatchString(
            cache,
            stringHasEscape ? stringValue(b, p, e, true) : textOf(b, p + 1, e - 1),
          );
          return e;
        }
        break;
      case 14:
        if (keyIs(b, ks, ke, K_FLOW_LOG_VERSION)) {
          p = readInt(p, 'flowLogVersion');
          if (intValue !== 4) throw malformed(`unsupported flowLogVersion ${intValue}`, p);
          recVersion = 4;
          return p;
        }
        break;
      case 10:
        if (keyIs(b, ks, ke, K_MAC_ADDRESS)) {
          p = readStringRef(p, 'macAddress');
          recMac = stringRef;
          return p;
        }
        if (keyIs(b, ks, ke, K_RESOURCE_ID)) {
          p = readStringRef(p, 'resourceId');
          if (recFlowLog < 0) {
            recFlowLog = stringRef;
            recFlowLogIsAlias = true;
          }
          return p;
        }
        if (keyIs(b, ks, ke, K_PROPERTIES)) {
          setFamily(FAMILY_NSG, p);
          return scanObject(p, '"properties"', onPropertiesKey);
        }
        break;
      case 17:
        if (keyIs(b, ks, ke, K_FLOW_LOG_RESOURCE_ID)) {
          p = readStringRef(p, 'flowLogResourceID');
          if (recFlowLog < 0 || recFlowLogIsAlias) recFlowLog = stringRef;
          recFlowLogIsAlias = false;
          return p;
        }
        break;
      case 16:
        if (keyIs(b, ks, ke, K_TARGET_RESOURCE_ID)) {
          p = readStringRef(p, 'targetResourceID');
          recTarget = stringRef;
          return p;
        }
        break;
      case 11:
        if (keyIs(b, ks, ke, K_FLOW_RECORDS)) {
          setFamily(FAMILY_VNET, p);
          return scanObject(p, '"flowRecords"', onFlowRecordsKey);
        }
        break;
      case 7:
        if (keyIs(b, ks, ke, K_RECORDS)) recNested = true;
        break;
    }
    return skipValue(b, p, n);
  };

  function scanRecordFast(p: number): number {
    return scanObject(p, 'a record', onRecordKey);
  }

  /** Validates the record's header and fills record-level columns into its rows. */
  function finishRecord(at: number, recordAbsOffset: number): void {
    if (recFamily === FAMILY_NONE) {
      throw malformed(
        recNested
          ? 'record nests its own "records" array (as in the malformed NSG v1 documentation sample); records must not nest'
          : 'record has neither "flowRecords" (VNet flow log) nor "properties" (NSG flow log)',
        at,
      );
    }
    if (expectFamily !== 0 && expectFamily !== recFamily) {
      throw malformed(
        expectFamily === FAMILY_VNET
          ? 'expected VNet flow-log records, found an NSG record'
          : 'expected NSG flow-log records, found a VNet record',
        at,
      );
    }
    if (recTime < 0) throw malformed('record has no "time"', at);
    const from = recRowStart;
    const to = batch.length;
    if (recFamily === FAMILY_VNET) {
      if (recMac < 0) throw malformed('VNet record has no "macAddress"', at);
      if (recFlowLog < 0) throw malformed('VNet record has neither "flowLogResourceID" nor "resourceId"', at);
      // A missing flowLogVersion is read as 4: flowRecords only exists in version 4.
      recVersion = 4;
      if (to > from) {
        batch.mac.fill(recMac, from, to);
        batch.target_resource_id.fill(recTarget < 0 ? NULL_REF : recTarget, from, to);
      }
    } else {
      if (recVersion !== 1 && recVersion !== 2) throw malformed('NSG record has no "properties.Version"', at);
      if (recFlowLog < 0) throw malformed('NSG record has no "resourceId"', at);
      if (to > from) {
        batch.acl_id.fill(NULL_REF, from, to);
        batch.target_resource_id.fill(NULL_REF, from, to);
      }
    }
    if (to > from) {
      batch.version.fill(recVersion, from, to);
      batch.record_time.fill(recTime, from, to);
      batch.flow_log_id.fill(recFlowLog, from, to);
      batch.blob.fill(source === undefined ? NULL_REF : refOfString(cache, source), from, to);
      batch.block.fill(lineageRef(blockAt(recordAbsOffset)), from, to);
    }
  }

  // Block lineages differ from record to record (one minute block each): batch-only strings
  // like record times, not cache entries, so no encoding and hashing per record; consecutive
  // records of one block in a batch share the entry.
  let lastLineage: string | null = null;
  let lastLineageRef = NULL_REF;
  let lastLineageBatch = -1;
  function lineageRef(lineage: string | null): number {
    if (lineage === null) return NULL_REF;
    if (lineage !== lastLineage || lastLineageBatch !== cache.currentGeneration) {
      lastLineage = lineage;
      lastLineageBatch = cache.currentGeneration;
      lastLineageRef = addBatchString(cache, lineage);
    }
    return lastLineageRef;
  }

  function commitRecord(): void {
    stats.records++;
    stats.tuples += batch.length - recRowStart;
    stats.versions[recVersion as 1 | 2 | 4]++;
    commitPendingSkips();
    for (const value of pendingUnknown)
      stats.unknownEncryption[value] = (stats.unknownEncryption[value] ?? 0) + 1;
  }

  function commitPendingSkips(): void {
    stats.skipped += pendingSkipped;
    for (const reason of pendingReasons) stats.skipReasons[reason] = (stats.skipReasons[reason] ?? 0) + 1;
  }

  function skipRecord(reason: string, droppedRows: number): void {
    stats.skippedRecords++;
    stats.skipped += droppedRows;
    stats.skipReasons[reason] = (stats.skipReasons[reason] ?? 0) + 1;
  }

  // ---- generic path -------------------------------------------------------------------------

  function genericTuples(value: JsonValue | undefined, version: 1 | 2 | 4, at: number): void {
    if (value === undefined) return;
    if (!Array.isArray(value)) throw malformed('"flowTuples" must be an array', at);
    for (const item of value) {
      if (typeof item !== 'string') throw malformed('a flow tuple must be a string', at, tuples.tupleIndex);
      parseTupleText(tuples, item, version, at);
    }
  }

  function asObject(value: JsonValue | undefined, what: string, at: number): Record<string, JsonValue> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw malformed(`${what} must be an object`, at);
    }
    return value;
  }
  function asArray(value: JsonValue | undefined, what: string, at: number): JsonValue[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw malformed(`${what} must be an array`, at);
    return value;
  }
  function optString(value: JsonValue | undefined, what: string, at: number): number {
    if (value === undefined) return -1;
    if (typeof value !== 'string') throw malformed(`"${what}" must be a string`, at);
    return refOfString(cache, value);
  }

  function genericRecord(value: JsonValue, at: number): void {
    const rec = asObject(value, 'a record', at);
    recTime = optString(rec.time, 'time', at);
    recMac = optString(rec.macAddress, 'macAddress', at);
    recTarget = optString(rec.targetResourceID, 'targetResourceID', at);
    const flowLogId = optString(rec.flowLogResourceID, 'flowLogResourceID', at);
    const resourceId = optString(rec.resourceId, 'resourceId', at);
    recFlowLog = flowLogId >= 0 ? flowLogId : resourceId;
    recNested = rec.records !== undefined;
    if (rec.flowLogVersion !== undefined && rec.flowLogVersion !== 4) {
      throw malformed(`unsupported flowLogVersion ${JSON.stringify(rec.flowLogVersion)}`, at);
    }
    if (rec.flowRecords !== undefined) {
      setFamily(FAMILY_VNET, at);
      recVersion = 4;
      const fr = asObject(rec.flowRecords, '"flowRecords"', at);
      for (const aclValue of asArray(fr.flows, '"flowRecords.flows"', at)) {
        const acl = asObject(aclValue, 'a flows entry', at);
        const aclFrom = batch.length;
        const aclId = optString(acl.aclID, 'aclID', at);
        for (const groupValue of asArray(acl.flowGroups, '"flowGroups"', at)) {
          const group = asObject(groupValue, 'a flowGroups entry', at);
          const from = batch.length;
          const rule = optString(group.rule, 'rule', at);
          genericTuples(group.flowTuples, 4, at);
          fillRule(rule, from, at, 'a flowGroups entry');
        }
        if (batch.length > aclFrom) batch.acl_id.fill(aclId < 0 ? NULL_REF : aclId, aclFrom, batch.length);
      }
    }
    if (rec.properties !== undefined) {
      setFamily(FAMILY_NSG, at);
      const props = asObject(rec.properties, '"properties"', at);
      const version = props.Version;
      if (version !== 1 && version !== 2) {
        throw malformed(
          version === undefined
            ? 'NSG record has no "properties.Version"'
            : `unsupported NSG flow log Version ${JSON.stringify(version)}`,
          at,
        );
      }
      recVersion = version;
      for (const ruleValue of asArray(props.flows, '"properties.flows"', at)) {
        const ruleEntry = asObject(ruleValue, 'a properties.flows entry', at);
        const from = batch.length;
        const rule = optString(ruleEntry.rule, 'rule', at);
        for (const macValue of asArray(ruleEntry.flows, 'a rule\'s "flows"', at)) {
          const macEntry = asObject(macValue, 'a rule\'s "flows" entry', at);
          const macFrom = batch.length;
          const mac = optString(macEntry.mac, 'mac', at);
          genericTuples(macEntry.flowTuples, version, at);
          if (batch.length > macFrom) {
            if (mac < 0) throw malformed('an NSG flows entry has flow tuples but no "mac"', at);
            batch.mac.fill(mac, macFrom, batch.length);
          }
        }
        fillRule(rule, from, at, 'an NSG rule entry');
      }
    }
  }

  // ---- framing ------------------------------------------------------------------------------

  /** Decodes the record whose `{` is at `p`; returns the index after it. */
  function recordStep(p: number): number {
    const recordAbs = bufBase + p;
    if (recordSink) {
      const value = parseValue(b, p, n);
      recordSink(value, recordIndex);
      recordIndex++;
      stats.records++;
      return parseEnd;
    }
    resetRecord();
    let end: number;
    try {
      try {
        if (forceGeneric) throw FALLBACK;
        end = scanRecordFast(p);
      } catch (e) {
        if (e !== FALLBACK) throw e;
        batch.length = recRowStart;
        resetRecord();
        const value = parseValue(b, p, n);
        end = parseEnd;
        genericRecord(value, p);
      }
    } catch (e) {
      batch.length = recRowStart;
      if (!isMalformed(e)) throw e;
      if (!lenient) throw formatError(e, recordAbs, true);
      skipRecord(e.tuple !== undefined ? 'bad tuple' : 'malformed record JSON', tuples.tupleIndex);
      recordIndex++;
      return resync(p + 1);
    }
    try {
      finishRecord(p, recordAbs);
    } catch (e) {
      const dropped = batch.length - recRowStart;
      batch.length = recRowStart;
      if (!isMalformed(e)) throw e;
      if (!lenient) throw formatError(e, recordAbs, true);
      commitPendingSkips();
      skipRecord(e.reason.startsWith('record nests') ? 'nested "records" array' : e.reason, dropped);
      recordIndex++;
      return end;
    }
    commitRecord();
    recordIndex++;
    if (batch.length >= batchSize) flush();
    return end;
  }

  /** Lenient recovery: finds the next `{"time"` at or after `from`. */
  function resync(from: number): number {
    resynced = true;
    const view = Buffer.from(b.buffer, b.byteOffset, n);
    const at = view.indexOf(RESYNC_PATTERN, from);
    if (at < 0) {
      state = State.Resync;
      return Math.max(from, n - RESYNC_PATTERN.length + 1);
    }
    state = State.Array;
    needSeparator = false;
    lastWasComma = false;
    return at;
  }

  function framingError(reason: string, p: number): number {
    const m = malformed(reason, p);
    if (!lenient) throw formatError(m, undefined, false);
    skipRecord('unexpected bytes between records', 0);
    return resync(p + 1);
  }

  function flush(last = false): void {
    if (batch.length === 0) {
      if (last && pool !== undefined) pool.spare = batch;
      return;
    }
    const full = batch;
    full.strings = endBatch(cache);
    if (last) {
      // Nothing follows the final batch: hand it over without allocating a successor.
      onBatch(full);
      if (pool !== undefined) pool.spare = full;
      return;
    }
    if (pool !== undefined) {
      // The callback is done with the batch when it returns: its columns take the next rows.
      onBatch(full);
      full.length = 0;
      full.strings = [];
      tuples.batch = full;
      startBatch(cache);
      return;
    }
    batch = allocateDecoderBatch(Math.min(learnedCapacity, batchSize + 4096));
    tuples.batch = batch;
    startBatch(cache);
    onBatch(full);
  }

  /** Runs the framing loop over `b[0, n)`; keeps the unfinished tail for the next push. */
  /**
   * Runs the framing loop over `b[start, n)`. Returns where the unfinished token starts (the
   * caller keeps bytes from there), or -1 when `final` and everything is settled.
   */
  function run(start: number, final: boolean): number {
    const view = tuples.view;
    if (view.buffer !== b.buffer || view.byteOffset !== b.byteOffset || view.byteLength !== b.byteLength)
      tuples.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let p = start;
    let tokenStart = start;
    try {
      for (;;) {
        tokenStart = p;
        if (state === State.Resync) {
          p = resync(p);
          if (state === State.Resync) {
            tokenStart = p;
            throw NEED_MORE;
          }
          continue;
        }
        p = skipWs(b, p, n);
        tokenStart = p;
        const c = b[p];
        if (state === State.Array) {
          if (c === LBRACE) {
            if (needSeparator) {
              p = framingError('missing comma between records', p);
              continue;
            }
            resynced = false;
            p = recordStep(p);
            if (!resynced) {
              needSeparator = true;
              lastWasComma = false;
            }
          } else if (c === COMMA) {
            if (!needSeparator) {
              p = framingError('unexpected comma between records', p);
              continue;
            }
            needSeparator = false;
            lastWasComma = true;
            p++;
          } else if (c === RBRACKET) {
            if (lastWasComma) {
              p = framingError("comma before ']'", p);
              continue;
            }
            state = State.AfterArray;
            p++;
          } else {
            p = framingError(`expected a record, ',' or ']', found ${describeByte(c)}`, p);
          }
        } else if (state === State.Start) {
          if (c === COMMA) {
            state = State.Array;
            p++;
          } else if (c === LBRACE) {
            let q = skipWs(b, p + 1, n);
            if (b[q] === QUOTE) {
              const e = scanString(b, q, n);
              if (keyIs(b, q, e, K_RECORDS)) {
                q = expectByte(b, e, n, COLON, "':'");
                q = skipWs(b, q, n);
                if (b[q] === LBRACKET) {
                  state = State.Array;
                  p = q + 1;
                  continue;
                }
              }
            }
            state = State.Array;
          } else if (c === RBRACKET) {
            state = State.AfterArray;
            p++;
          } else {
            p = framingError(`expected '{"records":[', a record or ',', found ${describeByte(c)}`, p);
          }
        } else if (state === State.AfterArray) {
          if (c === RBRACE) {
            state = State.Done;
            p++;
          } else {
            p = framingError(`expected '}' after the records array, found ${describeByte(c)}`, p);
          }
        } else {
          p = framingError(`unexpected ${describeByte(c)} after the end of the records array`, p);
        }
      }
    } catch (e) {
      if (e !== NEED_MORE) {
        if (isMalformed(e)) throw formatError(e, undefined, false);
        throw e;
      }
      if (final) {
        finishInput(tokenStart);
        return -1;
      }
      return tokenStart;
    }
  }

  /** End of input with bytes `b[from, n)` unsettled: fine if only whitespace, else truncated. */
  function finishInput(from: number): void {
    let onlyWs = true;
    for (let i = from; i < n && onlyWs; i++) {
      const c = b[i];
      onlyWs = c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
    }
    if (onlyWs || state === State.Resync) {
      if (state === State.AfterArray && !lenient) {
        throw formatError(malformed("input ends after ']' without the closing '}'", n), undefined, false);
      }
      return;
    }
    const inRecord = state === State.Array && b[skipWsSafe(from)] === LBRACE;
    const m = malformed(
      inRecord ? 'input ends inside a record (truncated)' : 'input ends inside a token (truncated)',
      n,
    );
    if (!lenient) throw formatError(m, bufBase + from, inRecord);
    skipRecord(inRecord ? 'truncated record' : 'truncated input', 0);
    if (inRecord) recordIndex++;
  }

  /** Keeps `b[from, n)` (an unfinished token) as the carry for the next bytes. */
  function saveTail(from: number): void {
    const rest = n - from;
    if (rest <= 0) {
      bufBase += n;
      b = EMPTY;
      n = 0;
      return;
    }
    const tail = b.slice(from, n);
    bufBase += from;
    b = tail;
    n = rest;
    needAtLeast = Math.max(rest * 2, rest + 1);
  }

  function skipWsSafe(p: number): number {
    while (p < n && (b[p] === 0x20 || b[p] === 0x0a || b[p] === 0x0d || b[p] === 0x09)) p++;
    return p;
  }

  function push(input: Uint8Array, block?: string): void {
    if (ended) throw new FlowLogFormatError('push() after end()', { source });
    if (block !== undefined) blockMarks.push({ offset: totalPushed, id: block });
    totalPushed += input.length;
    stats.bytes += input.length;
    if (input.length === 0) return;
    // One array class for every buffer the scanner sees (Buffer and Uint8Array differ to V8).
    const chunk =
      input.constructor === Uint8Array
        ? input
        : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    pending.push(chunk);
    pendingLength += chunk.length;
    feed();
  }

  /**
   * Decodes pending chunks in place. A token cut by a chunk boundary is carried over: the carry
   * is joined with just enough of the next chunk to finish it, then decoding resumes in that
   * chunk itself, so bytes are copied only around chunk boundaries.
   */
  function feed(): void {
    while (pendingLength > 0) {
      if (n === 0) {
        const chunk = pending.shift() as Uint8Array;
        pendingLength -= chunk.length;
        b = chunk;
        n = chunk.length;
        bufBase = pendingBase;
        pendingBase += chunk.length;
        saveTail(run(0, false));
        continue;
      }
      if (n + pendingLength < needAtLeast) return;
      const first = pending[0];
      const firstBase = pendingBase;
      const take = Math.min(first.length, Math.max(needAtLeast - n, 16384));
      const carried = n;
      const joined = new Uint8Array(carried + take);
      joined.set(b.subarray(0, carried), 0);
      joined.set(first.subarray(0, take), carried);
      if (take === first.length) pending.shift();
      else pending[0] = first.subarray(take);
      pendingLength -= take;
      pendingBase += take;
      b = joined;
      n = joined.length;
      const stop = run(0, false);
      if (stop >= carried && take < first.length) {
        // The carried token is done; resume inside the original chunk instead of copying it.
        const offset = stop - carried;
        pending[0] = first.subarray(offset);
        pendingLength += take - offset;
        pendingBase = firstBase + offset;
        bufBase += n;
        b = EMPTY;
        n = 0;
      } else {
        saveTail(stop);
      }
    }
  }

  function end(): DecodeStats {
    if (ended) return stats;
    ended = true;
    if (pendingLength > 0) {
      if (n === 0) bufBase = pendingBase;
      const joined = new Uint8Array(n + pendingLength);
      joined.set(b.subarray(0, n), 0);
      let o = n;
      for (const part of pending) {
        joined.set(part, o);
        o += part.length;
      }
      pending = [];
      pendingLength = 0;
      b = joined;
      n = joined.length;
    }
    if (n > 0) run(0, true);
    else if (state === State.AfterArray && !lenient) {
      throw formatError(malformed("input ends after ']' without the closing '}'", 0), undefined, false);
    }
    flush(true);
    return stats;
  }

  return { push, end, stats };
}

export interface DecodedBuffer {
  batches: FlowBatch[];
  stats: DecodeStats;
}

export type DecodeBufferOptions = Omit<DecodeOptions, 'onBatch'>;

/** Decodes bytes held in memory (one push); collects the batches. */
export function decodeBuffer(bytes: Uint8Array | string, options: DecodeBufferOptions = {}): DecodedBuffer {
  const batches: FlowBatch[] = [];
  const decoder = createDecoder({ ...options, onBatch: (batch) => batches.push(batch) });
  decoder.push(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
  return { batches, stats: decoder.end() };
}

/** Decodes VNet flow-log (version 4) bytes; NSG records are an error. */
export function decodeVnetV4(bytes: Uint8Array | string, options: DecodeBufferOptions = {}): DecodedBuffer {
  return decodeBuffer(bytes, { ...options, expect: 'vnet' });
}

/** Decodes NSG flow-log (versions 1 and 2) bytes; VNet records are an error. */
export function decodeNsg(bytes: Uint8Array | string, options: DecodeBufferOptions = {}): DecodedBuffer {
  return decodeBuffer(bytes, { ...options, expect: 'nsg' });
}

/** Decodes a readable byte stream (a file or a blob download) chunk by chunk. */
export async function decodeStream(
  stream: AsyncIterable<Uint8Array | string>,
  options: DecodeOptions,
): Promise<DecodeStats> {
  const decoder = createDecoder(options);
  for await (const chunk of stream)
    decoder.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  return decoder.end();
}

/**
 * Decodes whole records into Azure-shaped objects (for round trips, inspection and tools; not the
 * ingestion path). Framing is the same as the row decoder's: whole blobs, fragments with leading
 * commas, whitespace. Throws `FlowLogFormatError` on malformed input.
 */
export function decodeRecords(
  bytes: Uint8Array | string,
  options: { source?: string } = {},
): FlowLogRecord[] {
  const records: FlowLogRecord[] = [];
  const source = options.source;
  const sink = (value: JsonValue, index: number): void => {
    const fail = (reason: string): never => {
      throw new FlowLogFormatError(reason, { source, record: index });
    };
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return fail('record is not a JSON object');
    const isVnet = typeof value.flowRecords === 'object' && value.flowRecords !== null;
    const props = value.properties;
    const isNsg =
      typeof props === 'object' &&
      props !== null &&
      !Array.isArray(props) &&
      (props.Version === 1 || props.Version === 2);
    if (isVnet === isNsg) {
      return fail(
        value.records !== undefined
          ? 'record nests its own "records" array; records must not nest'
          : 'record is neither a VNet (flowRecords) nor an NSG (properties.Version 1/2) flow-log record',
      );
    }
    records.push(value as unknown as FlowLogRecord);
  };
  const decoder = createDecoderInternal({ source, onBatch: () => {} }, sink, false);
  decoder.push(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
  decoder.end();
  return records;
}
