/**
 * The record writer of the emulator's fast path, apart from the simulation: it turns one simulated
 * minute's tuples (columns, see `MinutePack`) into that minute's data blocks, one per touched
 * (flow log, NIC), as bytes. It keeps its own copy of what the blocks are made of — side templates,
 * VNet groups, record templates, each session's pre-encoded addresses — which the engine sends as
 * definitions in the pack of the minute that first needs them. Because nothing is shared with the
 * engine's state, the same encoder runs in the engine's thread (`runMinutes`) or in a worker
 * thread (`runMinutesInWorker`, record-worker.ts), where it writes minute m while the engine
 * simulates minute m + 1; both write the same bytes.
 */
import type { NsgFlowRecord, VnetFlowRecord } from '../formats/index.js';
import {
  aclHeader,
  createByteWriter,
  ensure,
  nsgRecordTemplate,
  nsgRuleHeader,
  putAscii,
  putByte,
  putBytes,
  recycleSlabs,
  recycleSlabsThrough,
  takeBytes,
  vnetRecordTemplate,
  vnetRuleHeader,
  type ByteWriter,
  type RecordTemplate,
} from './blockwriter.js';
import { grown } from './columns.js';
import { numberToIpv4 } from './network.js';
import { prngFor } from './prng.js';

export const ST_B = 0;
export const ST_C = 1;
export const ST_E = 2;
export const ST_D = 3;
export const STATE_CHARS = ['B', 'C', 'E', 'D'] as const;

/** Bytes of `,src,dst,sport,dport,` kept per session (IPv4 always fits; longer ones go as text). */
const ADDR_STRIDE = 48;

/** What a side template is made of: what one NIC side of a decided flow writes, without its routing. */
export interface SideDef {
  /** VNet group (-1: the side writes no VNet tuples). */
  group: number;
  nsgRule: string;
  /** Order of first use of the NSG rule (-1: no NSG tuples). */
  nsgRuleOrder: number;
  protocol: number;
  direction: 'I' | 'O';
  allowed: boolean;
  encryption: string;
}

/** An endpoint of the traffic sources: a fixed address, or a prefix whose address is drawn per connection. */
export interface EndpointDef {
  range: boolean;
  /** Fixed endpoints: the address text. */
  ip: string;
}

export interface GroupDef {
  aclId: string;
  rule: string;
  /** Order of first use of the aclID. */
  aclOrder: number;
}

export type TargetDef =
  | { kind: 'vnet'; record: Omit<VnetFlowRecord, 'time' | 'flowRecords'>; mac: string }
  | {
      kind: 'nsg';
      record: Omit<NsgFlowRecord, 'time' | 'properties'> & { version: 1 | 2 };
      mac: string;
    };

/**
 * One minute for the encoder. Definitions made since the previous pack come first (ids continue
 * from the encoder's counts); the numbers travel in `buffer` (see `packLayout`), handed over to a
 * worker without a copy and handed back with the result for the next pack.
 */
export interface MinutePack {
  minute: number;
  minuteStartMs: number;
  sides: SideDef[];
  groups: GroupDef[];
  targets: TargetDef[];
  tupleCount: number;
  /** Sessions started since the previous pack (slots, endpoints, addresses, ports in `buffer`). */
  sessionCount: number;
  /** Endpoints added since the previous pack (ids continue from the encoder's count). */
  endpoints: EndpointDef[];
  /** Targets with tuples this minute, in first-tuple order, and whether it is their blob's first block. */
  touchedCount: number;
  buffer: ArrayBuffer;
}

/** The bytes a pack's numbers take, and with `buffer` the column views over it (8-byte aligned). */
export function packLayout(tuples: number, sessions: number, touched: number, buffer?: ArrayBuffer) {
  let at = 0;
  const f64 = (n: number) => {
    const o = at;
    at += n * 8;
    return o;
  };
  const i32 = (n: number) => {
    const o = at;
    at += ((n * 4 + 7) >> 3) << 3;
    return o;
  };
  const u8 = (n: number) => {
    const o = at;
    at += ((n + 7) >> 3) << 3;
    return o;
  };
  const offsets = {
    ts: f64(tuples),
    p1: f64(tuples),
    b1: f64(tuples),
    p2: f64(tuples),
    b2: f64(tuples),
    sess: i32(tuples),
    side: i32(tuples),
    target: i32(tuples),
    srcIp: f64(sessions),
    dstIp: f64(sessions),
    slots: i32(sessions),
    srcEp: i32(sessions),
    dstEp: i32(sessions),
    srcPort: i32(sessions),
    dstPort: i32(sessions),
    touched: i32(touched),
    st: u8(tuples),
    first: u8(touched),
  };
  const bytes = at;
  if (!buffer) return { bytes, views: null };
  return {
    bytes,
    views: {
      ts: new Float64Array(buffer, offsets.ts, tuples),
      p1: new Float64Array(buffer, offsets.p1, tuples),
      b1: new Float64Array(buffer, offsets.b1, tuples),
      p2: new Float64Array(buffer, offsets.p2, tuples),
      b2: new Float64Array(buffer, offsets.b2, tuples),
      sess: new Int32Array(buffer, offsets.sess, tuples),
      side: new Int32Array(buffer, offsets.side, tuples),
      target: new Int32Array(buffer, offsets.target, tuples),
      srcIp: new Float64Array(buffer, offsets.srcIp, sessions),
      dstIp: new Float64Array(buffer, offsets.dstIp, sessions),
      slots: new Int32Array(buffer, offsets.slots, sessions),
      srcEp: new Int32Array(buffer, offsets.srcEp, sessions),
      dstEp: new Int32Array(buffer, offsets.dstEp, sessions),
      srcPort: new Int32Array(buffer, offsets.srcPort, sessions),
      dstPort: new Int32Array(buffer, offsets.dstPort, sessions),
      touched: new Int32Array(buffer, offsets.touched, touched),
      st: new Uint8Array(buffer, offsets.st, tuples),
      first: new Uint8Array(buffer, offsets.first, touched),
    },
  };
}

export type PackViews = NonNullable<ReturnType<typeof packLayout>['views']>;

/**
 * One minute's blocks, in the pack's touched order: `blocks` (views mode), or `out` holding them
 * back to back, block j ending at `ends[j]` (copies mode).
 */
export interface EncodedMinute {
  minute: number;
  blocks?: Buffer[];
  out?: SharedArrayBuffer;
  ends?: Int32Array;
  /** The pack's buffer, free for another pack. */
  buffer: ArrayBuffer;
  /** Time spent writing the blocks (ms). */
  encodeMs: number;
}

// Record times, VNet group ranks and tuple order: shared with the engine's object encoders.

/** `2023-09-01T00:00:59.1234567Z`: Azure's 7 fractional digits, the last four from the PRNG. */
export function recordTimeText(ms: number, extra4: number): string {
  return new Date(ms).toISOString().slice(0, 23) + String(extra4).padStart(4, '0') + 'Z';
}

/**
 * Each record's time in minute `m`: in the minute's last second, after its last tuple, with the
 * digits Azure writes; drawn from the run's PRNG in the order records are written.
 */
export function recordClock(
  seed: number,
  minute: number,
  minuteStartMs: number,
): (maxTupleMs: number) => string {
  const timeRand = prngFor(seed, `time:${minute}`);
  // Records are stamped in the minute's last second: its ISO text up to the seconds is shared.
  const lastSecondMs = minuteStartMs + 59_000;
  const lastSecondText = new Date(lastSecondMs).toISOString().slice(0, 20);
  return (maxTs) => {
    const ms = Math.min(minuteStartMs + 59_999, Math.max(lastSecondMs + timeRand.int(0, 999), maxTs + 1));
    const extra4 = timeRand.int(0, 9999);
    return ms >= lastSecondMs && ms < lastSecondMs + 1000 && Number.isInteger(ms)
      ? lastSecondText + String(ms - lastSecondMs + 1000).slice(1) + String(extra4 + 10000).slice(1) + 'Z'
      : recordTimeText(ms, extra4);
  };
}

/** Each group's position when all are sorted by (aclID order, group order): the tuple sort key. */
export function rankGroups(groups: readonly { aclOrder: number }[]): Int32Array {
  const ids = groups.map((_, i) => i);
  ids.sort((a, b) => groups[a].aclOrder - groups[b].aclOrder || a - b);
  const rank = new Int32Array(groups.length);
  ids.forEach((g, i) => (rank[g] = i));
  return rank;
}

/**
 * Lays the minute's tuples out per target: target `touched[j]`'s tuples become the slice
 * `order[offset[id] .. offset[id] + count[id])`, in emission order.
 */
export function orderByTarget(
  eTarget: Int32Array,
  n: number,
  touched: ArrayLike<number>,
  touchedCount: number,
  count: Int32Array,
  offset: Int32Array,
  order: Int32Array,
): void {
  for (let j = 0; j < touchedCount; j++) count[touched[j]] = 0;
  for (let e = 0; e < n; e++) count[eTarget[e]]++;
  let at = 0;
  for (let j = 0; j < touchedCount; j++) {
    const id = touched[j];
    offset[id] = at;
    at += count[id];
    count[id] = 0;
  }
  for (let e = 0; e < n; e++) {
    const id = eTarget[e];
    order[offset[id] + count[id]++] = e;
  }
}

export interface SortScratch {
  keys: Float64Array;
  idx: Int32Array;
}

/**
 * The steps every encoder takes per record before writing it: its time (after its last tuple, see
 * `recordClock`), returned, and its tuples (`order[off .. off + n)`) sorted by group or rule rank,
 * then time, then emission order.
 */
export function sortedRecordTime(
  clock: (maxTupleMs: number) => string,
  order: Int32Array,
  off: number,
  n: number,
  rankBySide: Int32Array,
  eSide: Int32Array,
  eTs: Float64Array,
  minuteStartMs: number,
  scratch: SortScratch,
): string {
  let maxTs = 0;
  for (let i = off; i < off + n; i++) if (eTs[order[i]] > maxTs) maxTs = eTs[order[i]];
  const timeText = clock(maxTs);
  if (n < 2) return timeText;
  if (scratch.keys.length < n) scratch.keys = new Float64Array(n * 2);
  let packed = n <= 1 << 20;
  const keysAll = scratch.keys;
  for (let k = 0; k < n && packed; k++) {
    const e = order[off + k];
    const rank = rankBySide[eSide[e]];
    const tsOff = eTs[e] - minuteStartMs;
    if (rank >= 140_000 || !(tsOff >= 0 && tsOff < 60_000) || !Number.isInteger(tsOff)) packed = false;
    else keysAll[k] = (rank * 60_000 + tsOff) * 1048576 + k;
  }
  if (packed) {
    let keys = keysAll;
    if (n <= 48) {
      // Short lists (the usual record): insertion sort in place, no view, no native call.
      for (let i = 1; i < n; i++) {
        const v = keys[i];
        let j = i - 1;
        while (j >= 0 && keys[j] > v) {
          keys[j + 1] = keys[j];
          j--;
        }
        keys[j + 1] = v;
      }
    } else keys = keysAll.subarray(0, n).sort();
    if (scratch.idx.length < n) scratch.idx = new Int32Array(n * 2);
    const idx = scratch.idx;
    for (let k = 0; k < n; k++) idx[k] = order[off + k];
    for (let k = 0; k < n; k++) order[off + k] = idx[keys[k] % 1048576];
    return timeText;
  }
  const slice = Array.from(order.subarray(off, off + n));
  slice.sort((a, b) => rankBySide[eSide[a]] - rankBySide[eSide[b]] || eTs[a] - eTs[b] || a - b);
  for (let k = 0; k < n; k++) order[off + k] = slice[k];
  return timeText;
}

/** Short constant texts of tuples as bytes, shared (a handful of distinct values per run). */
const constantTexts = new Map<string, Buffer>();
function constantBytes(text: string): Buffer {
  let b = constantTexts.get(text);
  if (b === undefined) {
    b = Buffer.from(text, 'latin1');
    if (constantTexts.size < 10_000) constantTexts.set(text, b);
  }
  return b;
}

/** Writes a non-negative integer below 1e15 in decimal at `p`; returns the end. */
function uintAt(buf: Uint8Array, p: number, n: number): number {
  if (n < 10) {
    buf[p] = 48 + n;
    return p + 1;
  }
  let digits = 2;
  for (let x = 100; x <= n; x *= 10) digits++;
  let x = n;
  const end = p + digits;
  for (let k = end - 1; k >= p; k--) {
    const q = Math.floor(x / 10);
    buf[k] = 48 + x - q * 10;
    x = q;
  }
  return end;
}

/** ASCII digits of 0..255, 4 bytes each (length first). */
const OCTETS = (() => {
  const t = new Uint8Array(256 * 4);
  for (let i = 0; i < 256; i++) {
    const s = String(i);
    t[i * 4] = s.length;
    for (let k = 0; k < s.length; k++) t[i * 4 + 1 + k] = s.charCodeAt(k);
  }
  return t;
})();

const CLOSE_GROUP = Buffer.from(']}', 'latin1');
const CLOSE_GROUP_AND_ACL = Buffer.from(']}]}', 'latin1');
const CLOSE_NSG_RULE = Buffer.from(']}]}', 'latin1');

/** A DataView over the slab being written, made once per slab. */
let viewBuf: Buffer | null = null;
let viewDv: DataView = new DataView(new ArrayBuffer(0));
function viewOf(buf: Buffer): DataView {
  if (buf !== viewBuf) {
    viewBuf = buf;
    viewDv = new DataView(buf.buffer, buf.byteOffset, buf.length);
  }
  return viewDv;
}

interface EncTarget {
  vnet: boolean;
  template: RecordTemplate;
  mac: string;
  nsgV2: boolean;
  /** NSG targets: rule headers (they embed the MAC). */
  nsgHeaders: Map<string, Buffer> | null;
}

interface EncGroup {
  aclOrder: number;
  order: number;
  aclHeader: Buffer;
  ruleHeader: Buffer;
}

/**
 * Handed-back output buffers kept for reuse, up to `POOL_BYTES`. Reuse matters: memory a process
 * touches for the first time costs a page fault per 4 KB, ~4 ms per MB on this project's VM, more
 * than writing the blocks into it.
 */
const POOL_BYTES = 64 << 20;
export interface OutPool {
  buffers: SharedArrayBuffer[];
  bytes: number;
}
export function createOutPool(): OutPool {
  return { buffers: [], bytes: 0 };
}

export interface RecordEncoder {
  encode(pack: MinutePack): EncodedMinute;
  /** Views mode: blocks of minutes up to `throughMinute` are dead; `minute` is the next to encode. */
  release(throughMinute: number, minute: number): void;
  /** Copies mode: output buffers nobody reads any more, written again. */
  recycle(outs: SharedArrayBuffer[]): void;
}

export function createRecordEncoder(init: {
  seed: number;
  tsSeconds: boolean;
  /**
   * `views` (default): blocks are views of the encoder's slabs, written again once `release`d;
   * `copies`: each minute's blocks are written into one shared buffer (`out`) the caller owns
   * until it hands it back (`recycle`): what a worker gives another thread. Shared memory, not
   * transferred buffers: each buffer a thread receives by transfer counts as new external memory
   * for V8, which ran a full collection every ~4 minutes on the main thread (13-14 per hour at
   * 1,000 NICs; 3-4 with shared buffers).
   */
  output?: 'views' | 'copies';
  /** Copies mode: where handed-back buffers wait (shared by the encoders of one thread). */
  outPool?: OutPool;
}): RecordEncoder {
  const { seed, tsSeconds } = init;
  const copies = init.output === 'copies';
  const targets: EncTarget[] = [];
  let rankOfGroup: Int32Array = new Int32Array(0);
  const groups: EncGroup[] = [];
  const aclHeaders = new Map<string, Buffer>();
  // Per side template: its VNet group, VNet rank (group rank), NSG rank (rule order), NSG rule,
  // and everything of a tuple after its destination port but the counters, per state (`id * 4 +
  // state`) and, for NSG tuples, per version (`id * 8 + (v2 ? 4 : 0) + state`).
  let sideGroup: Int32Array = new Int32Array(256);
  let vnetRank: Int32Array = new Int32Array(256);
  let nsgRank: Int32Array = new Int32Array(256);
  const sideNsgRule: string[] = [];
  const vnetAfter: Buffer[] = [];
  const nsgAfter: Buffer[] = [];
  let sideCount = 0;
  // Sessions' `,src,dst,sport,dport,` rows, by slot (as the engine's), and the long ones as text.
  let addr = Buffer.alloc(1024 * ADDR_STRIDE);
  let addr32 = new Uint32Array(addr.buffer, addr.byteOffset, addr.length >> 2);
  let addrLen: Int32Array = new Int32Array(1024);
  const longAddr = new Map<number, string>();
  // This minute's tuple order per target.
  let tCount: Int32Array = new Int32Array(256);
  let tOffset: Int32Array = new Int32Array(256);
  let order: Int32Array = new Int32Array(4096);
  const scratch: SortScratch = { keys: new Float64Array(1024), idx: new Int32Array(1024) };

  function define(pack: MinutePack): void {
    for (const g of pack.groups) {
      let ah = aclHeaders.get(g.aclId);
      if (!ah) aclHeaders.set(g.aclId, (ah = aclHeader(g.aclId)));
      groups.push({
        aclOrder: g.aclOrder,
        order: groups.length,
        aclHeader: ah,
        ruleHeader: vnetRuleHeader(g.rule),
      });
    }
    for (const t of pack.targets) {
      targets.push({
        vnet: t.kind === 'vnet',
        template: t.kind === 'vnet' ? vnetRecordTemplate(t.record) : nsgRecordTemplate(t.record),
        mac: t.mac,
        nsgV2: t.kind === 'nsg' && t.record.version === 2,
        nsgHeaders: t.kind === 'nsg' ? new Map() : null,
      });
    }
    tCount = grown(tCount, targets.length);
    tOffset = grown(tOffset, targets.length);
    for (const d of pack.sides) {
      const id = sideCount++;
      sideGroup = grown(sideGroup, sideCount);
      vnetRank = grown(vnetRank, sideCount);
      nsgRank = grown(nsgRank, sideCount);
      sideGroup[id] = d.group;
      nsgRank[id] = d.nsgRuleOrder;
      sideNsgRule[id] = d.nsgRule;
      const proto = d.protocol;
      const nsgHead = `${proto === 6 ? 'T' : proto === 17 ? 'U' : proto},${d.direction},${d.allowed ? 'A' : 'D'}`;
      for (let st = 0; st < 4; st++) {
        const open = st === ST_B || st === ST_D;
        vnetAfter[id * 4 + st] = constantBytes(
          `${proto},${d.direction},${STATE_CHARS[st]},${d.encryption},${open ? '0,0,0,0"' : ''}`,
        );
        nsgAfter[id * 8 + st] = constantBytes(`${nsgHead}"`);
        nsgAfter[id * 8 + 4 + st] = constantBytes(
          `${nsgHead},${st === ST_D ? 'B' : STATE_CHARS[st]},${open ? ',,,"' : ''}`,
        );
      }
    }
    // A new group changes the ranks of all (they are sorted by aclID order first).
    if (pack.groups.length > 0) rankOfGroup = rankGroups(groups);
    const firstToRank = pack.groups.length > 0 ? 0 : sideCount - pack.sides.length;
    for (let id = firstToRank; id < sideCount; id++)
      if (sideGroup[id] >= 0) vnetRank[id] = rankOfGroup[sideGroup[id]];
  }

  // The traffic sources' endpoints: drawn from a prefix (`epRange`), or fixed with their text.
  let epRange = new Uint8Array(256);
  const epText: string[] = [];
  const epBytes: Buffer[] = [];
  const defineEndpoints = (defs: EndpointDef[]) => {
    for (const d of defs) {
      const id = epText.length;
      epRange = grown(epRange, id + 1);
      epRange[id] = d.range ? 1 : 0;
      epText.push(d.ip);
      epBytes.push(Buffer.from(d.ip, 'latin1'));
    }
  };
  /** Writes `a.b.c.d` of endpoint `ep` (drawn address `ip` for prefixes) at `p`; returns the end. */
  const ipAt = (buf: Buffer, p: number, ep: number, ip: number): number => {
    if (epRange[ep] === 0) {
      const b = epBytes[ep];
      for (let k = 0; k < b.length; k++) buf[p++] = b[k];
      return p;
    }
    for (let shift = 24; shift >= 0; shift -= 8) {
      const o = ((ip >>> shift) & 255) * 4;
      const len = OCTETS[o];
      buf[p++] = OCTETS[o + 1];
      if (len > 1) buf[p++] = OCTETS[o + 2];
      if (len > 2) buf[p++] = OCTETS[o + 3];
      if (shift > 0) buf[p++] = 46;
    }
    return p;
  };
  const ipRoom = (ep: number) => (epRange[ep] === 1 ? 15 : epBytes[ep].length);
  const ipText = (ep: number, ip: number) => (epRange[ep] === 1 ? numberToIpv4(ip) : epText[ep]);

  /** Each started session's `,src,dst,sport,dport,`, written once into its slot's row. */
  function adoptSessions(pack: MinutePack, v: PackViews): void {
    defineEndpoints(pack.endpoints);
    const n = pack.sessionCount;
    for (let i = 0; i < n; i++) {
      const slot = v.slots[i];
      if (slot >= addrLen.length) {
        let cap = addrLen.length * 2;
        while (cap <= slot) cap *= 2;
        addrLen = grown(addrLen, cap);
        const next = Buffer.alloc(cap * ADDR_STRIDE);
        next.set(addr);
        addr = next;
        addr32 = new Uint32Array(addr.buffer, addr.byteOffset, addr.length >> 2);
      }
      const srcEp = v.srcEp[i];
      const dstEp = v.dstEp[i];
      if (ipRoom(srcEp) + ipRoom(dstEp) + 15 > ADDR_STRIDE) {
        addrLen[slot] = -1;
        longAddr.set(
          slot,
          `,${ipText(srcEp, v.srcIp[i])},${ipText(dstEp, v.dstIp[i])},${v.srcPort[i]},${v.dstPort[i]},`,
        );
        continue;
      }
      const buf = addr;
      const base = slot * ADDR_STRIDE;
      let p = base;
      buf[p++] = 44;
      p = ipAt(buf, p, srcEp, v.srcIp[i]);
      buf[p++] = 44;
      p = ipAt(buf, p, dstEp, v.dstIp[i]);
      buf[p++] = 44;
      p = uintAt(buf, p, v.srcPort[i]);
      buf[p++] = 44;
      p = uintAt(buf, p, v.dstPort[i]);
      buf[p++] = 44;
      addrLen[slot] = p - base;
    }
  }

  // Copies mode writes into the handed-over buffer of each minute instead of this first slab.
  const writer: ByteWriter = createByteWriter(copies ? 0 : 1 << 20);

  // ---- the tuple writers (the pack being encoded) ----
  let eSess: Int32Array = new Int32Array(0);
  let eSide: Int32Array = new Int32Array(0);
  let eSt: Uint8Array = new Uint8Array(0);
  let eTs: Float64Array = new Float64Array(0);
  let eP1: Float64Array = new Float64Array(0);
  let eB1: Float64Array = new Float64Array(0);
  let eP2: Float64Array = new Float64Array(0);
  let eB2: Float64Array = new Float64Array(0);

  /** `,src,dst,sport,dport,` of a tuple of session `s` at `p`. */
  const addressesAt = (buf: Buffer, p: number, s: number): number => {
    const len = addrLen[s];
    if (len < 0) {
      const text = longAddr.get(s)!;
      for (let k = 0; k < text.length; k++) buf[p++] = text.charCodeAt(k);
      return p;
    }
    // Whole 32-bit words (the stride is a multiple of 4; writers leave room past the tuple):
    // a quarter of the stores of a byte loop.
    const dv = viewOf(buf);
    const words = addr32;
    let w = (s * ADDR_STRIDE) >> 2;
    const wEnd = w + ((len + 3) >> 2);
    let q = p;
    while (w < wEnd) {
      dv.setUint32(q, words[w++], true);
      q += 4;
    }
    return p + len;
  };

  const numberAt = (buf: Buffer, p: number, n: number): number => {
    if (n >= 0 && n < 1e15 && Number.isInteger(n)) return uintAt(buf, p, n);
    const text = String(n);
    for (let k = 0; k < text.length; k++) buf[p++] = text.charCodeAt(k);
    return p;
  };

  // Timestamps of one minute share their leading digits: those are written from a cached text.
  let tsHigh = -1;
  let tsHighBytes: Buffer = Buffer.alloc(0);
  const tsHighTexts = new Map<number, Buffer>();
  /** A timestamp (ms or s) as `high * 1e5 + low` with the low part zero-padded. */
  const timestampAt = (buf: Buffer, p: number, n: number): number => {
    if (!(n >= 1e5 && n < 1e15 && Number.isInteger(n))) return numberAt(buf, p, n);
    const high = Math.floor(n / 1e5);
    if (high !== tsHigh) {
      // A minute's millisecond timestamps straddle at most one boundary; NSG tuples use seconds.
      let b = tsHighTexts.get(high);
      if (b === undefined) {
        if (tsHighTexts.size >= 16) tsHighTexts.clear();
        tsHighTexts.set(high, (b = Buffer.from(String(high), 'latin1')));
      }
      tsHigh = high;
      tsHighBytes = b;
    }
    const hb = tsHighBytes;
    for (let k = 0; k < hb.length; k++) buf[p++] = hb[k];
    let low = n - high * 1e5;
    for (let k = 4; k >= 0; k--) {
      const q = Math.floor(low / 10);
      buf[p + k] = 48 + low - q * 10;
      low = q;
    }
    return p + 5;
  };

  const countersAt = (buf: Buffer, p: number, e: number): number => {
    p = numberAt(buf, p, eP1[e]);
    buf[p++] = 44;
    p = numberAt(buf, p, eB1[e]);
    buf[p++] = 44;
    p = numberAt(buf, p, eP2[e]);
    buf[p++] = 44;
    return numberAt(buf, p, eB2[e]);
  };

  const bytesAt = (buf: Buffer, p: number, b: Buffer): number => {
    for (let k = 0; k < b.length; k++) buf[p++] = b[k];
    return p;
  };

  /** Room one tuple may need. */
  const tupleRoom = (s: number) => (addrLen[s] < 0 ? 512 + longAddr.get(s)!.length : 256);

  /** A tuple's `"time,src,dst,sport,dport,` (after a comma unless it is a group's first); returns the end. */
  const tupleStart = (w: ByteWriter, e: number, comma: boolean, seconds: boolean): number => {
    const s = eSess[e];
    ensure(w, tupleRoom(s));
    const buf = w.buf;
    let p = w.pos;
    if (comma) buf[p++] = 44;
    buf[p++] = 34;
    p = timestampAt(buf, p, seconds ? Math.floor(eTs[e] / 1000) : eTs[e]);
    return addressesAt(buf, p, s);
  };

  const writeVnetTuple = (w: ByteWriter, e: number, comma: boolean) => {
    let p = tupleStart(w, e, comma, tsSeconds);
    const buf = w.buf;
    const st = eSt[e];
    p = bytesAt(buf, p, vnetAfter[eSide[e] * 4 + st]);
    if (st === ST_C || st === ST_E) {
      p = countersAt(buf, p, e);
      buf[p++] = 34;
    }
    w.pos = p;
  };

  const writeNsgTuple = (w: ByteWriter, e: number, v2: boolean, comma: boolean) => {
    let p = tupleStart(w, e, comma, true);
    const buf = w.buf;
    // NSG v2 has no D state: a denied attempt is `…,D,B,,,,`.
    const st = eSt[e];
    p = bytesAt(buf, p, nsgAfter[eSide[e] * 8 + (v2 ? 4 : 0) + st]);
    if (v2 && (st === ST_C || st === ST_E)) {
      p = countersAt(buf, p, e);
      buf[p++] = 34;
    }
    w.pos = p;
  };

  const writeBlock = (t: EncTarget, off: number, n: number, timeText: string, isFirst: boolean): void => {
    const w = writer;
    if (!isFirst) putByte(w, 44);
    putBytes(w, t.template.beforeTime);
    ensure(w, 40);
    putAscii(w, timeText);
    putBytes(w, t.template.afterTime);
    const end = off + n;
    if (t.vnet) {
      let acl = -1;
      let grp = -1;
      for (let i = off; i < end; i++) {
        const e = order[i];
        const gi = sideGroup[eSide[e]];
        if (gi === grp) {
          writeVnetTuple(w, e, true);
          continue;
        }
        const g = groups[gi];
        if (g.aclOrder !== acl) {
          if (acl !== -1) {
            putBytes(w, CLOSE_GROUP_AND_ACL);
            putByte(w, 44);
          }
          putBytes(w, g.aclHeader);
          putBytes(w, g.ruleHeader);
          acl = g.aclOrder;
          grp = g.order;
          writeVnetTuple(w, e, false);
        } else if (g.order !== grp) {
          putBytes(w, CLOSE_GROUP);
          putByte(w, 44);
          putBytes(w, g.ruleHeader);
          grp = g.order;
          writeVnetTuple(w, e, false);
        } else writeVnetTuple(w, e, true);
      }
      putBytes(w, CLOSE_GROUP_AND_ACL);
    } else {
      let rule = -1;
      const headers = t.nsgHeaders!;
      const v2 = t.nsgV2;
      for (let i = off; i < end; i++) {
        const e = order[i];
        const side = eSide[e];
        if (nsgRank[side] !== rule) {
          if (rule !== -1) {
            putBytes(w, CLOSE_NSG_RULE);
            putByte(w, 44);
          }
          const ruleName = sideNsgRule[side];
          let h = headers.get(ruleName);
          if (!h) headers.set(ruleName, (h = nsgRuleHeader(ruleName, t.mac)));
          putBytes(w, h);
          rule = nsgRank[side];
          writeNsgTuple(w, e, v2, false);
        } else writeNsgTuple(w, e, v2, true);
      }
      putBytes(w, CLOSE_NSG_RULE);
    }
    putBytes(w, t.template.close);
  };

  const outs = init.outPool ?? createOutPool();
  const takeOut = (bytes: number): SharedArrayBuffer => {
    const pool = outs.buffers;
    for (let i = pool.length - 1; i >= 0; i--) {
      const b = pool[i];
      if (b.byteLength < bytes) continue;
      pool.splice(i, 1);
      outs.bytes -= b.byteLength;
      return b;
    }
    return new SharedArrayBuffer(bytes + (bytes >> 3));
  };
  let lastTotal = 0;
  const recycle = (handedBack: SharedArrayBuffer[]): void => {
    for (const b of handedBack) {
      if (outs.bytes + b.byteLength > POOL_BYTES) continue;
      outs.buffers.push(b);
      outs.bytes += b.byteLength;
    }
  };

  return {
    encode(pack) {
      const t0 = performance.now();
      define(pack);
      const n = pack.tupleCount;
      const v = packLayout(n, pack.sessionCount, pack.touchedCount, pack.buffer).views!;
      adoptSessions(pack, v);
      eSess = v.sess;
      eSide = v.side;
      eSt = v.st;
      eTs = v.ts;
      eP1 = v.p1;
      eB1 = v.b1;
      eP2 = v.p2;
      eB2 = v.b2;
      if (order.length < n) order = new Int32Array(n + (n >> 1));
      const touched = v.touched;
      const nTouched = pack.touchedCount;
      orderByTarget(v.target, n, touched, nTouched, tCount, tOffset, order);
      const clock = recordClock(seed, pack.minute, pack.minuteStartMs);
      writer.minute = pack.minute;
      // Copies mode writes straight into the buffer handed over (sized from the last minute).
      let out: SharedArrayBuffer | null = null;
      if (copies) {
        out = takeOut(Math.max(1 << 16, lastTotal + (lastTotal >> 2)));
        writer.buf = Buffer.from(out);
        writer.start = 0;
        writer.pos = 0;
        writer.sealed = [];
        writer.pool = [];
      }
      const blocks: Buffer[] = new Array<Buffer>(nTouched);
      let total = 0;
      for (let j = 0; j < nTouched; j++) {
        const id = touched[j];
        const off = tOffset[id];
        const count = tCount[id];
        const t = targets[id];
        const rankBySide = t.vnet ? vnetRank : nsgRank;
        const timeText = sortedRecordTime(
          clock,
          order,
          off,
          count,
          rankBySide,
          eSide,
          eTs,
          pack.minuteStartMs,
          scratch,
        );
        writeBlock(t, off, count, timeText, v.first[j] === 1);
        blocks[j] = takeBytes(writer);
        total += blocks[j].length;
      }
      if (!copies)
        return { minute: pack.minute, buffer: pack.buffer, blocks, encodeMs: performance.now() - t0 };
      lastTotal = total;
      const ends = new Int32Array(nTouched);
      let at = 0;
      for (let j = 0; j < nTouched; j++) ends[j] = at += blocks[j].length;
      if (writer.sealed.length > 0 || writer.buf.buffer !== out) {
        // The minute outgrew the buffer (ensure() went on in slabs of its own): one that fits.
        const old = out!;
        out = takeOut(total);
        const bytes = Buffer.from(out);
        for (let j = 0; j < nTouched; j++) bytes.set(blocks[j], ends[j] - blocks[j].length);
        recycle([old]);
      }
      writer.buf = Buffer.allocUnsafeSlow(0);
      writer.sealed = [];
      return { minute: pack.minute, buffer: pack.buffer, out: out!, ends, encodeMs: performance.now() - t0 };
    },
    release(throughMinute, minute) {
      if (copies) return;
      if (throughMinute >= minute - 1) recycleSlabs(writer);
      else if (throughMinute >= 0) recycleSlabsThrough(writer, throughMinute);
    },
    recycle,
  };
}
