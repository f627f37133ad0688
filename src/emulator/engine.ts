/**
 * The minute scheduler. Simulated time advances one minute at a time; each minute the traffic
 * sources add connections, the recorder decides who records each one, connection tracking emits
 * `B` (begin), `C` (continuing, delta counters every `continuingIntervalMinutes`), `E` (end) and
 * `D` (deny) tuples, and every (flow log, NIC) with tuples gets one record: one data block for its
 * hour's `PT1H.json`. Only connections still open and the current minute's tuples are held in
 * memory, so 10,000 NICs stream in bounded memory.
 *
 * The hot path has no object per connection, session or tuple: connections arrive as columns
 * (`ConnBatch`), sessions and tuples live in typed arrays (struct of arrays, slots reused),
 * decisions are cached per (source endpoint, destination endpoint, port class, protocol, kind)
 * and reduced to shared side templates. Each minute then goes, as one pack of columns, to the
 * record encoder (record-encoder.ts), which sorts each record's tuples by packed numeric keys and
 * writes them as bytes: in this thread (`runMinutes`) or on a worker thread while the next minute
 * is simulated (`runMinutesInWorker`). Output is byte-identical to the per-object implementation
 * it replaced and to the `json` encoder.
 */
import {
  buildNsgBlobPath,
  buildVnetBlobPath,
  encodeBlock,
  formatNsgTuple,
  formatVnetTuple,
  NSG_CATEGORY,
  NSG_CONTAINER,
  NSG_OPERATION_NAME,
  VNET_CATEGORY,
  VNET_CONTAINER,
  VNET_OPERATION_NAME,
  type FlowLogRecord,
  type NsgFlowRecord,
  type VnetFlowRecord,
} from '../formats/index.js';
import type { EmuNetwork, EmuNic, EmuNsgFlowLog, EmuVnetFlowLog } from './network.js';
import { prngFor } from './prng.js';
import type { BehaviourProfile } from './profiles.js';
import {
  decideFlow,
  ENCRYPTION_NOISE_VALUE,
  STATE_BITS,
  type FlowDecision,
  type FlowKind,
  type SideDecision,
} from './recorder.js';
import { buildConnectionSources, createConnBatch, KIND_ENCRYPTION_NOISE } from './traffic.js';
import type { Judge } from './verdict.js';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../worker-thread.js';
import type { RecordWorkerMessage } from './record-worker.js';
import {
  createRecordEncoder,
  orderByTarget,
  packLayout,
  rankGroups,
  recordClock,
  sortedRecordTime,
  STATE_CHARS,
  ST_B,
  ST_C,
  ST_D,
  ST_E,
  type EncodedMinute,
  type EndpointDef,
  type GroupDef,
  type MinutePack,
  type SideDef,
  type SortScratch,
  type TargetDef,
} from './record-encoder.js';
import { grown, resized } from './columns.js';

export type EncoderName = 'fast' | 'bytes' | 'formats' | 'json';

export interface EngineOptions {
  startMs: number;
  durationMinutes: number;
  profile: BehaviourProfile;
  seed: number;
  /**
   * `fast` (default) and `bytes` (its older name): the record encoder writes tuples as bytes
   * from each session's once-encoded addresses and the side's constant parts (no objects, no
   * strings per tuple); `formats`: record objects through `encodeBlock`; `json`: record objects
   * through `JSON.stringify` (the benchmark's baseline). All write the same bytes (tested); the
   * JSON shape (record prefixes, group headers) always comes from formats.
   */
  encoder?: EncoderName;
  /**
   * When given, time spent encoding records is added up (benchmarks): `encodeMs` wall clock and
   * `encodeCpuMs` CPU time of this process (robust on a shared machine).
   */
  timings?: { encodeMs: number; encodeCpuMs?: number };
  /**
   * Set by a consumer that is done with blocks: the last minute whose blocks (and all earlier
   * ones) nobody references any more. The engine then writes new blocks into their memory.
   * Left unset, every block keeps its own bytes (the default for `emulateMinutes` callers).
   */
  released?: { throughMinute: number };
}

export interface EmittedBlock {
  kind: 'vnet' | 'nsg';
  container: string;
  blobName: string;
  /** The data block as appended (a leading comma unless `isFirst`). */
  bytes: Buffer;
  isFirst: boolean;
  flowLog: string;
  nic: string;
  tuples: number;
}

export interface MinuteResult {
  /** 0-based minute since the start. */
  minute: number;
  minuteStartMs: number;
  blocks: EmittedBlock[];
  connections: number;
  tuples: number;
  /** True when this minute starts a new UTC hour (earlier hours' blobs are complete). */
  newHour: boolean;
}

const KIND_NAMES: FlowKind[] = ['normal', 'platform', 'encryptionNoise'];
const STATE_BIT_BY_CODE = [STATE_BITS.B, STATE_BITS.C, STATE_BITS.E, STATE_BITS.D];

interface Target {
  kind: 'vnet' | 'nsg';
  nic: EmuNic;
  vnetLog: EmuVnetFlowLog | null;
  nsgLog: EmuNsgFlowLog | null;
  container: string;
  hourStartMs: number;
  blobName: string;
  blocks: number;
  /** This minute's tuples (a slice of the order). */
}

interface Group {
  order: number;
  aclId: string;
  rule: string;
  aclOrder: number;
}

/**
 * A decision reduced to side templates, stored as `DECIDED_STRIDE` int32s in one column store
 * (no object and no arrays per decision: at 10,000 NICs the cache holds ~90k decisions, which as
 * nested Maps, objects and arrays were ~40 MB of the live heap): flags, then the first two allowed
 * and the first two denied side templates (-1 when absent; a flow has at most two NIC sides).
 */
const DECIDED_STRIDE = 5;
const D_FLAGS = 0;
const D_ALLOWED0 = 1;
const D_ALLOWED1 = 2;
const D_DENIED0 = 3;
const D_DENIED1 = 4;
const DF_PROTOCOL_RECORDED = 1;
const DF_DELIVERED = 2;

export { recordTimeText } from './record-encoder.js';

/**
 * Runs the emulation minute by minute, encoding each minute's records in this thread. Same
 * output as `runMinutesInWorker`.
 */
export function* runMinutes(net: EmuNetwork, judge: Judge, options: EngineOptions): Generator<MinuteResult> {
  const packBuffers: ArrayBuffer[] = [];
  const encoder = createRecordEncoder({
    seed: options.seed,
    tsSeconds: options.profile.vnetTupleTimestampUnit === 's',
  });
  const timings = options.timings;
  for (const { result, pack } of simulateMinutes(net, judge, options, packBuffers)) {
    if (pack) {
      if (options.released) encoder.release(options.released.throughMinute, result.minute);
      const encodeTimed = startEncodeTiming(timings);
      const encoded = encoder.encode(pack);
      encodeTimed?.();
      packBuffers.push(encoded.buffer);
      fillBlocks(result.blocks, encoded);
    }
    yield result;
  }
}

/**
 * Runs the emulation with the records of minute m encoded on a worker thread while this thread
 * simulates minute m + 1 (the `fast` encoder only). Blocks of a minute are yielded once encoded;
 * with `released`, their buffers go back to the worker after the consumer is done with them.
 * The worker stops when the generator ends, fails or is returned from.
 */
export async function* runMinutesInWorker(
  net: EmuNetwork,
  judge: Judge,
  options: EngineOptions,
): AsyncGenerator<MinuteResult> {
  if (options.encoder === 'formats' || options.encoder === 'json')
    throw new Error(`the ${options.encoder} encoder runs in the engine's thread (use runMinutes)`);
  const packBuffers: ArrayBuffer[] = [];
  const worker = startRecordRun({
    seed: options.seed,
    tsSeconds: options.profile.vnetTupleTimestampUnit === 's',
  });
  // Output buffers of minutes handed to the consumer, until it releases them.
  const held: { minute: number; out: SharedArrayBuffer }[] = [];
  const finish = async (f: { result: MinuteResult; reply: Promise<EncodedMinute> }) => {
    const encoded = await f.reply;
    packBuffers.push(encoded.buffer);
    fillBlocks(f.result.blocks, encoded);
    if (options.released) held.push({ minute: encoded.minute, out: encoded.out! });
    if (options.timings) {
      options.timings.encodeMs += encoded.encodeMs;
      // The worker thread is busy for as long as it encodes.
      options.timings.encodeCpuMs = (options.timings.encodeCpuMs ?? 0) + encoded.encodeMs;
    }
    return f.result;
  };
  let inFlight: { result: MinuteResult; reply: Promise<EncodedMinute> } | null = null;
  try {
    for (const { result, pack } of simulateMinutes(net, judge, options, packBuffers)) {
      const back: SharedArrayBuffer[] = [];
      const through = options.released?.throughMinute ?? -1;
      while (held.length > 0 && held[0].minute <= through) back.push(held.shift()!.out);
      const next = { result, reply: worker.encode(pack!, back) };
      if (inFlight) yield await finish(inFlight);
      inFlight = next;
    }
    if (inFlight) yield await finish(inFlight);
  } finally {
    worker.end();
  }
}

/** When `timings` is given: a function that adds the wall and process CPU time since this call. */
function startEncodeTiming(timings: EngineOptions['timings']): (() => void) | null {
  if (!timings) return null;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return () => {
    timings.encodeMs += performance.now() - t0;
    const c = process.cpuUsage(c0);
    timings.encodeCpuMs = (timings.encodeCpuMs ?? 0) + (c.user + c.system) / 1000;
  };
}

/** Fills a minute's blocks with the encoder's bytes. */
function fillBlocks(blocks: EmittedBlock[], encoded: EncodedMinute): void {
  if (encoded.blocks) {
    for (let j = 0; j < blocks.length; j++) blocks[j].bytes = encoded.blocks[j];
    return;
  }
  const out = Buffer.from(encoded.out!);
  const ends = encoded.ends!;
  let at = 0;
  for (let j = 0; j < blocks.length; j++) {
    blocks[j].bytes = out.subarray(at, ends[j]);
    at = ends[j];
  }
}

/**
 * The record worker thread, shared by the runs of this process (started on first use, stopped
 * only if it fails): a run's packs go in order and its replies come back in the same order.
 * It does not keep the process alive while no run uses it.
 */
interface RecordThread {
  worker: Worker;
  runs: Map<number, { resolve: (e: EncodedMinute) => void; reject: (e: Error) => void }[]>;
  nextRun: number;
}
let recordThread: RecordThread | null = null;

function sharedRecordThread(): RecordThread {
  if (recordThread) return recordThread;
  const worker = startModuleWorker(import.meta.url, 'record-worker');
  const thread: RecordThread = { worker, runs: new Map(), nextRun: 1 };
  const failAll = (err: Error) => {
    if (recordThread === thread) recordThread = null;
    for (const waiting of thread.runs.values()) for (const w of waiting.splice(0)) w.reject(err);
  };
  worker.on('message', (reply: { run: number; encoded?: EncodedMinute; error?: string }) => {
    const w = thread.runs.get(reply.run)?.shift();
    if (!w) return;
    if (reply.error !== undefined) w.reject(new Error(`record encoder thread: ${reply.error}`));
    else w.resolve(reply.encoded!);
  });
  worker.on('error', (err) => failAll(err));
  worker.on('exit', (code) => failAll(new Error(`record encoder thread exited (code ${code})`)));
  worker.unref();
  recordThread = thread;
  return thread;
}

function startRecordRun(init: { seed: number; tsSeconds: boolean }) {
  const thread = sharedRecordThread();
  const run = thread.nextRun++;
  const waiting: { resolve: (e: EncodedMinute) => void; reject: (e: Error) => void }[] = [];
  thread.runs.set(run, waiting);
  if (thread.runs.size === 1) thread.worker.ref();
  thread.worker.postMessage({ run, start: init } satisfies RecordWorkerMessage);
  let ended = false;
  return {
    encode(pack: MinutePack, recycle: SharedArrayBuffer[]): Promise<EncodedMinute> {
      if (ended || !thread.runs.has(run) || recordThread !== thread)
        return Promise.reject(new Error('record encoder thread stopped'));
      const reply = new Promise<EncodedMinute>((resolve, reject) => waiting.push({ resolve, reject }));
      // A reply nobody awaits any more (the consumer stopped early) must not surface as unhandled.
      reply.catch(() => {});
      thread.worker.postMessage({ run, pack, recycle } satisfies RecordWorkerMessage, [pack.buffer]);
      return reply;
    },
    end(): void {
      if (ended) return;
      ended = true;
      for (const w of waiting.splice(0)) w.reject(new Error('record encoder run ended'));
      thread.runs.delete(run);
      if (recordThread !== thread) return;
      thread.worker.postMessage({ run, end: true } satisfies RecordWorkerMessage);
      if (thread.runs.size === 0) thread.worker.unref();
    },
  };
}

/**
 * One simulated minute: its blocks without their bytes (`blocks[j].bytes` is empty) and the pack
 * the record encoder turns into them, or (object encoders) its finished blocks and no pack.
 */
interface SimulatedMinute {
  result: MinuteResult;
  pack: MinutePack | null;
}

const NO_BYTES = Buffer.alloc(0);

function* simulateMinutes(
  net: EmuNetwork,
  judge: Judge,
  options: EngineOptions,
  /** Pack buffers the encoder is done with, reused for later packs. */
  packBuffers: ArrayBuffer[],
): Generator<SimulatedMinute> {
  const { startMs, durationMinutes, profile, seed } = options;
  const encoder = options.encoder ?? 'fast';
  const objectEncoder = encoder === 'formats' || encoder === 'json';
  const timings = options.timings;
  const endMs = startMs + durationMinutes * 60_000;
  const cs = buildConnectionSources(net, seed, startMs, endMs);
  const sources = cs.sources;
  const eps = cs.endpoints;
  const intervalMs = profile.continuingIntervalMinutes * 60_000;
  const tsSeconds = profile.vnetTupleTimestampUnit === 's';

  const targets: Target[] = [];
  const targetIds = new Map<string, number>();
  const groups: Group[] = [];
  const groupIds = new Map<string, number>();
  let groupsRanked = true;
  const aclOrder = new Map<string, number>();
  const nsgRuleOrder = new Map<string, number>();
  /** Side templates: what one NIC side of a decided flow writes (its routing is in the `tpl*` columns). */
  const sideTpls: SideDef[] = [];
  // What `collect` reads of each side template, as columns (compact: no object per lookup).
  let tplVnetTarget = new Int32Array(256);
  let tplVnetStates = new Int32Array(256);
  let tplNsgTarget = new Int32Array(256);
  let tplNsgV2 = new Uint8Array(256);
  // What the object encoders' sort reads per tuple: the side's VNet group rank, its NSG rule order.
  let tplVnetRank = new Int32Array(256);
  let tplNsgRank = new Int32Array(256);
  // Per target: 1 + the minute it last got a tuple in, its tuples then, their offset in `order`.
  let tMinute = new Int32Array(256);
  let tCount = new Int32Array(256);
  let tOffset = new Int32Array(256);
  /**
   * Side templates by what they are made of: nine int32s per template (`TPL_KEY`: NIC, flags and
   * states, protocol, then interned ids of encryption, aclID, rule, VNet flow log, NSG flow log and
   * NSG rule) in `tplKey`, found through an open-addressing table (`tplSlots`, -1 = empty). No
   * string key per decision (the cache-miss path built and hashed a ~200-character one), and no
   * such string per template kept (~50k at 10,000 NICs).
   */
  const textIds = new Map<string, number>();
  const textId = (text: string): number => {
    let id = textIds.get(text);
    if (id === undefined) textIds.set(text, (id = textIds.size));
    return id;
  };
  let tplKey = new Int32Array(TPL_KEY * 256);
  let tplSlots = new Int32Array(1024).fill(-1);
  const probeKey = new Int32Array(TPL_KEY);
  const tplHash = (k: Int32Array, o: number): number => {
    let h = 0x811c9dc5;
    for (let j = 0; j < TPL_KEY; j++) h = Math.imul(h ^ k[o + j], 0x01000193);
    return (h ^ (h >>> 15)) >>> 0;
  };
  /** The template with `probeKey`'s key, or the negative of (empty slot + 1) where it would go. */
  const findTpl = (): number => {
    const mask = tplSlots.length - 1;
    let i = tplHash(probeKey, 0) & mask;
    for (;;) {
      const id = tplSlots[i];
      if (id < 0) return -(i + 1);
      const o = id * TPL_KEY;
      let same = true;
      for (let j = 0; j < TPL_KEY && same; j++) same = tplKey[o + j] === probeKey[j];
      if (same) return id;
      i = (i + 1) & mask;
    }
  };
  const rememberTpl = (id: number, slot: number) => {
    tplKey = grown(tplKey, (id + 1) * TPL_KEY);
    tplKey.set(probeKey, id * TPL_KEY);
    tplSlots[slot] = id;
    if ((id + 1) * 2 > tplSlots.length) {
      tplSlots = new Int32Array(tplSlots.length * 2).fill(-1);
      const mask = tplSlots.length - 1;
      for (let t = 0; t <= id; t++) {
        let i = tplHash(tplKey, t * TPL_KEY) & mask;
        while (tplSlots[i] >= 0) i = (i + 1) & mask;
        tplSlots[i] = t;
      }
    }
  };
  // What the record encoder has not been told yet (see `MinutePack`).
  let newSides: SideDef[] = [];
  let newGroups: GroupDef[] = [];
  let newTargets: TargetDef[] = [];
  let started = new Int32Array(1024);
  let startedCount = 0;
  let endpointsSent = 0;

  // ---- sessions: struct of arrays with a free list ----
  let sCap = 1024;
  let sStart = new Float64Array(sCap);
  let sEnd = new Float64Array(sCap);
  let sPpsF = new Float64Array(sCap);
  let sPpsR = new Float64Array(sCap);
  let sBpsF = new Float64Array(sCap);
  let sBpsR = new Float64Array(sCap);
  let sLastPF = new Float64Array(sCap);
  let sLastBF = new Float64Array(sCap);
  let sLastPR = new Float64Array(sCap);
  let sLastBR = new Float64Array(sCap);
  let sNextC = new Float64Array(sCap);
  let sSide0 = new Int32Array(sCap);
  let sSide1 = new Int32Array(sCap);
  let sSrcEp = new Int32Array(sCap);
  let sDstEp = new Int32Array(sCap);
  let sSrcIp = new Float64Array(sCap);
  let sDstIp = new Float64Array(sCap);
  let sSrcPort = new Int32Array(sCap);
  let sDstPort = new Int32Array(sCap);
  /** Events still scheduled (C, E) per session; the slot is freed at 0 after the minute. */
  let sPending = new Int32Array(sCap);
  let sUsed = 0;
  let freeList = new Int32Array(1024);
  let freeCount = 0;
  let releaseList = new Int32Array(1024);
  let releaseCount = 0;

  const allocSession = (): number => {
    if (freeCount > 0) return freeList[--freeCount];
    if (sUsed === sCap) {
      const n = sCap * 2;
      sStart = grown(sStart, n);
      sEnd = grown(sEnd, n);
      sPpsF = grown(sPpsF, n);
      sPpsR = grown(sPpsR, n);
      sBpsF = grown(sBpsF, n);
      sBpsR = grown(sBpsR, n);
      sLastPF = grown(sLastPF, n);
      sLastBF = grown(sLastBF, n);
      sLastPR = grown(sLastPR, n);
      sLastBR = grown(sLastBR, n);
      sNextC = grown(sNextC, n);
      sSide0 = grown(sSide0, n);
      sSide1 = grown(sSide1, n);
      sSrcEp = grown(sSrcEp, n);
      sDstEp = grown(sDstEp, n);
      sSrcIp = grown(sSrcIp, n);
      sDstIp = grown(sDstIp, n);
      sSrcPort = grown(sSrcPort, n);
      sDstPort = grown(sDstPort, n);
      sPending = grown(sPending, n);
      sCap = n;
    }
    return sUsed++;
  };
  const releaseLater = (s: number) => {
    if (releaseCount === releaseList.length) releaseList = grown(releaseList, releaseCount + 1);
    releaseList[releaseCount++] = s;
  };

  // ---- scheduled C/E events: per minute, `session * 4 + state` ----
  // Lists are typed arrays reused once their minute is done (a growing JS array per minute was
  // ~10 MB of garbage per emulated hour at 1,000 NICs).
  const buckets = new Map<number, EventList>();
  const spareLists: EventList[] = [];
  const minuteOf = (ts: number) => Math.floor((ts - startMs) / 60_000);
  const scheduleAt = (minuteIdx: number, s: number, st: number) => {
    let list = buckets.get(minuteIdx);
    if (!list) buckets.set(minuteIdx, (list = spareLists.pop() ?? newEventList()));
    pushEvent(list, s * 4 + st);
    sPending[s]++;
  };
  /** Ends in the minute a connection starts in. */
  const pendingNow = newEventList();
  let sequence = new Int32Array(1024);

  // ---- this minute's tuples: struct of arrays ----
  let eCap = 4096;
  let eSess = new Int32Array(eCap);
  let eSide = new Int32Array(eCap);
  let eTarget = new Int32Array(eCap);
  let eSt = new Uint8Array(eCap);
  let eTs = new Float64Array(eCap);
  let eP1 = new Float64Array(eCap);
  let eB1 = new Float64Array(eCap);
  let eP2 = new Float64Array(eCap);
  let eB2 = new Float64Array(eCap);
  let eCount = 0;
  let order = new Int32Array(eCap);
  let touched: number[] = [];
  let minuteIdx = 0;

  /**
   * The event being emitted: time and counter deltas. Doubles handed from function to function
   * are boxed (a heap number per call); kept in a typed array, they are not.
   */
  const ev = new Float64Array(5);
  const EV_TS = 0;
  const EV_P1 = 1;
  const EV_B1 = 2;
  const EV_P2 = 3;
  const EV_B2 = 4;

  /** Adds a tuple of the current event (`ev`). */
  const addTuple = (s: number, side: number, target: number, st: number) => {
    if (eCount === eCap) {
      // By half (not doubled): ~53 bytes per tuple slot, and 10,000 NICs emit ~270k tuples a
      // minute, so doubling would leave up to ~14 MB unused and hold old and new at once.
      const n = eCap + (eCap >> 1);
      eSess = resized(eSess, n);
      eSide = resized(eSide, n);
      eTarget = resized(eTarget, n);
      eSt = resized(eSt, n);
      eTs = resized(eTs, n);
      eP1 = resized(eP1, n);
      eB1 = resized(eB1, n);
      eP2 = resized(eP2, n);
      eB2 = resized(eB2, n);
      eCap = n;
    }
    const i = eCount++;
    eSess[i] = s;
    eSide[i] = side;
    eTarget[i] = target;
    eSt[i] = st;
    eTs[i] = ev[EV_TS];
    eP1[i] = ev[EV_P1];
    eB1[i] = ev[EV_B1];
    eP2[i] = ev[EV_P2];
    eB2[i] = ev[EV_B2];
    if (tMinute[target] !== minuteIdx + 1) {
      tMinute[target] = minuteIdx + 1;
      tCount[target] = 0;
      touched.push(target);
    }
    tCount[target]++;
  };

  const groupFor = (aclId: string, rule: string): number => {
    const k = aclId + '\u0000' + rule;
    let g = groupIds.get(k);
    if (g === undefined) {
      let ao = aclOrder.get(aclId);
      if (ao === undefined) aclOrder.set(aclId, (ao = aclOrder.size));
      g = groups.length;
      groups.push({ order: g, aclId, rule, aclOrder: ao });
      if (!objectEncoder) newGroups.push({ aclId, rule, aclOrder: ao });
      groupIds.set(k, g);
      groupsRanked = false;
    }
    return g;
  };

  const targetFor = (kind: 'vnet' | 'nsg', nic: EmuNic, fl: EmuVnetFlowLog | EmuNsgFlowLog): number => {
    const k = `${kind === 'vnet' ? 'v' : 'n'}\u0000${fl.name}\u0000${nic.idx}`;
    let id = targetIds.get(k);
    if (id === undefined) {
      if (!objectEncoder) {
        if (kind === 'vnet') {
          const v = fl as EmuVnetFlowLog;
          newTargets.push({
            kind,
            mac: nic.mac,
            record: {
              flowLogVersion: 4,
              flowLogGUID: v.guid,
              macAddress: nic.mac,
              category: VNET_CATEGORY,
              flowLogResourceID: v.resourceIdUpper,
              targetResourceID: v.targetResourceId,
              operationName: VNET_OPERATION_NAME,
            },
          });
        } else {
          const n = fl as EmuNsgFlowLog;
          newTargets.push({
            kind,
            mac: nic.mac,
            record: {
              systemId: n.systemId,
              category: NSG_CATEGORY,
              resourceId: n.resourceIdUpper,
              operationName: NSG_OPERATION_NAME,
              version: n.version,
            },
          });
        }
      }
      id = targets.length;
      tMinute = grown(tMinute, id + 1);
      tCount = grown(tCount, id + 1);
      tOffset = grown(tOffset, id + 1);
      targets.push({
        kind,
        nic,
        vnetLog: kind === 'vnet' ? (fl as EmuVnetFlowLog) : null,
        nsgLog: kind === 'nsg' ? (fl as EmuNsgFlowLog) : null,
        container: kind === 'vnet' ? VNET_CONTAINER : NSG_CONTAINER,
        hourStartMs: -1,
        blobName: '',
        blocks: 0,
      });
      targetIds.set(k, id);
    }
    return id;
  };

  /** The template of one recorded side; groups and NSG rules get their order on first use. */
  const sideTplFor = (d: SideDecision, protocol: number): number => {
    const vnet = d.vnetStates && d.vnetFlowLog ? d.vnetFlowLog : null;
    const nsg = d.nsgRecorded && d.nsgFlowLog ? d.nsgFlowLog : null;
    probeKey[0] = d.nic.idx;
    probeKey[1] =
      (d.direction === 'O' ? 1 : 0) | (d.allowed ? 2 : 0) | (d.nsgRecorded ? 4 : 0) | (d.vnetStates << 3);
    probeKey[2] = protocol;
    probeKey[3] = textId(d.encryption);
    probeKey[4] = textId(d.aclId);
    probeKey[5] = textId(d.rule);
    probeKey[6] = vnet ? textId(vnet.name) : -1;
    probeKey[7] = nsg ? textId(nsg.name) : -1;
    probeKey[8] = d.nsgRule ? textId(d.nsgRule) : -1;
    const found = findTpl();
    if (found >= 0) return found;
    let ruleOrder = -1;
    if (d.nsgRecorded && d.nsgRule) {
      const r = nsgRuleOrder.get(d.nsgRule);
      if (r === undefined) nsgRuleOrder.set(d.nsgRule, (ruleOrder = nsgRuleOrder.size));
      else ruleOrder = r;
    }
    const vnetTarget = vnet ? targetFor('vnet', d.nic, vnet) : -1;
    const tpl: SideDef = {
      group: d.vnetStates ? groupFor(d.aclId, d.rule) : -1,
      nsgRule: d.nsgRule ?? '',
      nsgRuleOrder: ruleOrder,
      protocol,
      direction: d.direction,
      allowed: d.allowed,
      encryption: d.encryption,
    };
    const id = sideTpls.length;
    sideTpls.push(tpl);
    tplVnetTarget = grown(tplVnetTarget, id + 1);
    tplVnetStates = grown(tplVnetStates, id + 1);
    tplNsgTarget = grown(tplNsgTarget, id + 1);
    tplNsgV2 = grown(tplNsgV2, id + 1);
    tplVnetRank = grown(tplVnetRank, id + 1);
    tplNsgRank = grown(tplNsgRank, id + 1);
    // A new group leaves the groups unranked (all sides are ranked again before sorting).
    tplVnetRank[id] = tpl.group >= 0 && tpl.group < groupRank.length ? groupRank[tpl.group] : 0;
    tplNsgRank[id] = ruleOrder;
    tplVnetTarget[id] = vnetTarget;
    tplVnetStates[id] = d.vnetStates;
    tplNsgTarget[id] = nsg ? targetFor('nsg', d.nic, nsg) : -1;
    tplNsgV2[id] = nsg?.version === 2 ? 1 : 0;
    // The record encoder gets the same definition (it never changes once made).
    if (!objectEncoder) newSides.push(tpl);
    rememberTpl(id, -found - 1);
    return id;
  };

  /**
   * Decisions as rows of `decided` (`DECIDED_STRIDE` int32s each). Row 0 is scratch for a decision
   * that is not cached (used once); cached ones get a row of their own until the cache is reset.
   */
  let decided = new Int32Array(DECIDED_STRIDE * 1024);
  let decidedRows = 1;
  const reduceDecision = (d: FlowDecision, protocol: number, keep: boolean): number => {
    let row = 0;
    if (keep) {
      row = decidedRows++;
      if ((row + 1) * DECIDED_STRIDE > decided.length) decided = grown(decided, (row + 1) * DECIDED_STRIDE);
    }
    const o = row * DECIDED_STRIDE;
    decided[o + D_FLAGS] = (d.protocolRecorded ? DF_PROTOCOL_RECORDED : 0) | (d.delivered ? DF_DELIVERED : 0);
    decided[o + D_ALLOWED0] = -1;
    decided[o + D_ALLOWED1] = -1;
    decided[o + D_DENIED0] = -1;
    decided[o + D_DENIED1] = -1;
    if (!d.protocolRecorded) return row;
    let nAllowed = 0;
    let nDenied = 0;
    for (const sd of d.sides) {
      if (!sd.vnetStates && !sd.nsgRecorded) continue;
      const tpl = sideTplFor(sd, protocol);
      // Only the first two of a kind are used (a flow has two NIC sides at most).
      if (sd.allowed) {
        if (nAllowed < 2) decided[o + D_ALLOWED0 + nAllowed] = tpl;
        nAllowed++;
      } else {
        if (nDenied < 2) decided[o + D_DENIED0 + nDenied] = tpl;
        nDenied++;
      }
    }
    return row;
  };

  // Decisions do not depend on the ephemeral source port unless a rule or filter looks at it, nor
  // on an address drawn from a prefix the rules treat as one block (`judge.uniformRange`).
  const scenario = net.scenario;
  const portSensitive =
    scenario.nsgs.some((n) =>
      n.securityRules.some(
        (r) => (r.sourcePortRange ?? '*') !== '*' || (r.sourcePortRanges ?? []).some((p) => p !== '*'),
      ),
    ) ||
    scenario.networkManagers.some((m) =>
      m.securityAdminConfigurations.some((c) =>
        c.ruleCollections.some((rc) => rc.rules.some((r) => r.sourcePortRanges.length > 0)),
      ),
    ) ||
    scenario.flowLogs.some((f) => /src\s*port|source\s*port/i.test(f.enabledFilteringCriteria ?? ''));
  const cacheable = scenario.nsgEvaluationOrder !== 'random' && !portSensitive;
  const rangesMayBeUniform = judge.uniformRange !== undefined && net.vnetFlowLogs.every((f) => f.acceptsAll);
  /** Per endpoint id: 1 = its decisions can be cached by id, 0 = judged per connection, -1 = unknown yet. */
  const epCacheable: number[] = [];
  const cacheableEp = (id: number): boolean => {
    let v = epCacheable[id];
    if (v === undefined) {
      v = !eps.isRange[id] ? 1 : rangesMayBeUniform && judge.uniformRange!(eps.lo[id], eps.hi[id]) ? 1 : 0;
      epCacheable[id] = v;
    }
    return v === 1;
  };
  /**
   * (source endpoint, destination endpoint, port/protocol/kind key) → row of `decided`: an
   * open-addressing table in typed arrays (linear probing, at most half full), -1 = empty slot.
   */
  let cacheMask = 4095;
  let cacheSrc = new Int32Array(cacheMask + 1);
  let cacheDst = new Int32Array(cacheMask + 1);
  let cacheKey = new Int32Array(cacheMask + 1);
  let cacheRow = new Int32Array(cacheMask + 1).fill(-1);
  let cacheCount = 0;
  const cacheHash = (src: number, dst: number, key: number) => {
    let h = Math.imul(src, 0x9e3779b1) ^ Math.imul(dst, 0x85ebca77) ^ Math.imul(key, 0xc2b2ae3d);
    h ^= h >>> 15;
    return Math.imul(h, 0x2c1b3c6d) ^ (h >>> 13);
  };
  /** The slot holding the key, or the empty slot where it would go. */
  const cacheSlot = (src: number, dst: number, key: number): number => {
    let i = cacheHash(src, dst, key) & cacheMask;
    while (cacheRow[i] >= 0) {
      if (cacheKey[i] === key && cacheDst[i] === dst && cacheSrc[i] === src) return i;
      i = (i + 1) & cacheMask;
    }
    return i;
  };
  const cacheInsert = (src: number, dst: number, key: number, row: number) => {
    if ((cacheCount + 1) * 2 > cacheMask + 1) {
      const oSrc = cacheSrc;
      const oDst = cacheDst;
      const oKey = cacheKey;
      const oRow = cacheRow;
      cacheMask = cacheMask * 2 + 1;
      cacheSrc = new Int32Array(cacheMask + 1);
      cacheDst = new Int32Array(cacheMask + 1);
      cacheKey = new Int32Array(cacheMask + 1);
      cacheRow = new Int32Array(cacheMask + 1).fill(-1);
      for (let j = 0; j < oRow.length; j++) {
        if (oRow[j] < 0) continue;
        const k = cacheSlot(oSrc[j], oDst[j], oKey[j]);
        cacheSrc[k] = oSrc[j];
        cacheDst[k] = oDst[j];
        cacheKey[k] = oKey[j];
        cacheRow[k] = oRow[j];
      }
    }
    const i = cacheSlot(src, dst, key);
    cacheSrc[i] = src;
    cacheDst[i] = dst;
    cacheKey[i] = key;
    cacheRow[i] = row;
    cacheCount++;
  };
  const cacheReset = () => {
    cacheRow.fill(-1);
    cacheCount = 0;
    decidedRows = 1;
  };
  const retirementMs = profile.nsgFlowLogRetirement ? Date.parse(profile.nsgFlowLogRetirement) : null;
  // Ports the rules cannot tell apart share decisions (flow log filters may look at ports: then not).
  const portClass = rangesMayBeUniform ? judge.portClass : undefined;
  const portKey = (port: number) => (portClass ? portClass(port) : port);
  const protoCode = (p: number) => (p === 6 ? 0 : p === 17 ? 1 : p === 1 ? 2 : 3);

  const batch = createConnBatch(4096);
  /**
   * A few recent decisions per source, checked before the decision cache's nested maps: a source
   * mostly repeats a handful of (source endpoint, destination endpoint, key) triples. Holds only
   * entries of the decision cache, so hits return the same decision the cache would.
   */
  const memoSrc = new Int32Array(sources.length * MEMO_WAYS);
  const memoDst = new Int32Array(sources.length * MEMO_WAYS);
  const memoKey = new Int32Array(sources.length * MEMO_WAYS).fill(-1);
  const memoDecided = new Int32Array(sources.length * MEMO_WAYS);
  const memoNext = new Uint8Array(sources.length);

  /** Emits the tuples of the current event (`ev`) of session `s`. */
  const collect = (s: number, st: number) => {
    const bit = STATE_BIT_BY_CODE[st];
    for (let k = 0; k < 2; k++) {
      const side = k === 0 ? sSide0[s] : sSide1[s];
      if (side < 0) break;
      const vt = tplVnetTarget[side];
      if (vt >= 0 && tplVnetStates[side] & bit) addTuple(s, side, vt, st);
      const nt = tplNsgTarget[side];
      if (nt >= 0 && (tplNsgV2[side] === 1 || st === ST_B || st === ST_D)) addTuple(s, side, nt, st);
    }
  };

  /** Fires event `st` of session `s` at its time (B, D: the start; C: the next C; E: the end). */
  const fire = (s: number, st: number) => {
    if (st === ST_B || st === ST_D) {
      ev[EV_TS] = sStart[s];
      ev[EV_P1] = 0;
      ev[EV_B1] = 0;
      ev[EV_P2] = 0;
      ev[EV_B2] = 0;
      collect(s, st);
      return;
    }
    const ts = st === ST_C ? sNextC[s] : sEnd[s];
    const secs = (ts - sStart[s]) / 1000;
    const pf = Math.floor(sPpsF[s] * secs + 1e-9);
    const bf = Math.floor(sBpsF[s] * secs + 1e-9);
    const pr = Math.floor(sPpsR[s] * secs + 1e-9);
    const br = Math.floor(sBpsR[s] * secs + 1e-9);
    ev[EV_TS] = ts;
    ev[EV_P1] = pf - sLastPF[s];
    ev[EV_B1] = bf - sLastBF[s];
    ev[EV_P2] = pr - sLastPR[s];
    ev[EV_B2] = br - sLastBR[s];
    collect(s, st);
    sLastPF[s] = pf;
    sLastBF[s] = bf;
    sLastPR[s] = pr;
    sLastBR[s] = br;
    if (st === ST_C) {
      const next = ts + intervalMs;
      if (next < sEnd[s] && next < endMs) {
        sNextC[s] = next;
        scheduleAt(minuteOf(next), s, ST_C);
      }
    }
  };

  /**
   * Starts the sessions of connection `r` (batch row) on the given sides: `delivered` as the
   * connection's pattern says, `refused` (allowed out, refused at the destination: a short attempt
   * with no reply) or `denied` (one D tuple). The rates are read here rather than passed in, so no
   * double is boxed per connection.
   */
  const startSession = (side0: number, side1: number, r: number, how: number) => {
    const s = allocSession();
    const start = batch.startMs[r];
    let durationMs = 0;
    let ppsF = 0;
    let ppsR = 0;
    let bpsF = 0;
    let bpsR = 0;
    if (how === START_DELIVERED) {
      durationMs = batch.durationMs[r];
      ppsF = batch.ppsF[r];
      ppsR = batch.ppsR[r];
      bpsF = batch.bpsF[r];
      bpsR = batch.bpsR[r];
    } else if (how === START_REFUSED) {
      durationMs = Math.min(batch.durationMs[r], 21_000);
      const secs = durationMs / 1000 || 1;
      if (batch.protocol[r] === 6) {
        ppsF = 3 / secs;
        bpsF = 180 / secs;
      } else {
        ppsF = batch.ppsF[r];
        bpsF = batch.bpsF[r];
      }
    }
    sStart[s] = start;
    sEnd[s] = start + durationMs;
    sPpsF[s] = ppsF;
    sPpsR[s] = ppsR;
    sBpsF[s] = bpsF;
    sBpsR[s] = bpsR;
    sLastPF[s] = 0;
    sLastBF[s] = 0;
    sLastPR[s] = 0;
    sLastBR[s] = 0;
    sSide0[s] = side0;
    sSide1[s] = side1;
    sSrcEp[s] = batch.srcEp[r];
    sDstEp[s] = batch.dstEp[r];
    sSrcIp[s] = batch.srcIp[r];
    sDstIp[s] = batch.dstIp[r];
    sSrcPort[s] = batch.srcPort[r];
    sDstPort[s] = batch.dstPort[r];
    sPending[s] = 0;
    if (!objectEncoder) {
      if (startedCount === started.length) started = grown(started, startedCount + 1);
      started[startedCount++] = s;
    }
    if (how === START_DENIED) {
      fire(s, ST_D);
      releaseLater(s);
      return;
    }
    fire(s, ST_B);
    const firstC = start + intervalMs;
    if (firstC < sEnd[s] && firstC < endMs) {
      sNextC[s] = firstC;
      scheduleAt(minuteOf(firstC), s, ST_C);
    }
    if (sEnd[s] < endMs) {
      if (minuteOf(sEnd[s]) === minuteOf(start)) {
        pushEvent(pendingNow, s * 4 + ST_E);
        sPending[s]++;
      } else scheduleAt(minuteOf(sEnd[s]), s, ST_E);
    }
    if (sPending[s] === 0) releaseLater(s);
  };

  /** Ranks of the VNet groups for the object encoders' sort (the record encoder keeps its own). */
  let groupRank: Int32Array = new Int32Array(0);
  const rankSides = () => {
    groupRank = rankGroups(groups);
    for (let id = 0; id < sideTpls.length; id++)
      if (sideTpls[id].group >= 0) tplVnetRank[id] = groupRank[sideTpls[id].group];
    groupsRanked = true;
  };
  const sortScratch: SortScratch = { keys: new Float64Array(1024), idx: new Int32Array(1024) };

  /**
   * The minute for the record encoder: the definitions it has not had, the sessions started since
   * the last pack (slots, endpoints, addresses and ports) and the minute's tuples, copied into one
   * buffer. The encoder writes each session's address text itself.
   */
  const buildPack = (m: number, minuteStartMs: number, blocks: EmittedBlock[]): MinutePack => {
    const nTouched = touched.length;
    const need = packLayout(eCount, startedCount, nTouched).bytes;
    let buffer: ArrayBuffer | undefined;
    while (buffer === undefined && packBuffers.length > 0) {
      const b = packBuffers.pop()!;
      if (b.byteLength >= need) buffer = b;
    }
    buffer ??= new ArrayBuffer(need + (need >> 2));
    const v = packLayout(eCount, startedCount, nTouched, buffer).views!;
    v.ts.set(eTs.subarray(0, eCount));
    v.p1.set(eP1.subarray(0, eCount));
    v.b1.set(eB1.subarray(0, eCount));
    v.p2.set(eP2.subarray(0, eCount));
    v.b2.set(eB2.subarray(0, eCount));
    v.sess.set(eSess.subarray(0, eCount));
    v.side.set(eSide.subarray(0, eCount));
    v.target.set(eTarget.subarray(0, eCount));
    v.st.set(eSt.subarray(0, eCount));
    for (let i = 0; i < startedCount; i++) {
      const s = started[i];
      v.slots[i] = s;
      v.srcEp[i] = sSrcEp[s];
      v.dstEp[i] = sDstEp[s];
      v.srcIp[i] = sSrcIp[s];
      v.dstIp[i] = sDstIp[s];
      v.srcPort[i] = sSrcPort[s];
      v.dstPort[i] = sDstPort[s];
    }
    const endpoints: EndpointDef[] = [];
    for (; endpointsSent < eps.list.length; endpointsSent++)
      endpoints.push(
        eps.isRange[endpointsSent]
          ? { range: true, ip: '' }
          : { range: false, ip: eps.list[endpointsSent].ip },
      );
    for (let j = 0; j < nTouched; j++) {
      v.touched[j] = touched[j];
      v.first[j] = blocks[j].isFirst ? 1 : 0;
    }
    const pack: MinutePack = {
      minute: m,
      minuteStartMs,
      sides: newSides,
      groups: newGroups,
      targets: newTargets,
      tupleCount: eCount,
      sessionCount: startedCount,
      endpoints,
      touchedCount: nTouched,
      buffer,
    };
    newSides = [];
    newGroups = [];
    newTargets = [];
    startedCount = 0;
    return pack;
  };

  /** The benchmark's baseline and the formats cross-check: the record as objects. */ /** The benchmark's baseline and the formats cross-check: the record as objects. */
  const buildRecordObject = (t: Target, off: number, n: number, timeText: string): FlowLogRecord => {
    const end = off + n;
    const srcText = (s: number) => eps.ipText(sSrcEp[s], sSrcIp[s]);
    const dstText = (s: number) => eps.ipText(sDstEp[s], sDstIp[s]);
    if (t.kind === 'vnet') {
      const fl = t.vnetLog!;
      const flows: VnetFlowRecord['flowRecords']['flows'] = [];
      let lastAcl = -1;
      for (let i = off; i < end; i++) {
        const e = order[i];
        const tpl = sideTpls[eSide[e]];
        const g = groups[tpl.group];
        let acl = flows[flows.length - 1];
        if (!acl || g.aclOrder !== lastAcl) {
          acl = { aclID: g.aclId, flowGroups: [] };
          flows.push(acl);
          lastAcl = g.aclOrder;
        }
        let grp = acl.flowGroups[acl.flowGroups.length - 1];
        if (!grp || grp.rule !== g.rule) acl.flowGroups.push((grp = { rule: g.rule, flowTuples: [] }));
        const s = eSess[e];
        const st = eSt[e];
        const zero = st === ST_B || st === ST_D;
        grp.flowTuples.push(
          formatVnetTuple({
            time_ms: tsSeconds ? Math.floor(eTs[e] / 1000) : eTs[e],
            src_ip: srcText(s),
            dst_ip: dstText(s),
            src_port: sSrcPort[s],
            dst_port: sDstPort[s],
            protocol: tpl.protocol,
            direction: tpl.direction,
            state: STATE_CHARS[st],
            encryption: tpl.encryption,
            packets_s2d: zero ? 0 : eP1[e],
            bytes_s2d: zero ? 0 : eB1[e],
            packets_d2s: zero ? 0 : eP2[e],
            bytes_d2s: zero ? 0 : eB2[e],
          }),
        );
      }
      return {
        time: timeText,
        flowLogVersion: 4,
        flowLogGUID: fl.guid,
        macAddress: t.nic.mac,
        category: VNET_CATEGORY,
        flowLogResourceID: fl.resourceIdUpper,
        targetResourceID: fl.targetResourceId,
        operationName: VNET_OPERATION_NAME,
        flowRecords: { flows },
      };
    }
    const fl = t.nsgLog!;
    const rules: NsgFlowRecord['properties']['flows'] = [];
    for (let i = off; i < end; i++) {
      const e = order[i];
      const tpl = sideTpls[eSide[e]];
      let r = rules[rules.length - 1];
      if (!r || r.rule !== tpl.nsgRule)
        rules.push((r = { rule: tpl.nsgRule, flows: [{ mac: t.nic.mac, flowTuples: [] }] }));
      const s = eSess[e];
      const st = eSt[e];
      const open = st === ST_B || st === ST_D;
      r.flows[0].flowTuples.push(
        formatNsgTuple(fl.version, {
          time_s: Math.floor(eTs[e] / 1000),
          src_ip: srcText(s),
          dst_ip: dstText(s),
          src_port: sSrcPort[s],
          dst_port: sDstPort[s],
          protocol: tpl.protocol,
          direction: tpl.direction,
          decision: tpl.allowed ? 'A' : 'D',
          state: st === ST_D ? 'B' : (STATE_CHARS[st] as 'B' | 'C' | 'E'),
          packets_s2d: open ? null : eP1[e],
          bytes_s2d: open ? null : eB1[e],
          packets_d2s: open ? null : eP2[e],
          bytes_d2s: open ? null : eB2[e],
        }),
      );
    }
    return {
      time: timeText,
      systemId: fl.systemId,
      category: NSG_CATEGORY,
      resourceId: fl.resourceIdUpper,
      operationName: NSG_OPERATION_NAME,
      properties: { Version: fl.version, flows: rules },
    };
  };

  let dueOffsets = new Int32Array(1024);
  /** Per millisecond of the minute: where its due events start in `sequence` (counting sort). */
  const msStarts = new Int32Array(60_001);
  let lastHour = -1;
  for (let m = 0; m < durationMinutes; m++) {
    const minuteStartMs = startMs + m * 60_000;
    const hourStart = Math.floor(minuteStartMs / 3_600_000) * 3_600_000;
    const newHour = hourStart !== lastHour;
    lastHour = hourStart;
    minuteIdx = m;
    touched = [];
    eCount = 0;
    pendingNow.n = 0;
    // A decision made before the NSG flow log retirement must not be reused after it.
    const straddlesRetirement =
      retirementMs !== null && retirementMs > minuteStartMs && retirementMs < minuteStartMs + 60_000;
    if (retirementMs !== null && retirementMs > minuteStartMs - 60_000 && retirementMs <= minuteStartMs) {
      cacheReset();
      memoKey.fill(-1);
    }

    const due = buckets.get(m) ?? NO_EVENTS;
    buckets.delete(m);

    // New connections.
    // One source at a time (each has its own PRNG, so the connection order is the same as
    // generating the whole minute first), so the batch holds one source's connections only.
    const orderRand = prngFor(seed, `order:${m}`);
    const orderNext = () => orderRand.next();
    const keyed = cacheable && !straddlesRetirement;
    let connections = 0;
    for (let si = 0; si < sources.length; si++) {
      const source = sources[si];
      batch.n = 0;
      source.generate(m, minuteStartMs, batch);
      connections += batch.n;
      for (let r = 0; r < batch.n; r++) {
        const srcEp = batch.srcEp[r];
        const dstEp = batch.dstEp[r];
        const protocol = batch.protocol[r];
        const kind = batch.kind[r];
        let d = -1;
        let cached = false;
        const key = (portKey(batch.dstPort[r]) * 4 + protoCode(protocol)) * 3 + kind;
        const memoBase = si * MEMO_WAYS;
        let memoHit = false;
        if (keyed && cacheableEp(srcEp) && cacheableEp(dstEp)) {
          for (let w = memoBase; w < memoBase + MEMO_WAYS; w++) {
            if (memoKey[w] === key && memoDst[w] === dstEp && memoSrc[w] === srcEp) {
              d = memoDecided[w];
              memoHit = true;
              break;
            }
          }
          if (!memoHit) {
            cached = true;
            d = cacheRow[cacheSlot(srcEp, dstEp, key)];
          }
        }
        if (d < 0) {
          const src = eps.endpointOf(srcEp, batch.srcIp[r]);
          const dst = eps.endpointOf(dstEp, batch.dstIp[r]);
          const flowKey = {
            srcIp: src.ip,
            dstIp: dst.ip,
            srcPort: batch.srcPort[r],
            dstPort: batch.dstPort[r],
            protocol,
          };
          const fd = decideFlow(
            net,
            judge,
            profile,
            {
              src,
              dst,
              key: flowKey,
              kind: KIND_NAMES[kind],
              encryption: kind === KIND_ENCRYPTION_NOISE ? ENCRYPTION_NOISE_VALUE : undefined,
            },
            orderNext,
            batch.startMs[r],
          );
          d = reduceDecision(fd, protocol, cached);
          if (cached) cacheInsert(srcEp, dstEp, key, d);
        }
        if (cached) {
          // Remember it for this source's next connections (most repeat a few endpoint pairs).
          const w = memoBase + memoNext[si];
          memoNext[si] = (memoNext[si] + 1) % MEMO_WAYS;
          memoSrc[w] = srcEp;
          memoDst[w] = dstEp;
          memoKey[w] = key;
          memoDecided[w] = d;
        }
        const o = d * DECIDED_STRIDE;
        const flags = decided[o + D_FLAGS];
        if ((flags & DF_PROTOCOL_RECORDED) === 0) continue;
        const a0 = decided[o + D_ALLOWED0];
        if (a0 >= 0)
          startSession(
            a0,
            decided[o + D_ALLOWED1],
            r,
            flags & DF_DELIVERED ? START_DELIVERED : START_REFUSED,
          );
        const d0 = decided[o + D_DENIED0];
        if (d0 >= 0) startSession(d0, decided[o + D_DENIED1], r, START_DENIED);
      }
    }

    // Events of connections that started earlier (C and E) and this minute's ends, in time order.
    const nDue = due.n + pendingNow.n;
    if (nDue > 0) {
      // The minute's scheduled events, then the ends of connections started in it.
      const eventAt = (k: number) => (k < due.n ? due.items[k] : pendingNow.items[k - due.n]);
      const tsOf = (v: number) => ((v & 3) === ST_C ? sNextC[v >>> 2] : sEnd[v >>> 2]);
      dueOffsets = grown(dueOffsets, nDue);
      sequence = grown(sequence, nDue);
      let whole = true;
      for (let k = 0; k < nDue && whole; k++) {
        const off = tsOf(eventAt(k)) - minuteStartMs;
        if (!(off >= 0 && off < 60_000) || !Number.isInteger(off)) whole = false;
        else dueOffsets[k] = off;
      }
      if (whole) {
        // Whole milliseconds into the minute: a counting sort, stable (events of one millisecond
        // keep their order). A minute at 1,000 NICs has ~7,000: 0.04 ms, against 0.5 ms sorting
        // packed float keys (~30 ms per emulated hour).
        msStarts.fill(0);
        for (let k = 0; k < nDue; k++) msStarts[dueOffsets[k] + 1]++;
        for (let ms = 1; ms <= 60_000; ms++) msStarts[ms] += msStarts[ms - 1];
        for (let k = 0; k < nDue; k++) sequence[msStarts[dueOffsets[k]]++] = eventAt(k);
      } else {
        const all = Array.from({ length: nDue }, (_, k) => eventAt(k));
        all.sort((a, b) => tsOf(a) - tsOf(b));
        sequence.set(all);
      }
      for (let k = 0; k < nDue; k++) {
        const v = sequence[k];
        const s = v >>> 2;
        const st = v & 3;
        fire(s, st);
        if (--sPending[s] === 0) releaseLater(s);
      }
    }
    if (due !== NO_EVENTS) {
      due.n = 0;
      spareLists.push(due);
    }

    // One record per touched (flow log, NIC): its blob and place in it are decided here, its bytes
    // by the record encoder (from the pack) or, for the object encoders, below.
    const blocks: EmittedBlock[] = [];
    for (const id of touched) {
      const t = targets[id];
      if (t.hourStartMs !== hourStart) {
        t.hourStartMs = hourStart;
        t.blocks = 0;
        t.blobName =
          t.kind === 'vnet'
            ? buildVnetBlobPath({
                subscriptionId: t.vnetLog!.subscription,
                flowLogName: t.vnetLog!.name,
                networkWatcherName: t.vnetLog!.watcherName,
                networkWatcherResourceGroup: t.vnetLog!.watcherResourceGroup,
                time: minuteStartMs,
                macAddress: t.nic.mac,
              })
            : buildNsgBlobPath({
                resourceId: t.nsgLog!.resourceIdUpper,
                time: minuteStartMs,
                macAddress: t.nic.mac,
              });
      }
      blocks.push({
        kind: t.kind,
        container: t.container,
        blobName: t.blobName,
        bytes: NO_BYTES,
        isFirst: t.blocks === 0,
        flowLog: t.kind === 'vnet' ? t.vnetLog!.name : t.nsgLog!.name,
        nic: t.nic.name,
        tuples: tCount[id],
      });
      t.blocks++;
    }
    const pack = objectEncoder ? null : buildPack(m, minuteStartMs, blocks);
    if (objectEncoder) {
      const encodeTimed = startEncodeTiming(timings);
      if (order.length < eCount) order = resized(order, eCap);
      orderByTarget(eTarget, eCount, touched, touched.length, tCount, tOffset, order);
      if (!groupsRanked) rankSides();
      const clock = recordClock(seed, m, minuteStartMs);
      for (let j = 0; j < touched.length; j++) {
        const id = touched[j];
        const t = targets[id];
        const rankBySide = t.kind === 'vnet' ? tplVnetRank : tplNsgRank;
        const off = tOffset[id];
        const n = tCount[id];
        const timeText = sortedRecordTime(
          clock,
          order,
          off,
          n,
          rankBySide,
          eSide,
          eTs,
          minuteStartMs,
          sortScratch,
        );
        const record = buildRecordObject(t, off, n, timeText);
        if (encoder === 'formats') blocks[j].bytes = Buffer.from(encodeBlock(record, blocks[j].isFirst));
        else {
          const json = JSON.stringify(record);
          blocks[j].bytes = Buffer.from(blocks[j].isFirst ? json : ',' + json, 'utf8');
        }
      }
      encodeTimed?.();
    }
    // Sessions that ended this minute are reused from the next one (their tuples are written).
    for (let k = 0; k < releaseCount; k++) {
      const s = releaseList[k];
      if (sPending[s] !== 0) continue;
      if (freeCount === freeList.length) freeList = grown(freeList, freeCount + 1);
      freeList[freeCount++] = s;
    }
    releaseCount = 0;
    yield { result: { minute: m, minuteStartMs, blocks, connections, tuples: eCount, newHour }, pack };
  }
}

/** A list of scheduled events (`session * 4 + state`), reused from minute to minute. */
interface EventList {
  n: number;
  items: Int32Array;
}
const newEventList = (): EventList => ({ n: 0, items: new Int32Array(64) });
const NO_EVENTS: EventList = { n: 0, items: new Int32Array(0) };
function pushEvent(list: EventList, v: number): void {
  if (list.n === list.items.length) {
    const next = new Int32Array(list.items.length * 2);
    next.set(list.items);
    list.items = next;
  }
  list.items[list.n++] = v;
}

/** Int32s in a side template's key (see `tplKey`). */
const TPL_KEY = 9;

const START_DELIVERED = 0;
const START_REFUSED = 1;
const START_DENIED = 2;
/** Entries of the per-source decision memo. */
const MEMO_WAYS = 4;
