/**
 * The minute scheduler. Simulated time advances one minute at a time; each minute the traffic
 * sources add connections, the recorder decides who records each one, connection tracking emits
 * `B` (begin), `C` (continuing, delta counters every `continuingIntervalMinutes`), `E` (end) and
 * `D` (deny) tuples, and every (flow log, NIC) with tuples gets one record: one data block for its
 * hour's `PT1H.json`. Only connections still open and the current minute's tuples are held in
 * memory, so 10,000 NICs stream in bounded memory.
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
import {
  aclHeader,
  createByteWriter,
  ensure,
  nsgRecordTemplate,
  nsgRuleHeader,
  putByte,
  putBytes,
  putUint,
  takeBytes,
  vnetRecordTemplate,
  vnetRuleHeader,
  type RecordTemplate,
} from './blockwriter.js';
import type { EmuNetwork, EmuNic, EmuNsgFlowLog, EmuVnetFlowLog } from './network.js';
import { prngFor } from './prng.js';
import type { BehaviourProfile } from './profiles.js';
import { decideFlow, STATE_BITS, type FlowDecision, type SideDecision } from './recorder.js';
import { buildTrafficSources, type Connection } from './traffic.js';
import type { Judge } from './verdict.js';

export type EncoderName = 'fast' | 'bytes' | 'formats' | 'json';

export interface EngineOptions {
  startMs: number;
  durationMinutes: number;
  profile: BehaviourProfile;
  seed: number;
  /**
   * `fast` (default): record text concatenated from per-side constant parts (no objects, no
   * escaping scan); `bytes`: the same written byte by byte into slabs; `formats`: record objects
   * through `encodeBlock`; `json`: record objects through `JSON.stringify` (the benchmark's
   * baseline). All four write the same bytes (tested); the JSON shape always comes from formats.
   */
  encoder?: EncoderName;
  /**
   * When given, time spent encoding records is added up (benchmarks): `encodeMs` wall clock and
   * `encodeCpuMs` CPU time of this process (robust on a shared machine).
   */
  timings?: { encodeMs: number; encodeCpuMs?: number };
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

const STATE_CHARS = ['B', 'C', 'E', 'D'] as const;
const ST_B = 0;
const ST_C = 1;
const ST_E = 2;
const ST_D = 3;
const STATE_BIT_BY_CODE = [STATE_BITS.B, STATE_BITS.C, STATE_BITS.E, STATE_BITS.D];

interface Target {
  kind: 'vnet' | 'nsg';
  nic: EmuNic;
  vnetLog: EmuVnetFlowLog | null;
  nsgLog: EmuNsgFlowLog | null;
  template: RecordTemplate;
  container: string;
  hourStartMs: number;
  blobName: string;
  blocks: number;
  events: TupleEvent[];
  /** NSG targets: rule headers (they embed the MAC). */
  nsgHeaders: Map<string, Buffer> | null;
  text?: { before: string; after: string; close: string };
  nsgHeaderText?: Map<string, string>;
}

interface Group {
  order: number;
  aclId: string;
  rule: string;
  aclOrder: number;
  aclHeader: Buffer;
  ruleHeader: Buffer;
  aclText: string;
  ruleText: string;
}

interface SideRt {
  vnet: Target | null;
  vnetStates: number;
  group: Group | null;
  nsg: Target | null;
  nsgRule: string;
  nsgRuleOrder: number;
  allowed: boolean;
  /**
   * `,src,dst,sport,dport,proto,dir,` for VNet tuples, as bytes: template strings are V8 ropes,
   * and reading a rope char by char is slow, so each side's constant text is encoded once.
   */
  midV: Buffer;
  /** `,enc,` for VNet tuples. */
  encV: Buffer;
  /** `,src,dst,sport,dport,T|U,dir,A|D` for NSG tuples. */
  midN: Buffer;
  /** The same three texts as strings, for the string-concatenation encoder. */
  midVs: string;
  encVs: string;
  midNs: string;
  /** Tuple fields, kept as primitives so connections and decisions can be collected early. */
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  protocol: number;
  direction: 'I' | 'O';
  encryption: string;
}

interface Session {
  sides: SideRt[];
  startMs: number;
  endMs: number;
  ppsF: number;
  ppsR: number;
  bpsF: number;
  bpsR: number;
  lastPF: number;
  lastBF: number;
  lastPR: number;
  lastBR: number;
}

interface SessionEvent {
  s: Session;
  st: number;
  ts: number;
}

interface TupleEvent {
  side: SideRt;
  st: number;
  ts: number;
  p1: number;
  b1: number;
  p2: number;
  b2: number;
  seq: number;
}

/** `2023-09-01T00:00:59.1234567Z`: Azure's 7 fractional digits, the last four from the PRNG. */
export function recordTimeText(ms: number, extra4: number): string {
  return new Date(ms).toISOString().slice(0, 23) + String(extra4).padStart(4, '0') + 'Z';
}

export function* runMinutes(net: EmuNetwork, judge: Judge, options: EngineOptions): Generator<MinuteResult> {
  const { startMs, durationMinutes, profile, seed } = options;
  const encoder = options.encoder ?? 'fast';
  const timings = options.timings;
  const endMs = startMs + durationMinutes * 60_000;
  const sources = buildTrafficSources(net, seed, startMs, endMs);
  const intervalMs = profile.continuingIntervalMinutes * 60_000;
  const tsSeconds = profile.vnetTupleTimestampUnit === 's';

  const targets = new Map<string, Target>();
  const groups = new Map<string, Group>();
  const aclOrder = new Map<string, number>();
  const aclHeaders = new Map<string, Buffer>();
  const nsgRuleOrder = new Map<string, number>();
  const buckets = new Map<number, SessionEvent[]>();
  const writer = createByteWriter(1 << 20);
  let seq = 0;

  const scheduleAt = (minuteIdx: number, ev: SessionEvent) => {
    let list = buckets.get(minuteIdx);
    if (!list) buckets.set(minuteIdx, (list = []));
    list.push(ev);
  };
  const minuteOf = (ts: number) => Math.floor((ts - startMs) / 60_000);

  const groupFor = (aclId: string, rule: string): Group => {
    const k = aclId + '\u0000' + rule;
    let g = groups.get(k);
    if (!g) {
      let ao = aclOrder.get(aclId);
      if (ao === undefined) aclOrder.set(aclId, (ao = aclOrder.size));
      let ah = aclHeaders.get(aclId);
      if (!ah) aclHeaders.set(aclId, (ah = aclHeader(aclId)));
      const rh = vnetRuleHeader(rule);
      g = { order: groups.size, aclId, rule, aclOrder: ao, aclHeader: ah, ruleHeader: rh, aclText: ah.toString('utf8'), ruleText: rh.toString('utf8') };
      groups.set(k, g);
    }
    return g;
  };

  const vnetTarget = (nic: EmuNic, fl: EmuVnetFlowLog): Target => {
    const k = `v\u0000${fl.name}\u0000${nic.idx}`;
    let t = targets.get(k);
    if (!t) {
      t = {
        kind: 'vnet',
        nic,
        vnetLog: fl,
        nsgLog: null,
        template: vnetRecordTemplate({
          flowLogVersion: 4,
          flowLogGUID: fl.guid,
          macAddress: nic.mac,
          category: VNET_CATEGORY,
          flowLogResourceID: fl.resourceIdUpper,
          targetResourceID: fl.targetResourceId,
          operationName: VNET_OPERATION_NAME,
        }),
        container: VNET_CONTAINER,
        hourStartMs: -1,
        blobName: '',
        blocks: 0,
        events: [],
        nsgHeaders: null,
      };
      targets.set(k, t);
    }
    return t;
  };

  const nsgTarget = (nic: EmuNic, fl: EmuNsgFlowLog): Target => {
    const k = `n\u0000${fl.name}\u0000${nic.idx}`;
    let t = targets.get(k);
    if (!t) {
      t = {
        kind: 'nsg',
        nic,
        vnetLog: null,
        nsgLog: fl,
        template: nsgRecordTemplate({
          systemId: fl.systemId,
          category: NSG_CATEGORY,
          resourceId: fl.resourceIdUpper,
          operationName: NSG_OPERATION_NAME,
          version: fl.version,
        }),
        container: NSG_CONTAINER,
        hourStartMs: -1,
        blobName: '',
        blocks: 0,
        events: [],
        nsgHeaders: new Map(),
      };
      targets.set(k, t);
    }
    return t;
  };

  const sideRt = (d: SideDecision, c: Connection): SideRt => {
    const dir = d.direction;
    const mid = `,${c.src.ip},${c.dst.ip},${c.srcPort},${c.dstPort},`;
    let ruleOrder = -1;
    if (d.nsgRecorded && d.nsgRule) {
      const r = nsgRuleOrder.get(d.nsgRule);
      if (r === undefined) nsgRuleOrder.set(d.nsgRule, (ruleOrder = nsgRuleOrder.size));
      else ruleOrder = r;
    }
    return {
      vnet: d.vnetStates && d.vnetFlowLog ? vnetTarget(d.nic, d.vnetFlowLog) : null,
      vnetStates: d.vnetStates,
      group: d.vnetStates ? groupFor(d.aclId, d.rule) : null,
      nsg: d.nsgRecorded && d.nsgFlowLog ? nsgTarget(d.nic, d.nsgFlowLog) : null,
      nsgRule: d.nsgRule ?? '',
      nsgRuleOrder: ruleOrder,
      allowed: d.allowed,
      midV: EMPTY,
      encV: encText(d.encryption),
      midN: EMPTY,
      midVs: d.vnetStates ? `${mid}${c.protocol},${dir},` : '',
      encVs: `,${d.encryption},`,
      midNs: d.nsgRecorded ? `${mid}${c.protocol === 6 ? 'T' : c.protocol === 17 ? 'U' : c.protocol},${dir},${d.allowed ? 'A' : 'D'}` : '',
      srcIp: c.src.ip,
      dstIp: c.dst.ip,
      srcPort: c.srcPort,
      dstPort: c.dstPort,
      protocol: c.protocol,
      direction: d.direction,
      encryption: d.encryption,
    };
  };

  // Decisions do not depend on the ephemeral source port unless a rule or filter looks at it.
  const scenario = net.scenario;
  const portSensitive =
    scenario.nsgs.some((n) => n.securityRules.some((r) => (r.sourcePortRange ?? '*') !== '*' || (r.sourcePortRanges ?? []).some((p) => p !== '*'))) ||
    scenario.networkManagers.some((m) => m.securityAdminConfigurations.some((c) => c.ruleCollections.some((rc) => rc.rules.some((r) => r.sourcePortRanges.length > 0)))) ||
    scenario.flowLogs.some((f) => /src\s*port|source\s*port/i.test(f.enabledFilteringCriteria ?? ''));
  const cacheable = scenario.nsgEvaluationOrder !== 'random';
  const decisionCache = new Map<string, FlowDecision>();

  const collect = (s: Session, st: number, ts: number, p1: number, b1: number, p2: number, b2: number, touched: Target[]) => {
    for (const side of s.sides) {
      if (side.vnet && side.vnetStates & STATE_BIT_BY_CODE[st]) {
        if (side.vnet.events.length === 0) touched.push(side.vnet);
        side.vnet.events.push({ side, st, ts, p1, b1, p2, b2, seq: seq++ });
      }
      if (side.nsg && (side.nsg.nsgLog!.version === 2 || st === ST_B || st === ST_D)) {
        if (side.nsg.events.length === 0) touched.push(side.nsg);
        side.nsg.events.push({ side, st, ts, p1, b1, p2, b2, seq: seq++ });
      }
    }
  };

  const fire = (ev: SessionEvent, touched: Target[]) => {
    const s = ev.s;
    if (ev.st === ST_B || ev.st === ST_D) {
      collect(s, ev.st, ev.ts, 0, 0, 0, 0, touched);
      return;
    }
    const secs = (ev.ts - s.startMs) / 1000;
    const pf = Math.floor(s.ppsF * secs + 1e-9);
    const bf = Math.floor(s.bpsF * secs + 1e-9);
    const pr = Math.floor(s.ppsR * secs + 1e-9);
    const br = Math.floor(s.bpsR * secs + 1e-9);
    collect(s, ev.st, ev.ts, pf - s.lastPF, bf - s.lastBF, pr - s.lastPR, br - s.lastBR, touched);
    s.lastPF = pf;
    s.lastBF = bf;
    s.lastPR = pr;
    s.lastBR = br;
    if (ev.st === ST_C) {
      const next = ev.ts + intervalMs;
      if (next < s.endMs && next < endMs) scheduleAt(minuteOf(next), { s, st: ST_C, ts: next });
    }
  };

  const startSession = (sides: SideRt[], c: Connection, denied: boolean, durationMs: number, rates: [number, number, number, number], touched: Target[]) => {
    if (sides.length === 0) return;
    const s: Session = {
      sides,
      startMs: c.startMs,
      endMs: c.startMs + durationMs,
      ppsF: rates[0],
      ppsR: rates[1],
      bpsF: rates[2],
      bpsR: rates[3],
      lastPF: 0,
      lastBF: 0,
      lastPR: 0,
      lastBR: 0,
    };
    if (denied) {
      fire({ s, st: ST_D, ts: c.startMs }, touched);
      return;
    }
    fire({ s, st: ST_B, ts: c.startMs }, touched);
    const firstC = c.startMs + intervalMs;
    if (firstC < s.endMs && firstC < endMs) scheduleAt(minuteOf(firstC), { s, st: ST_C, ts: firstC });
    if (s.endMs < endMs) {
      const ev = { s, st: ST_E, ts: s.endMs };
      if (minuteOf(s.endMs) === minuteOf(c.startMs)) pendingNow.push(ev);
      else scheduleAt(minuteOf(s.endMs), ev);
    }
  };
  let pendingNow: SessionEvent[] = [];

  const blockFor = (t: Target, minuteStartMs: number, timeText: string, tupleCount: { n: number }): Buffer => {
    const events = t.events;
    if (t.kind === 'vnet') {
      events.sort((a, b) => a.side.group!.aclOrder - b.side.group!.aclOrder || a.side.group!.order - b.side.group!.order || a.ts - b.ts || a.seq - b.seq);
    } else {
      events.sort((a, b) => a.side.nsgRuleOrder - b.side.nsgRuleOrder || a.ts - b.ts || a.seq - b.seq);
    }
    tupleCount.n += events.length;
    const isFirst = t.blocks === 0;
    if (encoder === 'formats' || encoder === 'json') {
      const record = buildRecordObject(t, timeText, events);
      if (encoder === 'formats') return Buffer.from(encodeBlock(record, isFirst));
      const json = JSON.stringify(record);
      return Buffer.from(isFirst ? json : ',' + json, 'utf8');
    }
    if (encoder === 'fast') return Buffer.from(recordText(t, timeText, events, isFirst), 'utf8');
    const w = writer;
    if (!isFirst) putByte(w, 44);
    putBytes(w, t.template.beforeTime);
    ensure(w, 40);
    w.pos += w.buf.write(timeText, w.pos, 'latin1');
    putBytes(w, t.template.afterTime);
    if (t.kind === 'vnet') {
      let acl = -1;
      let grp = -1;
      for (let i = 0; i < events.length; i++) {
        const e = events[i];
        const g = e.side.group!;
        if (g.aclOrder !== acl) {
          if (acl !== -1) {
            putBytes(w, CLOSE_GROUP_AND_ACL);
            putByte(w, 44);
          }
          putBytes(w, g.aclHeader);
          putBytes(w, g.ruleHeader);
          acl = g.aclOrder;
          grp = g.order;
        } else if (g.order !== grp) {
          putBytes(w, CLOSE_GROUP);
          putByte(w, 44);
          putBytes(w, g.ruleHeader);
          grp = g.order;
        } else {
          putByte(w, 44);
        }
        writeVnetTuple(e);
      }
      putBytes(w, CLOSE_GROUP_AND_ACL);
    } else {
      let rule = -1;
      const headers = t.nsgHeaders!;
      const version = t.nsgLog!.version;
      for (let i = 0; i < events.length; i++) {
        const e = events[i];
        if (e.side.nsgRuleOrder !== rule) {
          if (rule !== -1) {
            putBytes(w, CLOSE_NSG_RULE);
            putByte(w, 44);
          }
          let h = headers.get(e.side.nsgRule);
          if (!h) headers.set(e.side.nsgRule, (h = nsgRuleHeader(e.side.nsgRule, t.nic.mac)));
          putBytes(w, h);
          rule = e.side.nsgRuleOrder;
        } else {
          putByte(w, 44);
        }
        writeNsgTuple(e, version);
      }
      putBytes(w, CLOSE_NSG_RULE);
    }
    putBytes(w, t.template.close);
    return takeBytes(w);
  };

  const recordText = (t: Target, timeText: string, events: TupleEvent[], isFirst: boolean): string => {
    const tpl = (t.text ??= {
      before: t.template.beforeTime.toString('utf8'),
      after: t.template.afterTime.toString('utf8'),
      close: t.template.close.toString('utf8'),
    });
    let out = (isFirst ? tpl.before : ',' + tpl.before) + timeText + tpl.after;
    if (t.kind === 'vnet') {
      let acl = -1;
      let grp = -1;
      for (let i = 0; i < events.length; i++) {
        const e = events[i];
        const g = e.side.group!;
        if (g.aclOrder !== acl) {
          if (acl !== -1) out += ']}]},';
          out += g.aclText + g.ruleText;
          acl = g.aclOrder;
          grp = g.order;
        } else if (g.order !== grp) {
          out += ']},' + g.ruleText;
          grp = g.order;
        } else out += ',';
        const side = e.side;
        out +=
          '"' +
          (tsSeconds ? Math.floor(e.ts / 1000) : e.ts) +
          side.midVs +
          STATE_CHARS[e.st] +
          side.encVs +
          (e.st === ST_B || e.st === ST_D ? '0,0,0,0"' : e.p1 + ',' + e.b1 + ',' + e.p2 + ',' + e.b2 + '"');
      }
      out += ']}]}';
    } else {
      let rule = -1;
      const headers = (t.nsgHeaderText ??= new Map());
      const v2 = t.nsgLog!.version === 2;
      for (let i = 0; i < events.length; i++) {
        const e = events[i];
        if (e.side.nsgRuleOrder !== rule) {
          if (rule !== -1) out += ']}]},';
          let h = headers.get(e.side.nsgRule);
          if (h === undefined) headers.set(e.side.nsgRule, (h = nsgRuleHeader(e.side.nsgRule, t.nic.mac).toString('utf8')));
          out += h;
          rule = e.side.nsgRuleOrder;
        } else out += ',';
        out += '"' + Math.floor(e.ts / 1000) + e.side.midNs;
        if (v2) {
          // NSG v2 has no D state: a denied attempt is `…,D,B,,,,`.
          if (e.st === ST_B || e.st === ST_D) out += ',B,,,,';
          else out += ',' + STATE_CHARS[e.st] + ',' + e.p1 + ',' + e.b1 + ',' + e.p2 + ',' + e.b2;
        }
        out += '"';
      }
      out += ']}]}';
    }
    return out + tpl.close;
  };

  const writeVnetTuple = (e: TupleEvent) => {
    const w = writer;
    const side = e.side;
    if (side.midV === EMPTY) {
      side.midV = Buffer.from(side.midVs, 'latin1');
    }
    ensure(w, 256);
    w.buf[w.pos++] = 34;
    putUint(w, tsSeconds ? Math.floor(e.ts / 1000) : e.ts);
    putBytes(w, side.midV);
    w.buf[w.pos++] = STATE_CODES[e.st];
    putBytes(w, side.encV);
    if (e.st === ST_B || e.st === ST_D) {
      putBytes(w, ZERO_COUNTERS);
    } else {
      putUint(w, e.p1);
      w.buf[w.pos++] = 44;
      putUint(w, e.b1);
      w.buf[w.pos++] = 44;
      putUint(w, e.p2);
      w.buf[w.pos++] = 44;
      putUint(w, e.b2);
    }
    w.buf[w.pos++] = 34;
  };

  const writeNsgTuple = (e: TupleEvent, version: 1 | 2) => {
    const w = writer;
    if (e.side.midN === EMPTY) e.side.midN = Buffer.from(e.side.midNs, 'latin1');
    ensure(w, 256);
    w.buf[w.pos++] = 34;
    putUint(w, Math.floor(e.ts / 1000));
    putBytes(w, e.side.midN);
    if (version === 2) {
      w.buf[w.pos++] = 44;
      // NSG v2 has no D state: a denied attempt is `…,D,B,,,,`.
      w.buf[w.pos++] = e.st === ST_D ? 66 : STATE_CODES[e.st];
      if (e.st === ST_B || e.st === ST_D) putBytes(w, EMPTY_COUNTERS);
      else {
        w.buf[w.pos++] = 44;
        putUint(w, e.p1);
        w.buf[w.pos++] = 44;
        putUint(w, e.b1);
        w.buf[w.pos++] = 44;
        putUint(w, e.p2);
        w.buf[w.pos++] = 44;
        putUint(w, e.b2);
      }
    }
    w.buf[w.pos++] = 34;
  };

  const buildRecordObject = (t: Target, timeText: string, events: TupleEvent[]): FlowLogRecord => {
    if (t.kind === 'vnet') {
      const fl = t.vnetLog!;
      const flows: VnetFlowRecord['flowRecords']['flows'] = [];
      for (const e of events) {
        const g = e.side.group!;
        let acl = flows[flows.length - 1];
        if (!acl || acl.aclID !== g.aclId || (acl as unknown as { _o: number })._o !== g.aclOrder) {
          acl = { aclID: g.aclId, flowGroups: [] };
          Object.defineProperty(acl, '_o', { value: g.aclOrder, enumerable: false });
          flows.push(acl);
        }
        let grp = acl.flowGroups[acl.flowGroups.length - 1];
        if (!grp || grp.rule !== g.rule) acl.flowGroups.push((grp = { rule: g.rule, flowTuples: [] }));
        const c = e.side;
        const zero = e.st === ST_B || e.st === ST_D;
        grp.flowTuples.push(
          formatVnetTuple({
            time_ms: tsSeconds ? Math.floor(e.ts / 1000) : e.ts,
            src_ip: c.srcIp,
            dst_ip: c.dstIp,
            src_port: c.srcPort,
            dst_port: c.dstPort,
            protocol: c.protocol,
            direction: c.direction,
            state: STATE_CHARS[e.st],
            encryption: c.encryption,
            packets_s2d: zero ? 0 : e.p1,
            bytes_s2d: zero ? 0 : e.b1,
            packets_d2s: zero ? 0 : e.p2,
            bytes_d2s: zero ? 0 : e.b2,
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
    for (const e of events) {
      let r = rules[rules.length - 1];
      if (!r || r.rule !== e.side.nsgRule) rules.push((r = { rule: e.side.nsgRule, flows: [{ mac: t.nic.mac, flowTuples: [] }] }));
      const c = e.side;
      const open = e.st === ST_B || e.st === ST_D;
      r.flows[0].flowTuples.push(
        formatNsgTuple(fl.version, {
          time_s: Math.floor(e.ts / 1000),
          src_ip: c.srcIp,
          dst_ip: c.dstIp,
          src_port: c.srcPort,
          dst_port: c.dstPort,
          protocol: c.protocol,
          direction: c.direction,
          decision: e.side.allowed ? 'A' : 'D',
          state: e.st === ST_D ? 'B' : (STATE_CHARS[e.st] as 'B' | 'C' | 'E'),
          packets_s2d: open ? null : e.p1,
          bytes_s2d: open ? null : e.b1,
          packets_d2s: open ? null : e.p2,
          bytes_d2s: open ? null : e.b2,
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

  let lastHour = -1;
  for (let m = 0; m < durationMinutes; m++) {
    const minuteStartMs = startMs + m * 60_000;
    const hourStart = Math.floor(minuteStartMs / 3_600_000) * 3_600_000;
    const newHour = hourStart !== lastHour;
    lastHour = hourStart;
    const touched: Target[] = [];
    pendingNow = [];

    // Events of connections that started earlier (C and E), in time order.
    const due = buckets.get(m) ?? [];
    buckets.delete(m);

    // New connections.
    const conns: Connection[] = [];
    for (const src of sources) src.generate(m, minuteStartMs, conns);
    const orderRand = prngFor(seed, `order:${m}`);
    for (const c of conns) {
      const key = { srcIp: c.src.ip, dstIp: c.dst.ip, srcPort: c.srcPort, dstPort: c.dstPort, protocol: c.protocol };
      let d: FlowDecision | undefined;
      // Addresses drawn per connection from a prefix would only fill the cache with one-offs.
      const useCache = cacheable && !(c.src.kind === 'external' && c.src.sampled) && !(c.dst.kind === 'external' && c.dst.sampled);
      const ck = useCache ? `${c.kind}|${c.src.ip}|${c.dst.ip}|${c.protocol}|${c.dstPort}|${portSensitive ? c.srcPort : ''}|${c.encryption ?? ''}` : '';
      if (useCache) d = decisionCache.get(ck);
      if (!d) {
        d = decideFlow(net, judge, profile, { src: c.src, dst: c.dst, key, kind: c.kind, encryption: c.encryption }, orderRand.next, c.startMs);
        if (useCache) {
          if (decisionCache.size > 5_000) decisionCache.clear();
          decisionCache.set(ck, d);
        }
      }
      if (!d.protocolRecorded) continue;
      const rates: [number, number, number, number] = [c.ppsFwd, c.ppsRev, c.bpsFwd, c.bpsRev];
      const allowedSides: SideRt[] = [];
      const deniedSides: SideRt[] = [];
      for (const sd of d.sides) {
        if (!sd.vnetStates && !sd.nsgRecorded) continue;
        (sd.allowed ? allowedSides : deniedSides).push(sideRt(sd, c));
      }
      if (d.delivered) startSession(allowedSides, c, false, c.durationMs, rates, touched);
      else if (allowedSides.length) {
        // Allowed out, refused at the destination: the source sees a short attempt with no reply.
        const tries = Math.min(c.durationMs, 21_000);
        const secs = tries / 1000 || 1;
        const fwd: [number, number, number, number] =
          c.protocol === 6 ? [3 / secs, 0, 180 / secs, 0] : [c.ppsFwd, 0, c.bpsFwd, 0];
        startSession(allowedSides, c, false, tries, fwd, touched);
      }
      startSession(deniedSides, c, true, 0, [0, 0, 0, 0], touched);
    }
    const all = due.concat(pendingNow);
    all.sort((a, b) => a.ts - b.ts);
    for (const ev of all) fire(ev, touched);

    // One record per touched (flow log, NIC).
    const blocks: EmittedBlock[] = [];
    const timeRand = prngFor(seed, `time:${m}`);
    const tupleCount = { n: 0 };
    for (const t of touched) {
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
            : buildNsgBlobPath({ resourceId: t.nsgLog!.resourceIdUpper, time: minuteStartMs, macAddress: t.nic.mac });
      }
      let maxTs = 0;
      for (const e of t.events) if (e.ts > maxTs) maxTs = e.ts;
      const recordMs = Math.min(minuteStartMs + 59_999, Math.max(minuteStartMs + 59_000 + timeRand.int(0, 999), maxTs + 1));
      const timeText = recordTimeText(recordMs, timeRand.int(0, 9999));
      const before = tupleCount.n;
      const t0 = timings ? performance.now() : 0;
      const c0 = timings ? process.cpuUsage() : undefined;
      const bytes = blockFor(t, minuteStartMs, timeText, tupleCount);
      if (timings) {
        timings.encodeMs += performance.now() - t0;
        const c = process.cpuUsage(c0);
        timings.encodeCpuMs = (timings.encodeCpuMs ?? 0) + (c.user + c.system) / 1000;
      }
      blocks.push({
        kind: t.kind,
        container: t.container,
        blobName: t.blobName,
        bytes,
        isFirst: t.blocks === 0,
        flowLog: t.kind === 'vnet' ? t.vnetLog!.name : t.nsgLog!.name,
        nic: t.nic.name,
        tuples: tupleCount.n - before,
      });
      t.blocks++;
      t.events = [];
    }
    yield { minute: m, minuteStartMs, blocks, connections: conns.length, tuples: tupleCount.n, newHour };
  }
}

const EMPTY = Buffer.alloc(0);
const encTexts = new Map<string, Buffer>();
function encText(enc: string): Buffer {
  let t = encTexts.get(enc);
  if (t === undefined) encTexts.set(enc, (t = Buffer.from(`,${enc},`, 'latin1')));
  return t;
}
const ZERO_COUNTERS = Buffer.from('0,0,0,0', 'latin1');
const EMPTY_COUNTERS = Buffer.from(',,,,', 'latin1');

const STATE_CODES = [66, 67, 69, 68]; // B C E D
const CLOSE_GROUP = Buffer.from(']}', 'latin1');
const CLOSE_GROUP_AND_ACL = Buffer.from(']}]}', 'latin1');
const CLOSE_NSG_RULE = Buffer.from(']}]}', 'latin1');
