/**
 * Coverage: for every traffic pattern of a scenario, which of the configured flow logs record it,
 * in which `PT1H.json` blob, and if not, why.
 *
 * One source of truth: every answer comes from the emulator's recorder (`decideFlow`) fed by the
 * rule engine (`compilePolicy` + `policyJudge`), the very functions `flowlens emulate` uses to
 * write blobs. This module only runs them per probe and per NSG order, and classifies the result.
 *
 * NSG order. Azure evaluates the subnet NSG and the NIC NSG in a "platform dependent" order and
 * an NSG flow log records only the NSG evaluated last (azure-flowlogs-spec §2.6). With
 * `nsgEvaluationOrder: random` a probe is evaluated under both orders; when the NSG flow log
 * outcome differs it is `conditional` ("recorded only if the platform evaluates NSG X last"). With a
 * fixed order the outcome follows that order (as the emulator does) and a `caveat` says what the
 * other order would change.
 */
import {
  decideFlow,
  policyJudge,
  prepareEmulation,
  type BehaviourProfile,
  type EmuNetwork,
  type FlowDecision,
  type Judge,
  type SideDecision,
} from '../emulator/index.js';
import { buildNsgBlobPath, buildVnetBlobPath, NSG_CONTAINER, VNET_CONTAINER } from '../formats/index.js';
import type { Scenario, ServiceTagSet } from '../model/index.js';
import { compilePolicy, type NsgOrder } from '../policy/index.js';
import { UsageError } from '../errors.js';
import { coverageOptionsSchema, type CoverageOptions, type CoverageOptionsInput } from './config.js';
import { probesFor, type Probe, type ProbeKind } from './patterns.js';

export type FlowLogType = 'vnet' | 'nsg';
export type Outcome = 'recorded' | 'not-recorded' | 'conditional';
export type ReasonCode =
  | 'protocol'
  | 'private-endpoint'
  | 'avnm'
  | 'nsg-order'
  | 'scope'
  | 'filtered'
  | 'encryption'
  | 'platform'
  | 'no-nsg'
  | 'not-reached'
  | 'retired';

/** Traffic classes of the article's coverage table. */
export type Feature = 'avnm' | 'nonTcpUdp' | 'privateEndpoint' | 'encryption';

export interface TypeCoverage {
  outcome: Outcome;
  /** The flow log that records it (for `conditional`: the one that records it under the favourable order). */
  flowLog: string | null;
  container: string | null;
  /** Blob name (container-relative) for the hour of `CoverageReport.at`. */
  blob: string | null;
  aclId: string | null;
  rule: string | null;
  /**
   * Every rule the tuples may carry: with a random NSG order a VNet flow log records the rule of
   * whichever NSG was evaluated last, so there can be two.
   */
  rules: string[];
  /** Flow states written (`B`,`C`,`E` or `D`). */
  states: string[];
  reason: string | null;
  reasonCode: ReasonCode | null;
  /** Fixed NSG order only: what would change if Azure evaluated the NSGs in the other order. */
  caveat?: string;
}

export interface SideCoverage {
  nic: string;
  vm?: string;
  mac: string;
  direction: 'I' | 'O';
  allowed: boolean;
  decidedBy: SideDecision['decidedBy'] | 'not-reached';
  /** The rule a VNet flow log writes (the last evaluated rule). */
  rule: string;
  features: Feature[];
  vnet: TypeCoverage;
  nsg: TypeCoverage;
}

export interface ProbeCoverage {
  pattern: string;
  kind: ProbeKind;
  from: string;
  to: string;
  srcIp: string;
  dstIp: string;
  srcPrefixes?: string[];
  dstPrefixes?: string[];
  protocol: number;
  dstPort: number;
  dstPorts: [number, number];
  delivered: boolean;
  sides: SideCoverage[];
}

export interface FlowLogSummary {
  name: string;
  type: FlowLogType;
  scope: string;
  target: string;
  enabled: boolean;
}

export interface CoverageReport {
  scenario: string;
  profile: string;
  /** ISO instant the blob names are given for. */
  at: string;
  nsgEvaluationOrder: string;
  /** True when the scenario had no traffic and probes were derived from its NICs and rules. */
  derived: boolean;
  flowLogs: FlowLogSummary[];
  probes: ProbeCoverage[];
}

/** What coverage and migrate share: the recorder's network, profile and one judge per NSG order. */
export interface CoverageContext {
  scenario: Scenario;
  network: EmuNetwork;
  profile: BehaviourProfile;
  atMs: number;
  /** Orders that decide the outcome (two for `random`). */
  variants: NsgOrder[];
  /** Orders evaluated only for caveats. */
  alternatives: NsgOrder[];
  judges: Map<NsgOrder, Judge>;
}

export function parseCoverageOptions(input: CoverageOptionsInput): CoverageOptions {
  const parsed = coverageOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new UsageError(`coverage options: ${i.path.join('.')}: ${i.message}`);
  }
  return parsed.data;
}

export function coverageContext(
  scenario: Scenario,
  input: CoverageOptionsInput = {},
  serviceTags?: ServiceTagSet,
): CoverageContext {
  const o = parseCoverageOptions(input);
  const prepared = prepareEmulation(
    scenario,
    { profile: o.profile, start: o.at, duration: 1 },
    { serviceTags },
  );
  const policy = compilePolicy(scenario, { serviceTags });
  const order = scenario.nsgEvaluationOrder;
  const variants: NsgOrder[] = order === 'random' ? ['subnet-first', 'nic-first'] : [order];
  const alternatives: NsgOrder[] =
    order === 'random' ? [] : (['subnet-first', 'nic-first'] as NsgOrder[]).filter((x) => x !== order);
  const judges = new Map<NsgOrder, Judge>();
  for (const v of [...variants, ...alternatives]) judges.set(v, policyJudge(policy, v, prepared.profile));
  const atMs = o.at ? Date.parse(o.at) : prepared.startMs;
  return {
    scenario,
    network: prepared.network,
    profile: prepared.profile,
    atMs,
    variants,
    alternatives,
    judges,
  };
}

const fixedRand = () => 0;

function decide(ctx: CoverageContext, probe: Probe, order: NsgOrder): FlowDecision {
  const key = {
    srcIp: probe.src.ip,
    dstIp: probe.dst.ip,
    srcPort: 50000,
    dstPort: probe.dstPort,
    protocol: probe.protocol,
  };
  return decideFlow(
    ctx.network,
    ctx.judges.get(order)!,
    ctx.profile,
    { src: probe.src, dst: probe.dst, key, kind: probe.flowKind, encryption: probe.encryption },
    fixedRand,
    ctx.atMs,
  );
}

/** Classifies the recorder's "why not" for a VNet flow log (the text itself comes from the recorder). */
function vnetReasonCode(
  d: FlowDecision,
  s: SideDecision,
  profile: BehaviourProfile,
  toPe: boolean,
): ReasonCode {
  if (!d.protocolRecorded) return 'protocol';
  if (!s.vnetFlowLog) return 'scope';
  if (toPe && !profile.privateEndpointInVnetFlowLogs) return 'private-endpoint';
  return 'filtered';
}

function nsgReasonCode(
  d: FlowDecision,
  s: SideDecision,
  profile: BehaviourProfile,
  toPe: boolean,
): ReasonCode {
  if (!d.protocolRecorded) return 'protocol';
  if (s.decidedBy === 'avnm') return 'avnm';
  if (s.decidedBy === 'encryption') return 'encryption';
  if (s.decidedBy === 'platform') return 'platform';
  if (!s.nsgRule) return 'no-nsg';
  if (toPe && !profile.privateEndpointInNsgFlowLogs) return 'private-endpoint';
  if (!s.nsgFlowLog) return 'scope';
  return 'retired';
}

function typeCoverage(
  ctx: CoverageContext,
  d: FlowDecision,
  s: SideDecision,
  type: FlowLogType,
  toPe: boolean,
): TypeCoverage {
  const time = ctx.atMs;
  if (type === 'vnet') {
    if (s.vnetStates && s.vnetFlowLog) {
      const fl = s.vnetFlowLog;
      return {
        outcome: 'recorded',
        flowLog: fl.name,
        container: VNET_CONTAINER,
        blob: buildVnetBlobPath({
          subscriptionId: fl.subscription,
          flowLogName: fl.name,
          networkWatcherName: fl.watcherName,
          networkWatcherResourceGroup: fl.watcherResourceGroup,
          time,
          macAddress: s.nic.mac,
        }),
        aclId: s.aclId,
        rule: s.rule,
        rules: [s.rule],
        states: (['B', 'C', 'E', 'D'] as const).filter((_, i) => s.vnetStates & (1 << i)),
        reason: null,
        reasonCode: null,
      };
    }
    return {
      outcome: 'not-recorded',
      flowLog: s.vnetFlowLog?.name ?? null,
      container: null,
      blob: null,
      aclId: null,
      rule: null,
      rules: [],
      states: [],
      reason: s.vnetWhyNot,
      reasonCode: vnetReasonCode(d, s, ctx.profile, toPe),
    };
  }
  if (s.nsgRecorded && s.nsgFlowLog) {
    const fl = s.nsgFlowLog;
    return {
      outcome: 'recorded',
      flowLog: fl.name,
      container: NSG_CONTAINER,
      blob: buildNsgBlobPath({ resourceId: fl.resourceIdUpper, time, macAddress: s.nic.mac }),
      aclId: fl.systemId,
      rule: s.nsgRule,
      rules: s.nsgRule ? [s.nsgRule] : [],
      states: s.allowed ? (fl.version === 2 ? ['B', 'C', 'E'] : ['B']) : ['D'],
      reason: null,
      reasonCode: null,
    };
  }
  return {
    outcome: 'not-recorded',
    flowLog: s.nsgFlowLog?.name ?? null,
    container: null,
    blob: null,
    aclId: null,
    rule: null,
    rules: [],
    states: [],
    reason: s.nsgWhyNot,
    reasonCode: nsgReasonCode(d, s, ctx.profile, toPe),
  };
}

/** The NSG whose flow log records (or would record) a side: the one that decided last. */
function loggingNsg(s: SideDecision): string | null {
  if (s.nsgFlowLog) return s.nsgFlowLog.nsgName;
  const m = /^NSG (\S+) decided last/.exec(s.nsgWhyNot ?? '');
  return m ? m[1] : null;
}

function combine(
  ctx: CoverageContext,
  probe: Probe,
  decisions: FlowDecision[],
  sideIdx: number,
  type: FlowLogType,
): TypeCoverage {
  const toPe = probe.dst.kind === 'privateEndpoint';
  const per = decisions.map((d) => typeCoverage(ctx, d, d.sides[sideIdx], type, toPe));
  const hit = per.findIndex((c) => c.outcome === 'recorded');
  const rules = [...new Set(per.flatMap((c) => c.rules))];
  if (hit < 0 || per.every((c) => c.outcome === 'recorded')) return { ...per[0], rules };
  const nsg = loggingNsg(decisions[hit].sides[sideIdx]);
  return {
    ...per[hit],
    rules,
    outcome: 'conditional',
    reason: `recorded only if the platform evaluates NSG ${nsg} last (Azure does not guarantee the order of the subnet and NIC NSGs)`,
    reasonCode: 'nsg-order',
  };
}

function caveatFor(configured: TypeCoverage, alt: TypeCoverage, altSide: SideDecision): string | undefined {
  if (configured.outcome === alt.outcome) return undefined;
  const nsg = loggingNsg(altSide);
  if (configured.outcome === 'recorded')
    return `Azure does not guarantee the NSG order: if it evaluated NSG ${nsg} last, this flow would not be recorded (${alt.reason})`;
  return `Azure does not guarantee the NSG order: if it evaluated NSG ${nsg} last, flow log ${alt.flowLog} would record it`;
}

function featuresOf(probe: Probe, s: SideDecision): Feature[] {
  const f: Feature[] = [];
  if (s.decidedBy === 'avnm') f.push('avnm');
  if (probe.protocol !== 6 && probe.protocol !== 17) f.push('nonTcpUdp');
  if (probe.dst.kind === 'privateEndpoint') f.push('privateEndpoint');
  if (s.decidedBy === 'encryption') f.push('encryption');
  return f;
}

export function coverProbe(ctx: CoverageContext, probe: Probe): ProbeCoverage {
  const decisions = ctx.variants.map((v) => decide(ctx, probe, v));
  const alts = ctx.alternatives.map((v) => decide(ctx, probe, v));
  const first = decisions[0];
  const sides: SideCoverage[] = first.sides.map((s, i) => {
    const vnet = combine(ctx, probe, decisions, i, 'vnet');
    const nsg = combine(ctx, probe, decisions, i, 'nsg');
    for (const a of alts) {
      const altSide = a.sides[i];
      if (!altSide || nsg.caveat) continue;
      const c = caveatFor(
        nsg,
        typeCoverage(ctx, a, altSide, 'nsg', probe.dst.kind === 'privateEndpoint'),
        altSide,
      );
      if (c) nsg.caveat = c;
    }
    return {
      nic: s.nic.name,
      vm: s.nic.vm,
      mac: s.nic.mac,
      direction: s.direction,
      allowed: s.allowed,
      decidedBy: s.decidedBy,
      rule: s.rule,
      features: featuresOf(probe, s),
      vnet,
      nsg,
    };
  });
  // Denied at the source: the destination NIC never sees the flow, so nothing records it there.
  if (!first.delivered && probe.dst.kind === 'nic' && !first.sides.some((s) => s.direction === 'I')) {
    const nic = probe.dst.nic;
    const why = (flowLog: string | null): TypeCoverage => ({
      outcome: 'not-recorded',
      flowLog,
      container: null,
      blob: null,
      aclId: null,
      rule: null,
      rules: [],
      states: [],
      reason: 'denied before it reaches this NIC',
      reasonCode: 'not-reached',
    });
    sides.push({
      nic: nic.name,
      vm: nic.vm,
      mac: nic.mac,
      direction: 'I',
      allowed: false,
      decidedBy: 'not-reached',
      rule: '',
      features: probe.protocol !== 6 && probe.protocol !== 17 ? ['nonTcpUdp'] : [],
      vnet: why(nic.vnetFlowLog?.name ?? null),
      nsg: why(null),
    });
  }
  return {
    pattern: probe.pattern,
    kind: probe.kind,
    from: probe.from,
    to: probe.to,
    srcIp: probe.src.ip,
    dstIp: probe.dst.ip,
    srcPrefixes: probe.srcPrefixes,
    dstPrefixes: probe.dstPrefixes,
    protocol: probe.protocol,
    dstPort: probe.dstPort,
    dstPorts: probe.dstPorts,
    delivered: first.delivered,
    sides,
  };
}

export function flowLogSummaries(scenario: Scenario): FlowLogSummary[] {
  return scenario.flowLogs.map((f) => ({
    name: f.name,
    type: f.scope === 'nsg' ? 'nsg' : 'vnet',
    scope: f.scope,
    target: f.target,
    enabled: f.enabled,
  }));
}

/** Coverage of every traffic pattern (or derived probe) of a scenario. */
export function coverage(
  scenario: Scenario,
  options: CoverageOptionsInput = {},
  serviceTags?: ServiceTagSet,
): CoverageReport {
  const o = parseCoverageOptions(options);
  const ctx = coverageContext(scenario, o, serviceTags);
  const { probes, derived } = probesFor(ctx.network, o);
  return {
    scenario: scenario.name ?? '',
    profile: ctx.profile.name,
    at: new Date(ctx.atMs).toISOString(),
    nsgEvaluationOrder: scenario.nsgEvaluationOrder,
    derived,
    flowLogs: flowLogSummaries(scenario),
    probes: probes.map((p) => coverProbe(ctx, p)),
  };
}
