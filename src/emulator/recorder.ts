/**
 * The recorder: for one flow, which NICs see it, what each decides, and which flow logs record it
 * (or why not). A pure function of the network, the rule engine's verdicts and the behaviour
 * profile; the emulator calls it once per connection and the coverage planner calls it to explain
 * "what does this configuration record or miss".
 *
 * Rules, all read from the profile or the spec (never from the profile's name):
 * - only the profile's `recordedProtocols` (TCP/UDP) are recorded anywhere; ICMP never is;
 * - VNet flow logs record at every NIC the flow reaches whose effective flow log (NIC > subnet >
 *   VNet) exists and whose filter and record types accept it, so peered traffic is recorded when
 *   either side has a flow log;
 * - NSG flow logs record only at the flow log of the NSG that decided last (the deny-er, or the
 *   last allower); admin-rule (AVNM) decisions and encryption drops never appear there;
 * - traffic to a private endpoint is recorded at the source VM only where the profile says so;
 * - flows dropped by virtual network encryption are recorded (VNet flow logs only) under the
 *   profile's `encryptionDropAclId` / `encryptionDropRule`.
 */
import type { FilterSubject } from './filter.js';
import type { EmuNetwork, EmuNic, EmuNsgFlowLog, EmuVnetFlowLog, Endpoint } from './network.js';
import type { BehaviourProfile } from './profiles.js';
import type { FlowJudgement, FlowKey, Judge, SideVerdict } from './verdict.js';

export type FlowKind = 'normal' | 'platform' | 'encryptionNoise';

export interface FlowSpec {
  src: Endpoint;
  dst: Endpoint;
  key: FlowKey;
  kind?: FlowKind;
  /** Encryption value forced by a generator (encryption noise). */
  encryption?: string;
}

export const STATE_BITS = { B: 1, C: 2, E: 4, D: 8 } as const;

export interface SideDecision {
  nic: EmuNic;
  direction: 'I' | 'O';
  allowed: boolean;
  decidedBy: SideVerdict['decidedBy'] | 'encryption' | 'platform';
  encryption: string;
  aclId: string;
  rule: string;
  chain: string[];
  vnetFlowLog: EmuVnetFlowLog | null;
  /** Bit set of `STATE_BITS` the VNet flow log writes for this flow; 0 = not recorded. */
  vnetStates: number;
  vnetWhyNot: string | null;
  nsgFlowLog: EmuNsgFlowLog | null;
  nsgRule: string | null;
  nsgRecorded: boolean;
  nsgWhyNot: string | null;
}

export interface FlowDecision {
  protocolRecorded: boolean;
  /** Sides in path order: the source NIC (outbound) first, then the destination NIC (inbound). */
  sides: SideDecision[];
  /** True when the flow reached its destination. */
  delivered: boolean;
}

export interface EncryptionOutcome {
  value: string;
  dropped: boolean;
}

/**
 * Encryption outcome per spec §6.3 (INFERRED mapping): only private NIC↔NIC traffic in two
 * encryption-enabled VNets is encrypted; a NIC that cannot encrypt gives `NX_HW_NOT_SUPPORTED`,
 * dropped when either VNet enforces `DropUnencrypted`; two NICs on one host give `NX_LOCAL_DST`.
 */
export function encryptionOutcome(src: Endpoint, dst: Endpoint): EncryptionOutcome {
  if (src.kind !== 'nic' || dst.kind !== 'nic') return { value: 'NX', dropped: false };
  const a = src.nic.vnet.encryption;
  const b = dst.nic.vnet.encryption;
  if (!a?.enabled || !b?.enabled) return { value: 'NX', dropped: false };
  if (src.nic.encryptionCapable && dst.nic.encryptionCapable) {
    const sameHost = src.nic.host !== undefined && src.nic.host === dst.nic.host;
    return { value: sameHost ? 'NX_LOCAL_DST' : 'X', dropped: false };
  }
  const drop = a.enforcement === 'DropUnencrypted' || b.enforcement === 'DropUnencrypted';
  return { value: 'NX_HW_NOT_SUPPORTED', dropped: drop };
}

/** The encryption value encryption-noise flows carry. UNCONFIRMED: the article shows only the aclID/rule. */
export const ENCRYPTION_NOISE_VALUE = 'NX_NOT_ACCEPTED';

/** Address, rule and label Azure platform traffic (DNS 168.63.129.16, IMDS) is recorded under. UNCONFIRMED (3P sample). */
export const PLATFORM_ACL_ID = '00000000-0000-0000-0000-000000000000';
export const PLATFORM_RULE = 'PlatformRule';

const retirementCache = new Map<string, number>();
function retirementOf(iso: string): number {
  let ms = retirementCache.get(iso);
  if (ms === undefined) retirementCache.set(iso, (ms = Date.parse(iso)));
  return ms;
}

export function decideFlow(
  net: EmuNetwork,
  judge: Judge,
  profile: BehaviourProfile,
  spec: FlowSpec,
  rand: () => number,
  atMs: number,
): FlowDecision {
  const { src, dst, key } = spec;
  const kind = spec.kind ?? 'normal';
  const protocolRecorded = profile.recordedProtocols.includes(key.protocol);
  const enc = spec.encryption !== undefined ? { value: spec.encryption, dropped: true } : encryptionOutcome(src, dst);
  const sides: SideDecision[] = [];
  let delivered = true;
  const toPrivateEndpoint = dst.kind === 'privateEndpoint';
  const retirementMs = profile.nsgFlowLogRetirement ? retirementOf(profile.nsgFlowLogRetirement) : null;

  type SideInput = Pick<SideDecision, 'allowed' | 'decidedBy' | 'encryption' | 'aclId' | 'rule' | 'chain' | 'nsgRule'>;

  const makeSide = (nic: EmuNic, direction: 'I' | 'O', v: SideInput, nsgName: string | undefined): SideDecision => {
    const nsgFlowLog = nsgName ? (net.nsgFlowLogs.get(nsgName.toLowerCase()) ?? null) : null;
    const side: SideDecision = {
      nic,
      direction,
      ...v,
      vnetFlowLog: nic.vnetFlowLog,
      vnetStates: 0,
      vnetWhyNot: null,
      nsgFlowLog,
      nsgRecorded: false,
      nsgWhyNot: null,
    };
    // VNet flow log at this NIC.
    const fl = nic.vnetFlowLog;
    if (!protocolRecorded) side.vnetWhyNot = `protocol ${key.protocol} is not recorded (TCP and UDP only)`;
    else if (!fl) side.vnetWhyNot = `no VNet flow log covers NIC ${nic.name} (NIC, subnet or VNet scope)`;
    else if (toPrivateEndpoint && !profile.privateEndpointInVnetFlowLogs)
      side.vnetWhyNot = `traffic to a private endpoint is not recorded (profile ${profile.name})`;
    else if (fl.acceptsAll) side.vnetStates = side.allowed ? STATE_BITS.B | STATE_BITS.C | STATE_BITS.E : STATE_BITS.D;
    else {
      const subject: FilterSubject = {
        srcIp: key.srcIp,
        dstIp: key.dstIp,
        srcPort: key.srcPort,
        dstPort: key.dstPort,
        protocol: key.protocol,
        direction,
        allowed: side.allowed,
        encryption: side.encryption,
      };
      const possible = side.allowed ? (['B', 'C', 'E'] as const) : (['D'] as const);
      for (const st of possible) {
        if (fl.recordTypes.has(st) && fl.filter({ ...subject, state: st })) side.vnetStates |= STATE_BITS[st];
      }
      if (side.vnetStates === 0) side.vnetWhyNot = `excluded by the filtering criteria or record types of flow log ${fl.name}`;
    }
    // NSG flow log of the NSG that decided last.
    if (!protocolRecorded) side.nsgWhyNot = `protocol ${key.protocol} is not recorded (TCP and UDP only)`;
    else if (side.decidedBy === 'avnm') side.nsgWhyNot = 'decided by an AVNM security admin rule; NSG flow logs do not record those';
    else if (side.decidedBy === 'encryption') side.nsgWhyNot = 'dropped by virtual network encryption; NSG flow logs do not record that';
    else if (side.decidedBy === 'platform') side.nsgWhyNot = 'platform traffic is not evaluated by NSGs';
    else if (!side.nsgRule || !nsgName) side.nsgWhyNot = 'no NSG on the path';
    else if (toPrivateEndpoint && !profile.privateEndpointInNsgFlowLogs)
      side.nsgWhyNot = `traffic to a private endpoint is not recorded (profile ${profile.name})`;
    else if (!nsgFlowLog) side.nsgWhyNot = `NSG ${nsgName} decided last and has no NSG flow log`;
    else if (retirementMs !== null && atMs >= retirementMs)
      side.nsgWhyNot = `NSG flow logs are retired from ${(profile.nsgFlowLogRetirement ?? '').slice(0, 10)}`;
    else side.nsgRecorded = true;
    return side;
  };

  let judged: FlowJudgement | null = null;
  const judgement = (): FlowJudgement =>
    (judged ??= judge(key, src.kind === 'nic' ? src.nic : null, dst.kind === 'nic' ? dst.nic : null, rand));

  const verdictSide = (nic: EmuNic, direction: 'I' | 'O'): SideDecision => {
    const j = judgement();
    const v: SideVerdict = (direction === 'O' ? j.out : j.in) ?? {
      allowed: true,
      decidedBy: 'none',
      aclId: PLATFORM_ACL_ID,
      rule: PLATFORM_RULE,
      nsgLogger: null,
      chain: ['not evaluated by the rule engine'],
    };
    return makeSide(
      nic,
      direction,
      { allowed: v.allowed, decidedBy: v.decidedBy, encryption: enc.value, aclId: v.aclId, rule: v.rule, chain: v.chain, nsgRule: v.nsgLogger?.rule ?? null },
      v.nsgLogger?.nsgName,
    );
  };

  const encryptionDrop = (nic: EmuNic, direction: 'I' | 'O'): SideDecision =>
    makeSide(
      nic,
      direction,
      {
        allowed: false,
        decidedBy: 'encryption',
        encryption: enc.value,
        aclId: profile.encryptionDropAclId,
        rule: profile.encryptionDropRule,
        chain: [`virtual network encryption drops the flow (${enc.value})`],
        nsgRule: null,
      },
      undefined,
    );

  if (src.kind === 'nic') {
    let side: SideDecision;
    if (kind === 'platform') {
      side = makeSide(
        src.nic,
        'O',
        {
          allowed: true,
          decidedBy: 'platform',
          encryption: 'NX',
          aclId: PLATFORM_ACL_ID,
          rule: PLATFORM_RULE,
          chain: ['platform traffic (168.63.129.16 / 169.254.169.254) is not evaluated by NSGs'],
          nsgRule: null,
        },
        undefined,
      );
    } else if (enc.dropped && kind !== 'encryptionNoise') side = encryptionDrop(src.nic, 'O');
    else side = verdictSide(src.nic, 'O');
    sides.push(side);
    if (!side.allowed) delivered = false;
  }
  if (delivered && dst.kind === 'nic') {
    const side = kind === 'encryptionNoise' ? encryptionDrop(dst.nic, 'I') : verdictSide(dst.nic, 'I');
    sides.push(side);
    if (!side.allowed) delivered = false;
  }
  return { protocolRecorded, sides, delivered };
}

export interface RecorderEntry {
  flowLog: string;
  type: 'vnet' | 'nsg';
  nic: string;
  direction: 'I' | 'O';
  aclId: string;
  rule: string;
  states: string[];
}

export interface RecorderMiss {
  flowLog: string | null;
  type: 'vnet' | 'nsg';
  nic: string;
  direction: 'I' | 'O';
  reason: string;
}

export interface RecordersReport {
  recordedBy: RecorderEntry[];
  missedBy: RecorderMiss[];
  delivered: boolean;
}

/** Summarises a `FlowDecision` as "who records it, and who does not and why". */
export function summariseDecision(d: FlowDecision): RecordersReport {
  const recordedBy: RecorderEntry[] = [];
  const missedBy: RecorderMiss[] = [];
  for (const s of d.sides) {
    if (s.vnetStates) {
      recordedBy.push({
        flowLog: s.vnetFlowLog!.name,
        type: 'vnet',
        nic: s.nic.name,
        direction: s.direction,
        aclId: s.aclId,
        rule: s.rule,
        states: (['B', 'C', 'E', 'D'] as const).filter((k) => s.vnetStates & STATE_BITS[k]),
      });
    } else {
      missedBy.push({ flowLog: s.vnetFlowLog?.name ?? null, type: 'vnet', nic: s.nic.name, direction: s.direction, reason: s.vnetWhyNot ?? 'not recorded' });
    }
    if (s.nsgRecorded) {
      recordedBy.push({
        flowLog: s.nsgFlowLog!.name,
        type: 'nsg',
        nic: s.nic.name,
        direction: s.direction,
        aclId: s.nsgFlowLog!.systemId,
        rule: s.nsgRule!,
        states: s.allowed ? ['B', 'C', 'E'] : ['D'],
      });
    } else {
      missedBy.push({ flowLog: s.nsgFlowLog?.name ?? null, type: 'nsg', nic: s.nic.name, direction: s.direction, reason: s.nsgWhyNot ?? 'not recorded' });
    }
  }
  return { recordedBy, missedBy, delivered: d.delivered };
}

/**
 * Pure recorder query for planners: which flow logs (and NIC blobs) record a flow from `from` to
 * `to`, and which do not, with the reason. `from`/`to` are endpoint references as in scenario
 * traffic (VM, NIC, private endpoint, external host, IP).
 */
export function recordersFor(
  net: EmuNetwork,
  judge: Judge,
  profile: BehaviourProfile,
  flow: { from: string; to: string; protocol: number; dstPort: number; srcPort?: number; kind?: FlowKind },
  options: { rand?: () => number; atMs?: number } = {},
): RecordersReport {
  const rand = options.rand ?? (() => 0);
  const src = net.resolve(flow.from, 'from').first;
  const dst = net.resolve(flow.to, 'to').first;
  const key: FlowKey = { srcIp: src.ip, dstIp: dst.ip, srcPort: flow.srcPort ?? 50000, dstPort: flow.dstPort, protocol: flow.protocol };
  return summariseDecision(decideFlow(net, judge, profile, { src, dst, key, kind: flow.kind }, rand, options.atMs ?? Date.parse(profile.defaultStart)));
}
