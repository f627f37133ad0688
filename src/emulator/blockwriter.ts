/**
 * Record templates and a byte-level writer for the emulator's hot path. The JSON *shape* comes from the formats
 * library: record prefixes and group headers are produced once by `recordToJson` on template
 * records and reused, so field order, escaping and casing are whatever formats writes. Only the
 * tuples (digits, IPs and letters, which never need JSON escaping) and the brackets between them
 * are written here, straight into a reusable buffer, which is what makes emulation several times
 * faster than building record objects and serialising them. test/emulator/blockwriter.test.ts
 * checks that the bytes equal `encodeBlock` for the same records.
 */
import { recordToJson, type NsgFlowRecord, type VnetFlowRecord } from '../formats/index.js';

const TIME_MARK = 'TIMEMARK7f3a9c';

export interface RecordTemplate {
  /** Bytes before the record's time string (`{"time":"`). */
  beforeTime: Buffer;
  /** Bytes after the time string, up to the opening `[` of the outer flows array. */
  afterTime: Buffer;
  /** Bytes closing the record after the outer flows array content. */
  close: Buffer;
}

function splitTemplate(json: string, emptyFlows: string): RecordTemplate {
  const t = json.indexOf(TIME_MARK);
  const end = json.lastIndexOf(emptyFlows);
  if (t < 0 || end < 0) throw new Error('formats produced an unexpected record shape');
  const open = end + emptyFlows.length - 1; // index of the ']' closing the empty array
  return {
    beforeTime: Buffer.from(json.slice(0, t), 'utf8'),
    afterTime: Buffer.from(json.slice(t + TIME_MARK.length, open), 'utf8'),
    close: Buffer.from(json.slice(open), 'utf8'),
  };
}

/** The constant parts of a VNet record for one flow log and one NIC. */
export function vnetRecordTemplate(record: Omit<VnetFlowRecord, 'time' | 'flowRecords'>): RecordTemplate {
  const json = recordToJson({ ...record, time: TIME_MARK, flowRecords: { flows: [] } } as VnetFlowRecord);
  return splitTemplate(json, '"flows":[]');
}

/** The constant parts of an NSG record for one NSG (its MAC goes into the rule groups). */
export function nsgRecordTemplate(
  record: Omit<NsgFlowRecord, 'time' | 'properties'> & { version: 1 | 2 },
): RecordTemplate {
  const { version, ...rest } = record;
  const json = recordToJson({
    ...rest,
    time: TIME_MARK,
    properties: { Version: version, flows: [] },
  } as NsgFlowRecord);
  return splitTemplate(json, '"flows":[]');
}

/** `{"aclID":"…","flowGroups":[` as formats writes it. */
export function aclHeader(aclId: string): Buffer {
  const json = recordToJson({
    time: '',
    flowLogVersion: 4,
    flowLogGUID: '',
    macAddress: '',
    category: '',
    flowLogResourceID: '',
    operationName: '',
    flowRecords: { flows: [{ aclID: aclId, flowGroups: [] }] },
  });
  const start = json.indexOf('{"aclID":');
  return Buffer.from(json.slice(start, json.lastIndexOf('"flowGroups":[') + '"flowGroups":['.length), 'utf8');
}

/** `{"rule":"…","flowTuples":[` as formats writes it. */
export function vnetRuleHeader(rule: string): Buffer {
  const json = recordToJson({
    time: '',
    flowLogVersion: 4,
    flowLogGUID: '',
    macAddress: '',
    category: '',
    flowLogResourceID: '',
    operationName: '',
    flowRecords: { flows: [{ aclID: '', flowGroups: [{ rule, flowTuples: [] }] }] },
  });
  const start = json.indexOf('{"rule":');
  return Buffer.from(json.slice(start, json.lastIndexOf('"flowTuples":[') + '"flowTuples":['.length), 'utf8');
}

/** `{"rule":"…","flows":[{"mac":"…","flowTuples":[` as formats writes it (one MAC per record). */
export function nsgRuleHeader(rule: string, mac: string): Buffer {
  const json = recordToJson({
    time: '',
    systemId: '',
    category: '',
    resourceId: '',
    operationName: '',
    properties: { Version: 2, flows: [{ rule, flows: [{ mac, flowTuples: [] }] }] },
  });
  const start = json.indexOf('{"rule":');
  return Buffer.from(json.slice(start, json.lastIndexOf('"flowTuples":[') + '"flowTuples":['.length), 'utf8');
}

/**
 * A slab writer: blocks are written one after another into a large buffer and handed out as
 * views (no copy); a new slab is started when one fills up, the old one lives on in its blocks.
 */
export interface ByteWriter {
  buf: Buffer;
  /** Start of the block being written. */
  start: number;
  pos: number;
  /** Full slabs whose blocks were handed out. */
  sealed: Buffer[];
  /** Per sealed slab, the minute of its last block. */
  sealedMinute: number[];
  /** The minute whose blocks are being written (set by the caller). */
  minute: number;
  /** Slabs whose blocks are all released (`recycleSlabs`), ready to be written again. */
  pool: Buffer[];
}

const SLAB = 1 << 20;

export function createByteWriter(initial = SLAB): ByteWriter {
  return {
    buf: Buffer.allocUnsafeSlow(initial),
    start: 0,
    pos: 0,
    sealed: [],
    sealedMinute: [],
    minute: 0,
    pool: [],
  };
}

/** At most this many bytes of released slabs are kept for reuse. */
const POOL_BYTES = 64 * SLAB;

/**
 * Declares every block handed out so far dead (written to storage and dropped by everyone), so
 * their slabs are written again instead of leaving garbage for the collector. Only between blocks.
 * The pool keeps the slabs of the last cycle only: slabs left over from an earlier cycle were not
 * needed, so memory follows the current rate instead of the peak.
 */
export function recycleSlabs(w: ByteWriter): void {
  const pool: Buffer[] = [];
  let pooled = 0;
  for (const b of w.sealed) {
    if (pooled + b.length > POOL_BYTES) break;
    pool.push(b);
    pooled += b.length;
  }
  w.pool = pool;
  w.sealed = [];
  w.sealedMinute = [];
  w.start = 0;
  w.pos = 0;
}

/**
 * Declares the blocks of minutes up to `minute` dead while later blocks are still in use (a
 * commit of earlier minutes finished while the next minutes were written): the sealed slabs
 * holding only such blocks join the pool. The slab being written is kept.
 */
export function recycleSlabsThrough(w: ByteWriter, minute: number): void {
  let pooled = 0;
  for (const b of w.pool) pooled += b.length;
  const sealed: Buffer[] = [];
  const sealedMinute: number[] = [];
  for (let i = 0; i < w.sealed.length; i++) {
    const b = w.sealed[i];
    if (w.sealedMinute[i] <= minute) {
      if (pooled + b.length <= POOL_BYTES) {
        w.pool.push(b);
        pooled += b.length;
      }
      continue;
    }
    sealed.push(b);
    sealedMinute.push(w.sealedMinute[i]);
  }
  w.sealed = sealed;
  w.sealedMinute = sealedMinute;
}

export function ensure(w: ByteWriter, extra: number): void {
  if (w.pos + extra <= w.buf.length) return;
  const used = w.pos - w.start;
  let size = SLAB;
  while (size < (used + extra) * 2) size *= 2;
  if (w.start > 0) {
    w.sealed.push(w.buf);
    w.sealedMinute.push(w.minute);
  }
  let next: Buffer | undefined;
  while (w.pool.length > 0 && next === undefined) {
    const b = w.pool.pop()!;
    if (b.length >= size) next = b;
  }
  next ??= Buffer.allocUnsafeSlow(size);
  next.set(w.buf.subarray(w.start, w.pos), 0);
  w.buf = next;
  w.start = 0;
  w.pos = used;
}

export function putBytes(w: ByteWriter, b: Buffer): void {
  const n = b.length;
  ensure(w, n);
  const buf = w.buf;
  let p = w.pos;
  // TypedArray#set is native; Buffer#copy goes through a slower JS path for every call.
  if (n < 48) for (let i = 0; i < n; i++) buf[p++] = b[i];
  else {
    buf.set(b, p);
    p += n;
  }
  w.pos = p;
}

/** Writes an ASCII string (IPs, digits, letters); callers ensure room. */
export function putAscii(w: ByteWriter, s: string): void {
  const buf = w.buf;
  let p = w.pos;
  for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
  w.pos = p;
}

export function putByte(w: ByteWriter, c: number): void {
  if (w.pos >= w.buf.length) ensure(w, 1);
  w.buf[w.pos++] = c;
}

/** The block written since the last call, as a view of the slab. */
export function takeBytes(w: ByteWriter): Buffer {
  const out = w.buf.subarray(w.start, w.pos);
  w.start = w.pos;
  return out;
}
