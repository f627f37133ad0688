/**
 * Compiles a scenario's NSGs and AVNM security admin rules once into classifiers (see
 * classifier.ts). Tags and ASGs become IPv4 ranges here; evaluation never touches a string.
 */
import { ScenarioError } from '../errors.js';
import {
  buildAddressIndex,
  complementRanges,
  isIpOrCidr,
  mergeRanges,
  parseIpv4Cidr,
  parsePortRange,
  stableGuid,
  nsgId as nsgResourceId,
  securityRuleId,
  defaultSecurityRuleId,
  adminRuleId,
  securityAdminConfigurationId,
  type AddressIndex,
  type AdminRule,
  type Direction,
  type Ipv4Range,
  type Scenario,
  type SecurityRule,
  type ServiceTagSet,
} from '../model/index.js';
import {
  ALL_PROTOCOLS_MASK,
  buildClassifier,
  type Classifier,
  type ClassifierRule,
  type FlatRanges,
} from './classifier.js';
import { compileOptionsSchema, type CompileOptions } from './config.js';
import { createIntMap, intMapGet, intMapSet, type IntMap } from './int-map.js';
import { DEFAULT_RULES, defaultRuleFlowLogName, userRuleFlowLogName, type RuleRef } from './rules.js';

/** Per NIC: classifier indices (or -1) for each evaluation point, and NSG indices for logging. */
export interface CompiledNic {
  vnet: number;
  subnetNsg: number;
  nicNsg: number;
  /** Classifier index of [subnet NSG, NIC NSG, admin] for inbound and outbound; -1 when absent. */
  inbound: { subnet: number; nic: number; admin: number };
  outbound: { subnet: number; nic: number; admin: number };
}

export interface Policy {
  scenario: Scenario;
  index: AddressIndex;
  rules: RuleRef[];
  classifiers: Classifier[];
  /** The rule lists each classifier was built from, in priority order (for `effectiveRules`). */
  classifierRules: ClassifierRule[][];
  nics: CompiledNic[];
  /** Flat copy of `nics` for the hot path: 8 ints per NIC (see `NIC_STRIDE`). */
  nicTable: Int32Array;
  /** Exact private IP → NIC index (first owner). */
  nicByIp: IntMap;
  /** NIC public IP → NIC index. */
  nicByPublicIp: IntMap;
  /** Per rule index: 0 Allow, 1 AlwaysAllow, 2 Deny. */
  ruleAccess: Int8Array;
  /** NIC index → primary private IP as a number. */
  nicPrimaryIp: Float64Array;
  options: Required<ReturnType<typeof compileOptionsSchema.parse>>;
  /** Per VNet, the `VirtualNetwork` tag ranges (for `explain`). */
  virtualNetworkTag: Ipv4Range[][];
}

/** nicTable layout: vnet, subnetNsg, nicNsg, inSubnet, inNic, inAdmin, outSubnet, outNic, outAdmin. */
export const NIC_STRIDE = 9;

const ANY: FlatRanges = [0, 0xffffffff];
const ANY_PORT: FlatRanges = [0, 65535];

/** Private and special-use IPv4 space that is never `Internet`. */
const NON_INTERNET = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/3',
  // 168.63.129.16 is the host's virtual IP, not an internet address (flowlens choice, UNCONFIRMED).
  '168.63.129.16/32',
].map((c) => parseIpv4Cidr(c) as Ipv4Range);

function flat(ranges: readonly Ipv4Range[]): FlatRanges {
  const out: number[] = [];
  for (const r of mergeRanges(ranges)) out.push(r.first, r.last);
  return out;
}

function portsFlat(specs: readonly string[] | undefined): FlatRanges {
  if (!specs || specs.length === 0) return ANY_PORT;
  const ranges: Ipv4Range[] = [];
  for (const s of specs) {
    const r = parsePortRange(s);
    if (r) ranges.push({ first: r[0], last: r[1] });
  }
  return flat(ranges);
}

const PROTO_MASK: Record<string, number> = {
  tcp: 1,
  udp: 2,
  icmp: 4,
  esp: 8,
  ah: 16,
  '*': ALL_PROTOCOLS_MASK,
  any: ALL_PROTOCOLS_MASK,
};

export function compilePolicy(
  scenario: Scenario,
  opts: CompileOptions & { serviceTags?: ServiceTagSet } = {},
): Policy {
  const options = compileOptionsSchema.parse({
    platformBypass: opts.platformBypass,
    virtualNetworkTagIncludesHostIp: opts.virtualNetworkTagIncludesHostIp,
  }) as Policy['options'];
  const serviceTags: ServiceTagSet = opts.serviceTags ?? new Map();
  const s = scenario;
  const index = buildAddressIndex(s);
  const vnetIdx = new Map(s.vnets.map((v, i) => [v.name.toLowerCase(), i]));
  const nsgIdx = new Map(s.nsgs.map((n, i) => [n.name.toLowerCase(), i]));

  // VirtualNetwork tag per VNet: own space, directly peered spaces (when access is allowed),
  // on-premises prefixes reachable through its own gateway or a peer's (useRemoteGateways).
  const ownSpace = s.vnets.map((v) =>
    v.addressSpace.map(parseIpv4Cidr).filter((r): r is Ipv4Range => r !== null),
  );
  const peers = s.vnets.map(() => new Map<number, { access: boolean; useRemoteGateways: boolean }>());
  s.vnets.forEach((v, vi) => {
    for (const p of v.peerings) {
      const ri = vnetIdx.get(p.remoteVnet.toLowerCase());
      if (ri === undefined) continue;
      peers[vi].set(ri, { access: p.allowVirtualNetworkAccess, useRemoteGateways: p.useRemoteGateways });
      // A peering declared on one side only is treated as connected both ways.
      if (!peers[ri].has(vi))
        peers[ri].set(vi, { access: p.allowVirtualNetworkAccess, useRemoteGateways: false });
    }
  });
  // Re-apply explicit declarations so they win over mirrored ones.
  s.vnets.forEach((v, vi) => {
    for (const p of v.peerings) {
      const ri = vnetIdx.get(p.remoteVnet.toLowerCase());
      if (ri !== undefined)
        peers[vi].set(ri, { access: p.allowVirtualNetworkAccess, useRemoteGateways: p.useRemoteGateways });
    }
  });
  const onPremByVnet = s.vnets.map(() => [] as Ipv4Range[]);
  for (const h of s.externalHosts) {
    if (h.kind !== 'onPremises' || !h.gatewayVnet) continue;
    const gi = vnetIdx.get(h.gatewayVnet.toLowerCase());
    if (gi === undefined) continue;
    const ranges = h.addresses.map(parseIpv4Cidr).filter((r): r is Ipv4Range => r !== null);
    onPremByVnet[gi].push(...ranges);
    s.vnets.forEach((_, vi) => {
      if (peers[vi].get(gi)?.useRemoteGateways) onPremByVnet[vi].push(...ranges);
    });
  }
  const hostIp = parseIpv4Cidr('168.63.129.16/32') as Ipv4Range;
  const virtualNetworkTag = s.vnets.map((_, vi) => {
    const r: Ipv4Range[] = [...ownSpace[vi], ...onPremByVnet[vi]];
    for (const [ri, p] of peers[vi]) if (p.access) r.push(...ownSpace[ri]);
    if (options.virtualNetworkTagIncludesHostIp) r.push(hostIp);
    return mergeRanges(r);
  });
  const internetTag = virtualNetworkTag.map((vt) => complementRanges([...NON_INTERNET, ...vt]));
  const tagCache = new Map<string, FlatRanges>();
  const vnetTagFlat: FlatRanges[] = [];
  const internetTagFlat: FlatRanges[] = [];
  const resolveTag = (tag: string, vnet: number, where: string): FlatRanges => {
    const l = tag.toLowerCase();
    if (l === 'virtualnetwork') return (vnetTagFlat[vnet] ??= flat(virtualNetworkTag[vnet]));
    if (l === 'internet') return (internetTagFlat[vnet] ??= flat(internetTag[vnet]));
    if (l === 'azureloadbalancer' || l === 'azureplatformdns') return [hostIp.first, hostIp.last];
    if (l === 'azureplatformimds') {
      const r = parseIpv4Cidr('169.254.169.254/32') as Ipv4Range;
      return [r.first, r.last];
    }
    const cached = tagCache.get(l);
    if (cached) return cached;
    const t = serviceTags.get(l);
    if (!t) {
      if (l === 'azureplatformlkm') return [];
      throw new ScenarioError(`unknown service tag "${tag}" (add a Service Tags file or an inline tag)`, {
        path: where,
      });
    }
    const f = flat(t.addressPrefixes.map(parseIpv4Cidr).filter((r): r is Ipv4Range => r !== null));
    tagCache.set(l, f);
    return f;
  };

  // ASG → member IPs.
  const asgIps = new Map<string, Ipv4Range[]>();
  for (const nic of s.nics)
    for (const a of nic.asgs) {
      const list = asgIps.get(a.toLowerCase()) ?? [];
      for (const ip of nic.privateIps) list.push(parseIpv4Cidr(ip) as Ipv4Range);
      asgIps.set(a.toLowerCase(), list);
    }

  const addressSet = (prefixes: readonly string[], vnet: number, where: string): FlatRanges => {
    if (prefixes.length === 1 && prefixes[0] !== '*' && !isIpOrCidr(prefixes[0]) && prefixes[0].toLowerCase() !== 'any')
      return resolveTag(prefixes[0], vnet, where); // cached and shared; never mutated
    const ranges: Ipv4Range[] = [];
    for (const p of prefixes) {
      if (p === '*' || p.toLowerCase() === 'any') return ANY;
      if (isIpOrCidr(p)) {
        const r = parseIpv4Cidr(p);
        if (r) ranges.push(r); // IPv6 prefixes never match an IPv4 flow
      } else {
        const t = resolveTag(p, vnet, where);
        for (let i = 0; i < t.length; i += 2) ranges.push({ first: t[i], last: t[i + 1] });
      }
    }
    return flat(ranges);
  };

  // Rule table.
  const rules: RuleRef[] = [];
  const nsgUserRules: { rule: SecurityRule; ref: RuleRef }[][] = [];
  const nsgDefaultRules: RuleRef[][] = [];
  s.nsgs.forEach((nsg, ni) => {
    const id = nsgResourceId(nsg);
    const guid = nsg.resourceGuid ?? stableGuid(id);
    const nsgInfo = { name: nsg.name, index: ni, resourceId: id, resourceGuid: guid };
    nsgUserRules.push(
      nsg.securityRules.map((rule) => {
        const rid = securityRuleId(nsg, rule.name);
        const ref: RuleRef = {
          index: rules.length,
          kind: 'user',
          name: rule.name,
          flowLogName: userRuleFlowLogName(rule.name),
          priority: rule.priority,
          direction: rule.direction,
          access: rule.access,
          resourceId: rid,
          ruleGuid: rule.resourceGuid ?? stableGuid(rid),
          aclId: guid,
          nsg: nsgInfo,
        };
        rules.push(ref);
        return { rule, ref };
      }),
    );
    nsgDefaultRules.push(
      DEFAULT_RULES.map((d) => {
        const rid = defaultSecurityRuleId(nsg, d.name);
        const ref: RuleRef = {
          index: rules.length,
          kind: 'default',
          name: d.name,
          flowLogName: defaultRuleFlowLogName(d.name),
          priority: d.priority,
          direction: d.direction,
          access: d.access,
          resourceId: rid,
          ruleGuid: stableGuid(rid),
          aclId: guid,
          nsg: nsgInfo,
        };
        rules.push(ref);
        return ref;
      }),
    );
  });

  const adminRules: { rule: AdminRule; ref: RuleRef; vnets: Set<number>; order: number }[] = [];
  s.networkManagers.forEach((m, mi) => {
    m.securityAdminConfigurations.forEach((c, ci) => {
      if (!c.deployed) return;
      const cid = securityAdminConfigurationId(m, c.name);
      const cguid = c.resourceGuid ?? stableGuid(cid);
      c.ruleCollections.forEach((rc, rci) => {
        const vnets = new Set<number>();
        for (const g of rc.appliesToGroups) {
          const group = m.networkGroups.find((x) => x.name.toLowerCase() === g.toLowerCase());
          for (const v of group?.members ?? []) {
            const vi = vnetIdx.get(v.toLowerCase());
            if (vi !== undefined) vnets.add(vi);
          }
        }
        rc.rules.forEach((rule, ri) => {
          const rid = adminRuleId(m, c.name, rc.name, rule.name);
          const ref: RuleRef = {
            index: rules.length,
            kind: 'admin',
            name: rule.name,
            flowLogName: rule.name,
            priority: rule.priority,
            direction: rule.direction,
            access: rule.access,
            resourceId: rid,
            ruleGuid: rule.resourceGuid ?? stableGuid(rid),
            aclId: cguid,
            admin: {
              networkManager: m.name,
              configuration: c.name,
              configurationId: cid,
              configurationGuid: cguid,
              ruleCollection: rc.name,
              networkGroups: [...rc.appliesToGroups],
            },
          };
          rules.push(ref);
          adminRules.push({ rule, ref, vnets, order: ((mi * 1000 + ci) * 1000 + rci) * 10000 + ri });
        });
      });
    });
  });

  const classifiers: Classifier[] = [];
  const classifierRules: ClassifierRule[][] = [];
  const cache = new Map<string, number>();
  const nsgClassifier = (ni: number, vnet: number, dir: Direction): number => {
    const key = `n${ni}|${vnet}|${dir}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const user = nsgUserRules[ni]
      .filter((u) => u.rule.direction === dir)
      .sort((a, b) => a.rule.priority - b.rule.priority);
    const where = (r: SecurityRule) => `nsgs[${ni}](${s.nsgs[ni].name}).securityRules(${r.name})`;
    const side = (r: SecurityRule, which: 'source' | 'destination'): FlatRanges => {
      const asgs = r[`${which}ApplicationSecurityGroups`];
      if (asgs && asgs.length > 0) return flat(asgs.flatMap((a) => asgIps.get(a.toLowerCase()) ?? []));
      const plural = r[`${which}AddressPrefixes`];
      const prefixes = plural && plural.length > 0 ? plural : [r[`${which}AddressPrefix`] ?? '*'];
      return addressSet(prefixes, vnet, where(r));
    };
    const ports = (r: SecurityRule, which: 'source' | 'destination'): FlatRanges => {
      const plural = r[`${which}PortRanges`];
      return portsFlat(plural && plural.length > 0 ? plural : [r[`${which}PortRange`] ?? '*']);
    };
    const list: ClassifierRule[] = user.map((u) => ({
      ruleId: u.ref.index,
      srcIp: side(u.rule, 'source'),
      dstIp: side(u.rule, 'destination'),
      srcPort: ports(u.rule, 'source'),
      dstPort: ports(u.rule, 'destination'),
      protocolMask: PROTO_MASK[u.rule.protocol.toLowerCase()],
    }));
    for (const d of nsgDefaultRules[ni].filter((r) => r.direction === dir)) {
      const spec = DEFAULT_RULES.find((x) => x.name === d.name)!;
      list.push({
        ruleId: d.index,
        srcIp: addressSet([spec.source], vnet, d.name),
        dstIp: addressSet([spec.destination], vnet, d.name),
        srcPort: ANY_PORT,
        dstPort: ANY_PORT,
        protocolMask: ALL_PROTOCOLS_MASK,
      });
    }
    classifiers.push(buildClassifier(list));
    classifierRules.push(list);
    cache.set(key, classifiers.length - 1);
    return classifiers.length - 1;
  };
  const adminClassifier = (vnet: number, dir: Direction): number => {
    const key = `a|${vnet}|${dir}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const applicable = adminRules
      .filter((a) => a.vnets.has(vnet) && a.rule.direction === dir)
      .sort((a, b) => a.rule.priority - b.rule.priority || a.order - b.order);
    if (applicable.length === 0) {
      cache.set(key, -1);
      return -1;
    }
    const items = (list: readonly { addressPrefix: string }[], where: string) =>
      list.length === 0
        ? ANY
        : addressSet(
            list.map((x) => x.addressPrefix),
            vnet,
            where,
          );
    const adminList = applicable.map((a) => ({
      ruleId: a.ref.index,
      srcIp: items(a.rule.sources, a.ref.resourceId),
      dstIp: items(a.rule.destinations, a.ref.resourceId),
      srcPort: portsFlat(a.rule.sourcePortRanges),
      dstPort: portsFlat(a.rule.destinationPortRanges),
      protocolMask: PROTO_MASK[a.rule.protocol.toLowerCase()],
    }));
    classifiers.push(buildClassifier(adminList));
    classifierRules.push(adminList);
    cache.set(key, classifiers.length - 1);
    return classifiers.length - 1;
  };

  const nics: CompiledNic[] = s.nics.map((nic) => {
    const vnet = vnetIdx.get(nic.vnet.toLowerCase()) as number;
    const subnet = s.vnets[vnet].subnets.find((x) => x.name.toLowerCase() === nic.subnet.toLowerCase());
    const subnetNsg = subnet?.nsg !== undefined ? (nsgIdx.get(subnet.nsg.toLowerCase()) ?? -1) : -1;
    const nicNsg = nic.nsg !== undefined ? (nsgIdx.get(nic.nsg.toLowerCase()) ?? -1) : -1;
    const point = (dir: Direction) => ({
      subnet: subnetNsg >= 0 ? nsgClassifier(subnetNsg, vnet, dir) : -1,
      nic: nicNsg >= 0 ? nsgClassifier(nicNsg, vnet, dir) : -1,
      admin: adminClassifier(vnet, dir),
    });
    return { vnet, subnetNsg, nicNsg, inbound: point('Inbound'), outbound: point('Outbound') };
  });
  const nicTable = new Int32Array(nics.length * NIC_STRIDE);
  nics.forEach((n, i) => {
    nicTable.set(
      [
        n.vnet,
        n.subnetNsg,
        n.nicNsg,
        n.inbound.subnet,
        n.inbound.nic,
        n.inbound.admin,
        n.outbound.subnet,
        n.outbound.nic,
        n.outbound.admin,
      ],
      i * NIC_STRIDE,
    );
  });
  const nicByIp = createIntMap(s.nics.length * 2);
  const nicByPublicIp = createIntMap(s.nics.length);
  const nicPrimaryIp = new Float64Array(s.nics.length);
  s.nics.forEach((nic, i) => {
    for (const ip of nic.privateIps) {
      const n = (parseIpv4Cidr(ip) as Ipv4Range).first;
      if (intMapGet(nicByIp, n) < 0) intMapSet(nicByIp, n, i);
    }
    nicPrimaryIp[i] = (parseIpv4Cidr(nic.privateIps[0]) as Ipv4Range).first;
    if (nic.publicIp) intMapSet(nicByPublicIp, (parseIpv4Cidr(nic.publicIp.ipAddress) as Ipv4Range).first, i);
  });
  const ruleAccess = Int8Array.from(
    rules.map((r) => (r.access === 'Deny' ? 2 : r.access === 'AlwaysAllow' ? 1 : 0)),
  );
  return {
    scenario,
    index,
    rules,
    ruleAccess,
    classifiers,
    classifierRules,
    nics,
    nicTable,
    nicByIp,
    nicByPublicIp,
    nicPrimaryIp,
    options,
    virtualNetworkTag,
  };
}
