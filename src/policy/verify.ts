/**
 * `flowlens verify` as a library function: resolve the endpoints, evaluate, and render the
 * verdict as one JSON object or as text. No I/O here; the CLI loads the scenario.
 */
import { UsageError } from '../errors.js';
import { buildAddressIndex, resolveEndpointRef, type Endpoint, type LoadedScenario } from '../model/index.js';
import { compilePolicy, type Policy } from './compile.js';
import { chooseNsgOrder, evaluate, protocolNumber, type ChainStep, type Verdict } from './evaluate.js';
import type { NsgOrder } from './config.js';
import type { RuleRef } from './rules.js';

export interface VerifyRequest {
  from: string;
  to: string;
  protocol: string;
  port?: number;
  srcPort?: number;
  /** Overrides the scenario's `nsgEvaluationOrder`. */
  nsgOrder?: NsgOrder;
}

export interface VerifyResult {
  flow: { srcIp: string; dstIp: string; srcPort: number; dstPort: number; protocol: string; from: Endpoint; to: Endpoint };
  nsgOrder: NsgOrder;
  verdict: Verdict;
}

export function verifyFlow(loaded: LoadedScenario, req: VerifyRequest, policy?: Policy): VerifyResult {
  const p = policy ?? compilePolicy(loaded.scenario, { serviceTags: loaded.serviceTags });
  const index = p.index ?? buildAddressIndex(loaded.scenario);
  const resolve = (ref: string, what: string) => {
    const e = resolveEndpointRef(loaded.scenario, index, ref);
    if (!e) throw new UsageError(`--${what} "${ref}" is not a VM, NIC, private endpoint, external host or IPv4 address in ${loaded.file ?? 'the scenario'}`);
    return e;
  };
  const from = resolve(req.from, 'from');
  const to = resolve(req.to, 'to');
  let proto: number;
  try {
    proto = protocolNumber(req.protocol);
  } catch {
    throw new UsageError(`--protocol is one of tcp, udp, icmp, esp, ah (got "${req.protocol}")`);
  }
  const needsPort = proto === 6 || proto === 17;
  if (needsPort && req.port === undefined) throw new UsageError('--port is required for tcp and udp');
  const dstPort = needsPort ? (req.port as number) : 0;
  const srcPort = needsPort ? (req.srcPort ?? 49152) : 0;
  for (const [n, v] of [['port', dstPort], ['src-port', srcPort]] as const)
    if (!Number.isInteger(v) || v < 0 || v > 65535) throw new UsageError(`--${n} must be 0–65535`);
  const setting = req.nsgOrder ?? loaded.scenario.nsgEvaluationOrder;
  const nsgOrder = chooseNsgOrder(setting, loaded.scenario.seed ?? 0, (from.ipNumber ^ to.ipNumber ^ (dstPort << 16) ^ srcPort) >>> 0);
  // A NIC reference evaluates that NIC even when address spaces overlap elsewhere.
  const verdict = evaluate(
    p,
    { srcIp: from.ip, dstIp: to.ip, srcPort, dstPort, protocol: proto, srcNic: from.kind === 'nic' ? from.nic : undefined, dstNic: to.kind === 'nic' ? to.nic : undefined },
    { nsgOrder },
  );
  return { flow: { srcIp: from.ip, dstIp: to.ip, srcPort, dstPort, protocol: req.protocol.toLowerCase(), from, to }, nsgOrder, verdict };
}

export interface RuleJson {
  name: string;
  armName: string;
  kind: RuleRef['kind'];
  priority: number;
  direction: string;
  access: string;
  resourceId: string;
  aclId: string;
  ruleGuid: string;
  nsg?: string;
  adminConfiguration?: string;
  networkManager?: string;
  ruleCollection?: string;
  networkGroups?: string[];
}

export function ruleJson(r: RuleRef | null): RuleJson | null {
  if (!r) return null;
  return {
    name: r.flowLogName,
    armName: r.name,
    kind: r.kind,
    priority: r.priority,
    direction: r.direction,
    access: r.access,
    resourceId: r.resourceId,
    aclId: r.aclId,
    ruleGuid: r.ruleGuid,
    ...(r.nsg ? { nsg: r.nsg.name } : {}),
    ...(r.admin
      ? { adminConfiguration: r.admin.configuration, networkManager: r.admin.networkManager, ruleCollection: r.admin.ruleCollection, networkGroups: r.admin.networkGroups }
      : {}),
  };
}

function stepJson(s: ChainStep) {
  return { side: s.side, nic: s.nic, direction: s.direction, stage: s.stage, ...(s.nsg ? { nsg: s.nsg } : {}), rule: ruleJson(s.rule), result: s.result, ...(s.note ? { note: s.note } : {}) };
}

/** The `--json` object: `{decision, rule, chain, recordedRule, ...}`. */
export function verifyResultJson(r: VerifyResult) {
  const v = r.verdict;
  return {
    decision: v.decision,
    rule: ruleJson(v.decidingRule),
    chain: v.chain.map(stepJson),
    recordedRule: ruleJson(v.recordedRule),
    flow: { srcIp: r.flow.srcIp, dstIp: r.flow.dstIp, srcPort: r.flow.srcPort, dstPort: r.flow.dstPort, protocol: r.flow.protocol },
    nsgOrder: r.nsgOrder,
    sides: v.sides.map((s) => ({
      side: s.side,
      nic: s.nic,
      direction: s.direction,
      decision: s.decision,
      recordedRule: ruleJson(s.recordedRule),
      nsgFlowLog: s.nsgFlowLogRule ? { nsg: s.nsgFlowLogRule.nsg?.name, rule: s.nsgFlowLogRule.flowLogName } : null,
    })),
    ...(v.translatedDstIp ? { translatedDstIp: v.translatedDstIp } : {}),
  };
}

function describeRule(r: RuleRef): string {
  const where = r.nsg ? `NSG ${r.nsg.name}` : r.admin ? `admin config ${r.admin.networkManager}/${r.admin.configuration}/${r.admin.ruleCollection}` : '';
  return `${r.flowLogName} (${r.access}, priority ${r.priority}, ${where})`;
}

/** Human-readable verdict. */
export function formatVerifyText(r: VerifyResult): string {
  const v = r.verdict;
  const lines: string[] = [];
  const proto = r.flow.protocol.toUpperCase();
  const ports = r.flow.protocol === 'tcp' || r.flow.protocol === 'udp' ? `:${r.flow.srcPort} -> ${r.flow.dstIp}:${r.flow.dstPort}` : ` -> ${r.flow.dstIp}`;
  lines.push(`${proto} ${r.flow.srcIp}${ports}  (NSG order: ${r.nsgOrder})`);
  if (v.translatedDstIp) lines.push(`  public IP ${r.flow.dstIp} -> NIC private IP ${v.translatedDstIp}`);
  lines.push(`Decision: ${v.decision}`);
  lines.push(`Deciding rule: ${v.decidingRule ? describeRule(v.decidingRule) : 'none (no rule evaluated)'}`);
  lines.push(`VNet flow log records: ${v.recordedRule ? describeRule(v.recordedRule) : 'no rule (UNCONFIRMED how Azure labels it)'}`);
  for (const s of v.sides) {
    lines.push(
      `NSG flow log at ${s.nic} (${s.direction}): ${s.nsgFlowLogRule ? `${s.nsgFlowLogRule.nsg?.name}: ${s.nsgFlowLogRule.flowLogName}` : 'not recorded (no NSG decided)'}`,
    );
  }
  lines.push('Chain:');
  v.chain.forEach((c, i) => {
    const what = c.stage === 'admin' ? 'AVNM admin rules' : c.stage === 'subnet-nsg' ? `subnet NSG ${c.nsg ?? '(none)'}` : c.stage === 'nic-nsg' ? `NIC NSG ${c.nsg ?? '(none)'}` : c.stage;
    const rule = c.rule ? ` ${c.rule.flowLogName} (priority ${c.rule.priority})` : '';
    lines.push(`  ${i + 1}. ${c.side} ${c.nic} ${c.direction}: ${what} -> ${c.result}${rule}${c.note ? ` — ${c.note}` : ''}`);
  });
  return `${lines.join('\n')}\n`;
}

