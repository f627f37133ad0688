/**
 * A deliberately straightforward evaluator: linear scans over the scenario's objects, CIDR and
 * port strings parsed on every evaluation, tags resolved on every match. It is the baseline of
 * `bench/policy.ts` and an independent oracle in the tests (it shares no code with the compiled
 * engine beyond the IP text parser). Same semantics as evaluate.ts.
 */
import { parseIpv4, parseIpv4Cidr, parsePortRange, isIpOrCidr } from '../model/ip.js';
import type { Scenario, SecurityRule, AdminRule, Vnet } from '../model/schema.js';
import type { ServiceTagSet } from '../model/service-tags.js';
import type { NsgOrder } from './config.js';
import { DEFAULT_RULES } from './rules.js';

export interface NaiveFlow {
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  protocol: number;
}

export interface NaiveVerdict {
  allowed: boolean;
  deniedAt: 0 | 1 | 2;
  /** `nsgName/ruleName` or `manager/config/collection/rule`; null when nothing was recorded. */
  srcRecorded: string | null;
  dstRecorded: string | null;
}

const PRIVATE = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '224.0.0.0/3', '168.63.129.16/32'];

function inCidr(ip: string, cidr: string): boolean {
  const r = parseIpv4Cidr(cidr);
  const n = parseIpv4(ip);
  return r !== null && n >= r.first && n <= r.last;
}

function vnetTagContains(s: Scenario, vnet: Vnet, ip: string): boolean {
  if (vnet.addressSpace.some((c) => inCidr(ip, c))) return true;
  for (const other of s.vnets) {
    if (other.name === vnet.name) continue;
    const mine = vnet.peerings.find((p) => p.remoteVnet.toLowerCase() === other.name.toLowerCase());
    const theirs = other.peerings.find((p) => p.remoteVnet.toLowerCase() === vnet.name.toLowerCase());
    const access = mine ? mine.allowVirtualNetworkAccess : theirs ? theirs.allowVirtualNetworkAccess : false;
    if (access && other.addressSpace.some((c) => inCidr(ip, c))) return true;
  }
  for (const h of s.externalHosts) {
    if (h.kind !== 'onPremises' || !h.gatewayVnet) continue;
    const viaOwn = h.gatewayVnet.toLowerCase() === vnet.name.toLowerCase();
    const viaPeer = vnet.peerings.some((p) => p.useRemoteGateways && p.remoteVnet.toLowerCase() === h.gatewayVnet!.toLowerCase());
    if ((viaOwn || viaPeer) && h.addresses.some((c) => inCidr(ip, c))) return true;
  }
  return false;
}

function addressMatches(s: Scenario, tags: ServiceTagSet, vnet: Vnet, prefix: string, ip: string): boolean {
  if (prefix === '*' || prefix.toLowerCase() === 'any') return true;
  if (isIpOrCidr(prefix)) return inCidr(ip, prefix);
  const t = prefix.toLowerCase();
  if (t === 'virtualnetwork') return vnetTagContains(s, vnet, ip);
  if (t === 'internet') return !PRIVATE.some((c) => inCidr(ip, c)) && !vnetTagContains(s, vnet, ip);
  if (t === 'azureloadbalancer' || t === 'azureplatformdns') return ip === '168.63.129.16';
  if (t === 'azureplatformimds') return ip === '169.254.169.254';
  return (tags.get(t)?.addressPrefixes ?? []).some((c) => inCidr(ip, c));
}

function portMatches(specs: readonly string[], port: number): boolean {
  if (specs.length === 0) return true;
  return specs.some((p) => {
    const r = parsePortRange(p);
    return r !== null && port >= r[0] && port <= r[1];
  });
}

function protocolMatches(ruleProtocol: string, protocol: number): boolean {
  const p = ruleProtocol.toLowerCase();
  if (p === '*' || p === 'any') return true;
  return ({ tcp: 6, udp: 17, icmp: 1, esp: 50, ah: 51 } as Record<string, number>)[p] === protocol;
}

function nsgRuleMatches(s: Scenario, tags: ServiceTagSet, vnet: Vnet, r: SecurityRule, f: NaiveFlow): boolean {
  if (!protocolMatches(r.protocol, f.protocol)) return false;
  const side = (which: 'source' | 'destination', ip: string) => {
    const asgs = r[`${which}ApplicationSecurityGroups`];
    if (asgs && asgs.length > 0)
      return s.nics.some((n) => n.privateIps.includes(ip) && n.asgs.some((a) => asgs.some((b) => a.toLowerCase() === b.toLowerCase())));
    const plural = r[`${which}AddressPrefixes`];
    const list = plural && plural.length > 0 ? plural : [r[`${which}AddressPrefix`] ?? '*'];
    return list.some((p) => addressMatches(s, tags, vnet, p, ip));
  };
  const ports = (which: 'source' | 'destination', port: number) => {
    const plural = r[`${which}PortRanges`];
    return portMatches(plural && plural.length > 0 ? plural : [r[`${which}PortRange`] ?? '*'], port);
  };
  return side('source', f.srcIp) && side('destination', f.dstIp) && ports('source', f.srcPort) && ports('destination', f.dstPort);
}

function adminRuleMatches(s: Scenario, tags: ServiceTagSet, vnet: Vnet, r: AdminRule, f: NaiveFlow): boolean {
  if (!protocolMatches(r.protocol, f.protocol)) return false;
  const side = (items: readonly { addressPrefix: string }[], ip: string) =>
    items.length === 0 || items.some((x) => addressMatches(s, tags, vnet, x.addressPrefix, ip));
  return side(r.sources, f.srcIp) && side(r.destinations, f.dstIp) && portMatches(r.sourcePortRanges, f.srcPort) && portMatches(r.destinationPortRanges, f.dstPort);
}

interface SideResult {
  allowed: boolean;
  recorded: string | null;
}

function evaluateSide(s: Scenario, tags: ServiceTagSet, nicIndex: number, outbound: boolean, f: NaiveFlow, order: NsgOrder): SideResult {
  const nic = s.nics[nicIndex];
  const vnet = s.vnets.find((v) => v.name.toLowerCase() === nic.vnet.toLowerCase())!;
  const direction = outbound ? 'Outbound' : 'Inbound';
  const admin: { key: string; rule: AdminRule; order: number }[] = [];
  let seq = 0;
  for (const m of s.networkManagers)
    for (const c of m.securityAdminConfigurations) {
      if (!c.deployed) continue;
      for (const rc of c.ruleCollections) {
        const applies = rc.appliesToGroups.some((g) =>
          m.networkGroups.some((ng) => ng.name.toLowerCase() === g.toLowerCase() && ng.members.some((v) => v.toLowerCase() === vnet.name.toLowerCase())),
        );
        for (const r of rc.rules) {
          seq++;
          if (applies && r.direction === direction) admin.push({ key: `${m.name}/${c.name}/${rc.name}/${r.name}`, rule: r, order: seq });
        }
      }
    }
  admin.sort((a, b) => a.rule.priority - b.rule.priority || a.order - b.order);
  let adminAllow: string | null = null;
  for (const a of admin) {
    if (!adminRuleMatches(s, tags, vnet, a.rule, f)) continue;
    if (a.rule.access === 'Deny') return { allowed: false, recorded: a.key };
    if (a.rule.access === 'AlwaysAllow') return { allowed: true, recorded: a.key };
    adminAllow = a.key;
    break;
  }
  const subnetNsg = vnet.subnets.find((x) => x.name.toLowerCase() === nic.subnet.toLowerCase())?.nsg;
  const subnetFirst = order === 'subnet-first' || (order === 'documented' && !outbound);
  const nsgs = subnetFirst ? [subnetNsg, nic.nsg] : [nic.nsg, subnetNsg];
  let last: string | null = null;
  for (const name of nsgs) {
    if (name === undefined) continue;
    const nsg = s.nsgs.find((n) => n.name.toLowerCase() === name.toLowerCase())!;
    const rules = nsg.securityRules.filter((r) => r.direction === direction).sort((a, b) => a.priority - b.priority);
    let hit: { name: string; access: string } | null = null;
    for (const r of rules)
      if (nsgRuleMatches(s, tags, vnet, r, f)) {
        hit = r;
        break;
      }
    if (!hit) {
      for (const d of DEFAULT_RULES) {
        if (d.direction !== direction) continue;
        if (addressMatches(s, tags, vnet, d.source, f.srcIp) && addressMatches(s, tags, vnet, d.destination, f.dstIp)) {
          hit = d;
          break;
        }
      }
    }
    if (!hit) continue;
    if (hit.access === 'Deny') return { allowed: false, recorded: `${nsg.name}/${hit.name}` };
    last = `${nsg.name}/${hit.name}`;
  }
  return { allowed: true, recorded: last ?? adminAllow };
}

/** Evaluates one flow by scanning the scenario. Slow by design. */
export function naiveEvaluate(s: Scenario, tags: ServiceTagSet, flow: NaiveFlow, order: NsgOrder = 'documented'): NaiveVerdict {
  const f = { ...flow };
  if (f.protocol !== 6 && f.protocol !== 17) {
    f.srcPort = 0;
    f.dstPort = 0;
  }
  let src = s.nics.findIndex((n) => n.privateIps.includes(f.srcIp));
  if (src < 0) {
    src = s.nics.findIndex((n) => n.publicIp?.ipAddress === f.srcIp);
    if (src >= 0) f.srcIp = s.nics[src].privateIps[0];
  }
  let dst = s.nics.findIndex((n) => n.privateIps.includes(f.dstIp));
  if (dst < 0) {
    dst = s.nics.findIndex((n) => n.publicIp?.ipAddress === f.dstIp);
    if (dst >= 0) f.dstIp = s.nics[dst].privateIps[0];
  }
  const out: NaiveVerdict = { allowed: true, deniedAt: 0, srcRecorded: null, dstRecorded: null };
  if (src >= 0) {
    if (flow.dstIp === '168.63.129.16' || flow.dstIp === '169.254.169.254') return out;
    const r = evaluateSide(s, tags, src, true, f, order);
    out.srcRecorded = r.recorded;
    if (!r.allowed) return { ...out, allowed: false, deniedAt: 1 };
  }
  if (dst >= 0) {
    const r = evaluateSide(s, tags, dst, false, f, order);
    out.dstRecorded = r.recorded;
    if (!r.allowed) return { ...out, allowed: false, deniedAt: 2 };
  }
  return out;
}
