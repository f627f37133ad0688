/**
 * Evaluation, as azure-flowlogs-spec §4–5 and the seed's AVNM table describe it. A flow is
 * evaluated at the source NIC (outbound) and then at the destination NIC (inbound); each side is:
 *
 *   AVNM admin rules of the NIC's VNet by priority — `Deny` and `AlwaysAllow` end evaluation,
 *   `Allow` continues — then the two NSGs (subnet and NIC, order per `NsgOrder`); a deny ends
 *   evaluation; with no NSG at a level, that level passes.
 *
 * The rule a VNet flow log records at a NIC is the last rule evaluated there (seed table rows 1–6):
 * the terminating admin rule, the denying NSG rule, or the last allowing NSG rule; an admin `Allow`
 * is recorded only when no NSG was evaluated after it (flowlens choice; UNCONFIRMED). An NSG flow
 * log records the flow only in the NSG that decided last, and never an admin decision.
 *
 * `evaluateFast` is the allocation-free hot path; `evaluate` adds the explanation chain.
 */
import { parseIpv4 } from '../model/index.js';
import type { Direction, NsgEvaluationOrder } from '../model/index.js';
import { classify, protocolSlot } from './classifier.js';
import { NIC_STRIDE, type Policy } from './compile.js';
import { intMapGet } from './int-map.js';
import type { NsgOrder } from './config.js';
import type { RuleRef } from './rules.js';

const HOST_IP = parseIpv4('168.63.129.16');
const IMDS_IP = parseIpv4('169.254.169.254');

export type Decision = 'Allow' | 'Deny';
export type Protocol = 'tcp' | 'udp' | 'icmp' | 'esp' | 'ah';
const PROTOCOL_NUMBERS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, esp: 50, ah: 51, t: 6, u: 17 };

export function protocolNumber(p: number | string): number {
  if (typeof p === 'number') return p;
  const n = PROTOCOL_NUMBERS[p.toLowerCase()];
  if (n === undefined) throw new Error(`unknown protocol "${p}"`);
  return n;
}

export interface Flow {
  srcIp: string | number;
  dstIp: string | number;
  srcPort?: number;
  dstPort?: number;
  /** IANA number or `tcp|udp|icmp|esp|ah`. */
  protocol: number | string;
  /** NIC indices, when the caller knows them (overlapping address spaces). */
  srcNic?: number;
  dstNic?: number;
}

export interface EvaluateOptions {
  nsgOrder?: NsgOrder;
}

export type StepResult = 'Allow' | 'Deny' | 'Continue' | 'NoMatch' | 'NoNsg' | 'Bypass' | 'Established' | 'NotReached';

export interface ChainStep {
  side: 'source' | 'destination';
  nic: string;
  direction: Direction;
  stage: 'platform' | 'admin' | 'subnet-nsg' | 'nic-nsg' | 'stateful' | 'not-evaluated';
  nsg?: string;
  rule: RuleRef | null;
  result: StepResult;
  note?: string;
}

export interface SideVerdict {
  side: 'source' | 'destination';
  nic: string;
  nicIndex: number;
  direction: Direction;
  decision: Decision;
  decidingRule: RuleRef | null;
  /** What a VNet flow log records at this NIC (null: no rule evaluated; platform or no NSG). */
  recordedRule: RuleRef | null;
  /** The NSG rule an NSG flow log records (in `recordedByNsgFlowLog.nsg`'s log), or null. */
  nsgFlowLogRule: RuleRef | null;
  /** True when the platform bypass applied (traffic to 168.63.129.16 / 169.254.169.254). */
  platform: boolean;
}

export interface Verdict {
  decision: Decision;
  /** The rule that decided: the denying rule, else the last allowing rule of the last side. */
  decidingRule: RuleRef | null;
  /** What a VNet flow log records for this flow: at the denying side, else at the destination side, else the source side. */
  recordedRule: RuleRef | null;
  chain: ChainStep[];
  /** The evaluated sides, source first. */
  sides: SideVerdict[];
  /** When the destination was a NIC public IP: the private IP NSGs matched against. */
  translatedDstIp?: string;
}

/** Output of `evaluateFast`; reuse one object across calls. Rule fields are `Policy.rules` indices, -1 for none. */
export interface FastVerdict {
  allowed: boolean;
  /** 0: allowed, 1: denied at the source NIC, 2: denied at the destination NIC. */
  deniedAt: number;
  srcNic: number;
  dstNic: number;
  srcRecorded: number;
  dstRecorded: number;
  srcNsgLogged: number;
  dstNsgLogged: number;
  deciding: number;
}

export function newFastVerdict(): FastVerdict {
  return { allowed: false, deniedAt: 0, srcNic: -1, dstNic: -1, srcRecorded: -1, dstRecorded: -1, srcNsgLogged: -1, dstNsgLogged: -1, deciding: -1 };
}

const ORDER_DOCUMENTED = 0;
const ORDER_SUBNET_FIRST = 1;
const ORDER_NIC_FIRST = 2;
function orderCode(o: NsgOrder | undefined): number {
  return o === 'subnet-first' ? ORDER_SUBNET_FIRST : o === 'nic-first' ? ORDER_NIC_FIRST : ORDER_DOCUMENTED;
}


// Results of the last `evalSide` call (module scratch keeps the hot path allocation-free).
let sideAllowed = false;
let sideRecorded = -1;
let sideNsgLogged = -1;

function evalSide(
  p: Policy,
  access: Int8Array,
  nic: number,
  outbound: boolean,
  src: number,
  dst: number,
  sp: number,
  dp: number,
  slot: number,
  order: number,
  trace: ChainStep[] | null,
): void {
  const t = p.nicTable;
  const base = nic * NIC_STRIDE;
  const sideName = outbound ? 'source' : 'destination';
  const direction: Direction = outbound ? 'Outbound' : 'Inbound';
  const nicName = trace ? p.scenario.nics[nic].name : '';
  const admin = t[base + (outbound ? 8 : 5)];
  let adminAllow = -1;
  if (admin >= 0) {
    const r = classify(p.classifiers[admin], src, dst, sp, dp, slot);
    if (r >= 0) {
      const a = access[r];
      if (trace) trace.push({ side: sideName, nic: nicName, direction, stage: 'admin', rule: p.rules[r], result: a === 2 ? 'Deny' : a === 1 ? 'Allow' : 'Continue' });
      if (a !== 0) {
        sideAllowed = a === 1;
        sideRecorded = r;
        sideNsgLogged = -1;
        return;
      }
      adminAllow = r;
    } else if (trace) trace.push({ side: sideName, nic: nicName, direction, stage: 'admin', rule: null, result: 'NoMatch' });
  }
  const subnetCls = t[base + (outbound ? 6 : 3)];
  const nicCls = t[base + (outbound ? 7 : 4)];
  const subnetFirst = order === ORDER_SUBNET_FIRST || (order === ORDER_DOCUMENTED && !outbound);
  let last = -1;
  for (let k = 0; k < 2; k++) {
    const isSubnet = (k === 0) === subnetFirst;
    const cls = isSubnet ? subnetCls : nicCls;
    if (cls < 0) {
      if (trace) trace.push({ side: sideName, nic: nicName, direction, stage: isSubnet ? 'subnet-nsg' : 'nic-nsg', rule: null, result: 'NoNsg' });
      continue;
    }
    const r = classify(p.classifiers[cls], src, dst, sp, dp, slot);
    if (trace) {
      const nsgIdx = t[base + (isSubnet ? 1 : 2)];
      trace.push({
        side: sideName,
        nic: nicName,
        direction,
        stage: isSubnet ? 'subnet-nsg' : 'nic-nsg',
        nsg: p.scenario.nsgs[nsgIdx].name,
        rule: r >= 0 ? p.rules[r] : null,
        result: r < 0 ? 'NoMatch' : access[r] === 2 ? 'Deny' : 'Allow',
      });
    }
    if (r >= 0 && access[r] === 2) {
      sideAllowed = false;
      sideRecorded = r;
      sideNsgLogged = r;
      return;
    }
    if (r >= 0) last = r;
  }
  sideAllowed = true;
  sideRecorded = last >= 0 ? last : adminAllow;
  sideNsgLogged = last;
}

/**
 * Allocation-free evaluation of one flow (IPv4 numbers, IANA protocol). Fills `out`.
 * `srcNicHint`/`dstNicHint` (NIC indices, -1 for lookup by IP) resolve overlapping spaces.
 */
export function evaluateFast(
  p: Policy,
  srcIp: number,
  dstIp: number,
  srcPort: number,
  dstPort: number,
  protocol: number,
  order: NsgOrder | undefined,
  out: FastVerdict,
  srcNicHint = -1,
  dstNicHint = -1,
): FastVerdict {
  evaluateCore(p, srcIp, dstIp, srcPort, dstPort, protocol, orderCode(order), out, srcNicHint, dstNicHint, null);
  return out;
}

let lastTranslatedDst = -1;
let lastPlatform = false;

function evaluateCore(
  p: Policy,
  srcIp: number,
  dstIp: number,
  srcPort: number,
  dstPort: number,
  protocol: number,
  order: number,
  out: FastVerdict,
  srcNicHint: number,
  dstNicHint: number,
  trace: ChainStep[] | null,
): void {
  const access = p.ruleAccess;
  const slot = protocolSlot(protocol);
  let srcNic = srcNicHint;
  let src = srcIp;
  if (srcNic >= 0) {
    // A hinted NIC addressed by its public IP is still matched on its private IP.
    if (intMapGet(p.nicByPublicIp, srcIp) === srcNic) src = p.nicPrimaryIp[srcNic];
  } else {
    const n = intMapGet(p.nicByIp, srcIp);
    if (n >= 0) srcNic = n;
    else {
      const pub = intMapGet(p.nicByPublicIp, srcIp);
      if (pub >= 0) {
        srcNic = pub;
        src = p.nicPrimaryIp[pub];
      }
    }
  }
  let dstNic = dstNicHint;
  let dst = dstIp;
  lastTranslatedDst = -1;
  if (dstNic >= 0) {
    if (intMapGet(p.nicByPublicIp, dstIp) === dstNic) {
      dst = p.nicPrimaryIp[dstNic];
      lastTranslatedDst = dst;
    }
  } else {
    const n = intMapGet(p.nicByIp, dstIp);
    if (n >= 0) dstNic = n;
    else {
      const pub = intMapGet(p.nicByPublicIp, dstIp);
      if (pub >= 0) {
        dstNic = pub;
        dst = p.nicPrimaryIp[pub];
        lastTranslatedDst = dst;
      }
    }
  }
  // ICMP/ESP/AH carry no ports: rules with port conditions do not match them.
  if (slot >= 2) {
    srcPort = 0;
    dstPort = 0;
  }
  out.srcNic = srcNic;
  out.dstNic = dstNic;
  out.srcRecorded = -1;
  out.dstRecorded = -1;
  out.srcNsgLogged = -1;
  out.dstNsgLogged = -1;
  out.deciding = -1;
  out.deniedAt = 0;
  out.allowed = true;
  lastPlatform = false;
  if (srcNic >= 0) {
    if (p.options.platformBypass && (dstIp === HOST_IP || dstIp === IMDS_IP)) {
      lastPlatform = true;
      if (trace)
        trace.push({
          side: 'source',
          nic: p.scenario.nics[srcNic].name,
          direction: 'Outbound',
          stage: 'platform',
          rule: null,
          result: 'Bypass',
          note: 'Azure platform address: not subject to NSGs by default',
        });
      return;
    }
    evalSide(p, access, srcNic, true, src, dst, srcPort, dstPort, slot, order, trace);
    out.srcRecorded = sideRecorded;
    out.srcNsgLogged = sideNsgLogged;
    out.deciding = sideRecorded;
    if (!sideAllowed) {
      out.allowed = false;
      out.deniedAt = 1;
      return;
    }
  }
  if (dstNic >= 0) {
    evalSide(p, access, dstNic, false, src, dst, srcPort, dstPort, slot, order, trace);
    out.dstRecorded = sideRecorded;
    out.dstNsgLogged = sideNsgLogged;
    out.deciding = sideRecorded;
    if (!sideAllowed) {
      out.allowed = false;
      out.deniedAt = 2;
    }
  }
}

function ipNumber(ip: string | number): number {
  if (typeof ip === 'number') return ip;
  const n = parseIpv4(ip);
  if (n < 0) throw new Error(`not an IPv4 address: "${ip}"`);
  return n;
}

const fmt = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** Evaluates one flow and explains it: decision, deciding and recorded rules, and the chain. */
export function evaluate(p: Policy, flow: Flow, opts: EvaluateOptions = {}): Verdict {
  const out = newFastVerdict();
  const chain: ChainStep[] = [];
  const proto = protocolNumber(flow.protocol);
  evaluateCore(
    p,
    ipNumber(flow.srcIp),
    ipNumber(flow.dstIp),
    flow.srcPort ?? 0,
    flow.dstPort ?? 0,
    proto,
    orderCode(opts.nsgOrder),
    out,
    flow.srcNic ?? -1,
    flow.dstNic ?? -1,
    chain,
  );
  const rule = (i: number) => (i >= 0 ? p.rules[i] : null);
  const sides: SideVerdict[] = [];
  if (out.srcNic >= 0) {
    const denied = out.deniedAt === 1;
    sides.push({
      side: 'source',
      nic: p.scenario.nics[out.srcNic].name,
      nicIndex: out.srcNic,
      direction: 'Outbound',
      decision: denied ? 'Deny' : 'Allow',
      decidingRule: rule(out.srcRecorded),
      recordedRule: rule(out.srcRecorded),
      nsgFlowLogRule: rule(out.srcNsgLogged),
      platform: lastPlatform,
    });
  }
  if (out.dstNic >= 0) {
    if (out.deniedAt === 1) {
      chain.push({
        side: 'destination',
        nic: p.scenario.nics[out.dstNic].name,
        direction: 'Inbound',
        stage: 'not-evaluated',
        rule: null,
        result: 'NotReached',
        note: 'denied at the source; never reached the destination',
      });
    } else if (!lastPlatform) {
      sides.push({
        side: 'destination',
        nic: p.scenario.nics[out.dstNic].name,
        nicIndex: out.dstNic,
        direction: 'Inbound',
        decision: out.deniedAt === 2 ? 'Deny' : 'Allow',
        decidingRule: rule(out.dstRecorded),
        recordedRule: rule(out.dstRecorded),
        nsgFlowLogRule: rule(out.dstNsgLogged),
        platform: false,
      });
    }
  }
  const decidingSide = out.deniedAt === 1 ? sides[0] : sides[sides.length - 1];
  return {
    decision: out.allowed ? 'Allow' : 'Deny',
    decidingRule: decidingSide?.decidingRule ?? null,
    recordedRule: decidingSide?.recordedRule ?? null,
    chain,
    sides,
    ...(lastTranslatedDst >= 0 ? { translatedDstIp: fmt(lastTranslatedDst) } : {}),
  };
}

/**
 * Concrete NSG order for one flow. `random` picks per flow from a hash of the seed and the flow
 * key, so a flow always gets the same order within a run.
 */
export function chooseNsgOrder(setting: NsgEvaluationOrder, seed: number, flowKey: number): NsgOrder {
  if (setting !== 'random') return setting;
  let h = (seed ^ 0x9e3779b9 ^ Math.imul(flowKey, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) & 1 ? 'nic-first' : 'subnet-first';
}

// ---------------------------------------------------------------------------------------------
// Stateful return traffic

/**
 * Connection table: NSGs are stateful (§4.5), so the reply of an allowed connection is allowed
 * without rules in the other direction. `evaluatePacket` consults it before the rules.
 */
export interface ConnectionTable {
  readonly allowed: Map<string, Verdict>;
}

export function createConnectionTable(): ConnectionTable {
  return { allowed: new Map() };
}

function connKey(a: number, ap: number, b: number, bp: number, proto: number): string {
  return `${proto}|${a}|${ap}|${b}|${bp}`;
}

/**
 * Evaluates a packet: a reply to a connection this table allowed earlier is allowed as
 * `Established`; otherwise it is a new connection, evaluated by the rules and remembered when
 * allowed.
 */
export function evaluatePacket(p: Policy, table: ConnectionTable, flow: Flow, opts: EvaluateOptions = {}): Verdict {
  const proto = protocolNumber(flow.protocol);
  const s = ipNumber(flow.srcIp);
  const d = ipNumber(flow.dstIp);
  const sp = flow.srcPort ?? 0;
  const dp = flow.dstPort ?? 0;
  const original = table.allowed.get(connKey(d, dp, s, sp, proto));
  if (original) {
    return {
      decision: 'Allow',
      decidingRule: original.decidingRule,
      recordedRule: original.recordedRule,
      sides: original.sides,
      chain: [
        {
          side: 'source',
          nic: original.sides[original.sides.length - 1]?.nic ?? '',
          direction: 'Outbound',
          stage: 'stateful',
          rule: original.decidingRule,
          result: 'Established',
          note: 'reply of an allowed connection (NSGs are stateful)',
        },
      ],
    };
  }
  const v = evaluate(p, flow, opts);
  if (v.decision === 'Allow') table.allowed.set(connKey(s, sp, d, dp, proto), v);
  return v;
}
