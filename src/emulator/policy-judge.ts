/**
 * The adapter from the rule engine (`src/policy`) to the emulator's `Judge`: one evaluation per
 * connection with the allocation-free `evaluateFast`, or `evaluate` with its explanation chain
 * when `explain` is set (for `recordersFor` reports).
 */
import type { NsgEvaluationOrder } from '../model/index.js';
import { evaluate, evaluateFast, newFastVerdict, type NsgOrder, type Policy, type RuleRef } from '../policy/index.js';
import { parseIpv4 } from '../model/index.js';
import type { BehaviourProfile } from './profiles.js';
import { PLATFORM_ACL_ID, PLATFORM_RULE } from './recorder.js';
import type { FlowJudgement, Judge, SideVerdict } from './verdict.js';

/** The rule name a VNet flow log writes: admin rules get `_<guid>` when the profile says so. */
export function vnetRuleName(rule: RuleRef, profile: BehaviourProfile): string {
  return rule.kind === 'admin' && profile.adminRuleGuidSuffix ? `${rule.flowLogName}_${rule.ruleGuid}` : rule.flowLogName;
}

function sideVerdict(p: Policy, profile: BehaviourProfile, allowed: boolean, recorded: number, nsgLogged: number, chain: string[]): SideVerdict {
  const rule = recorded >= 0 ? p.rules[recorded] : null;
  const logged = nsgLogged >= 0 ? p.rules[nsgLogged] : null;
  return {
    allowed,
    decidedBy: rule === null ? 'none' : rule.kind === 'admin' ? 'avnm' : 'nsg',
    // UNCONFIRMED: what a VNet flow log writes when no rule at all was evaluated (no NSG, no admin
    // rule): we use the all-zero aclID with `PlatformRule`, as in a third-party sample.
    aclId: rule ? rule.aclId : PLATFORM_ACL_ID,
    rule: rule ? vnetRuleName(rule, profile) : PLATFORM_RULE,
    nsgLogger: logged?.nsg ? { nsgName: logged.nsg.name, rule: logged.flowLogName } : null,
    chain,
  };
}

export function policyJudge(
  policy: Policy,
  order: NsgEvaluationOrder,
  profile: BehaviourProfile,
  options: { explain?: boolean } = {},
): Judge {
  const out = newFastVerdict();
  const ipCache = new Map<string, number>();
  const ipNum = (ip: string, cache: boolean) => {
    let n = cache ? ipCache.get(ip) : undefined;
    if (n === undefined) {
      n = parseIpv4(ip);
      if (cache) {
        if (ipCache.size > 100_000) ipCache.clear();
        ipCache.set(ip, n);
      }
    }
    return n;
  };
  const judge: Judge = (flow, srcNic, dstNic, rand): FlowJudgement => {
    const nsgOrder: NsgOrder = order === 'random' ? (rand() < 0.5 ? 'subnet-first' : 'nic-first') : order;
    if (options.explain) {
      const v = evaluate(policy, { ...flow, srcNic: srcNic?.idx, dstNic: dstNic?.idx }, { nsgOrder });
      const chain = v.chain.map(
        (c) => `${c.side} ${c.nic} ${c.direction} ${c.stage}${c.nsg ? ` ${c.nsg}` : ''}: ${c.rule ? c.rule.flowLogName : '-'} → ${c.result}${c.note ? ` (${c.note})` : ''}`,
      );
      const side = (which: 'source' | 'destination') => {
        const s = v.sides.find((x) => x.side === which);
        return s ? sideVerdict(policy, profile, s.decision === 'Allow', s.recordedRule?.index ?? -1, s.nsgFlowLogRule?.index ?? -1, chain) : null;
      };
      return { out: srcNic ? side('source') : null, in: dstNic ? side('destination') : null };
    }
    evaluateFast(
      policy,
      ipNum(flow.srcIp, srcNic !== null),
      ipNum(flow.dstIp, dstNic !== null),
      flow.srcPort,
      flow.dstPort,
      flow.protocol,
      nsgOrder,
      out,
      srcNic ? srcNic.idx : -1,
      dstNic ? dstNic.idx : -1,
    );
    const srcSide = srcNic && out.srcNic >= 0 ? sideVerdict(policy, profile, out.deniedAt !== 1, out.srcRecorded, out.srcNsgLogged, []) : null;
    const dstSide =
      dstNic && out.dstNic >= 0 && out.deniedAt !== 1 ? sideVerdict(policy, profile, out.deniedAt !== 2, out.dstRecorded, out.dstNsgLogged, []) : null;
    return { out: srcSide, in: dstSide };
  };
  judge.uniformRange = uniformRangeTest(policy);
  judge.portClass = portClasses(policy);
  return judge;
}

/** Destination ports split at every classifier's port interval start: the class is the interval. */
function portClasses(policy: Policy): (port: number) => number {
  const starts = new Set<number>([0]);
  for (const c of policy.classifiers) for (const s of c.dimensions.dstPort.starts) starts.add(s);
  const classOf = new Uint32Array(65536);
  const sorted = [...starts].sort((a, b) => a - b);
  let k = 0;
  for (let port = 0; port < 65536; port++) {
    while (k + 1 < sorted.length && sorted[k + 1] <= port) k++;
    classOf[port] = k;
  }
  return (port) => (port >= 0 && port < 65536 && Number.isInteger(port) ? classOf[port] : 65536 + port);
}

/**
 * Addresses where a judgement can change: the classifiers' address interval starts, and each NIC
 * private or public address and the platform addresses (matched exactly) with the one after it.
 */
function uniformRangeTest(policy: Policy): (lo: number, hi: number) => boolean {
  const points: number[] = [];
  for (const c of policy.classifiers) {
    for (const s of c.dimensions.srcIp.starts) points.push(s);
    for (const s of c.dimensions.dstIp.starts) points.push(s);
  }
  const exact = (n: number) => {
    if (n >= 0) points.push(n, n + 1);
  };
  for (const nic of policy.scenario.nics) {
    for (const ip of nic.privateIps) exact(parseIpv4(ip));
    if (nic.publicIp) exact(parseIpv4(nic.publicIp.ipAddress));
  }
  exact(parseIpv4('168.63.129.16'));
  exact(parseIpv4('169.254.169.254'));
  const sorted = Float64Array.from(points).sort();
  return (lo, hi) => {
    // First point > lo; the range is uniform when it lies beyond hi.
    let a = 0;
    let b = sorted.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (sorted[mid] <= lo) a = mid + 1;
      else b = mid;
    }
    return a === sorted.length || sorted[a] > hi;
  };
}
