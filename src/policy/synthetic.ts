/**
 * A seeded synthetic network for scale tests of the rule engine: hub-and-spoke VNets, one NSG per
 * subnet with many random rules (tags, ASGs, augmented prefixes and ports), NIC NSGs on some NICs,
 * and an AVNM configuration over half of the VNets. Also a generator of random flows over it.
 */
import { formatIpv4, parseIpv4 } from '../model/ip.js';
import { validateScenario, type ScenarioInput, type Scenario } from '../model/index.js';

export interface SyntheticPolicyOptions {
  seed?: number;
  vnets?: number;
  subnetsPerVnet?: number;
  nicsPerSubnet?: number;
  rulesPerNsg?: number;
  adminRules?: number;
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMON_PORTS = [22, 25, 53, 80, 123, 443, 445, 1433, 3306, 3389, 5432, 6379, 8080, 8443, 9000];

export function syntheticPolicyScenario(opts: SyntheticPolicyOptions = {}): Scenario {
  const rnd = mulberry32(opts.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const nV = opts.vnets ?? 20;
  const nS = opts.subnetsPerVnet ?? 10;
  const nN = opts.nicsPerSubnet ?? 5;
  const nR = opts.rulesPerNsg ?? 100;
  const vnets: NonNullable<ScenarioInput['vnets']> = [];
  const nsgs: NonNullable<ScenarioInput['nsgs']> = [];
  const nics: NonNullable<ScenarioInput['nics']> = [];
  const asgs: { name: string }[] = [];
  const asgsByVnet: string[][] = [];
  for (let v = 0; v < nV; v++) {
    const vnetAsgs = [`asg-${v}-web`, `asg-${v}-db`];
    asgsByVnet.push(vnetAsgs);
    for (const a of vnetAsgs) asgs.push({ name: a });
  }
  const port = (): string => {
    const r = rnd();
    if (r < 0.2) return '*';
    if (r < 0.7) return String(pick(COMMON_PORTS));
    const lo = int(1024, 60000);
    return `${lo}-${lo + int(0, 2000)}`;
  };
  const address = (v: number): { prefix?: string; prefixes?: string[]; asgs?: string[] } => {
    const r = rnd();
    if (r < 0.15) return { prefix: '*' };
    if (r < 0.3) return { prefix: 'VirtualNetwork' };
    if (r < 0.4) return { prefix: 'Internet' };
    if (r < 0.5) return { asgs: [pick(asgsByVnet[v])] };
    if (r < 0.7) return { prefix: `10.${int(0, nV - 1)}.${int(0, nS - 1)}.0/24` };
    if (r < 0.85) return { prefixes: Array.from({ length: int(2, 5) }, () => randomPublicCidr()) };
    return { prefix: `${int(11, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}` };
  };
  const randomPublicCidr = () => {
    const bits = pick([16, 20, 24]);
    const ip = (int(11, 223) * 16777216 + int(0, 16777215)) >>> 0;
    const mask = (0xffffffff << (32 - bits)) >>> 0;
    return `${formatIpv4((ip & mask) >>> 0)}/${bits}`;
  };
  const rule = (v: number, name: string, priority: number, direction: 'Inbound' | 'Outbound') => {
    const src = address(v);
    const dst = address(v);
    const ports = rnd() < 0.2 ? { destinationPortRanges: [port(), port(), port()].filter((p) => p !== '*') } : { destinationPortRange: port() };
    if (ports.destinationPortRanges && ports.destinationPortRanges.length === 0) ports.destinationPortRanges.push("443");
    return {
      name,
      priority,
      direction,
      access: rnd() < 0.55 ? 'Allow' : 'Deny',
      protocol: pick(['Tcp', 'Tcp', 'Tcp', 'Udp', '*', 'Icmp']),
      ...(src.asgs ? { sourceApplicationSecurityGroups: src.asgs } : src.prefixes ? { sourceAddressPrefixes: src.prefixes } : { sourceAddressPrefix: src.prefix }),
      sourcePortRange: rnd() < 0.9 ? '*' : port(),
      ...(dst.asgs ? { destinationApplicationSecurityGroups: dst.asgs } : dst.prefixes ? { destinationAddressPrefixes: dst.prefixes } : { destinationAddressPrefix: dst.prefix }),
      ...ports,
    };
  };
  for (let v = 0; v < nV; v++) {
    const subnets = [];
    for (let s = 0; s < nS; s++) {
      const nsgName = `nsg-${v}-${s}`;
      const inPrios = new Set<number>();
      const outPrios = new Set<number>();
      const securityRules = [];
      for (let r = 0; r < nR; r++) {
        const direction = r % 2 === 0 ? 'Inbound' : 'Outbound';
        const used = direction === 'Inbound' ? inPrios : outPrios;
        let p = int(100, 4096);
        while (used.has(p)) p = int(100, 4096);
        used.add(p);
        securityRules.push(rule(v, `r${r}`, p, direction));
      }
      nsgs.push({ name: nsgName, securityRules });
      subnets.push({ name: `s${s}`, addressPrefix: `10.${v}.${s}.0/24`, nsg: nsgName });
      for (let n = 0; n < nN; n++) {
        nics.push({
          name: `nic-${v}-${s}-${n}`,
          vm: `vm-${v}-${s}-${n}`,
          vnet: `vnet-${v}`,
          subnet: `s${s}`,
          privateIps: [`10.${v}.${s}.${n + 4}`],
          asgs: rnd() < 0.5 ? [pick(asgsByVnet[v])] : [],
          ...(rnd() < 0.3 ? { nsg: `nsg-${v}-${int(0, nS - 1)}` } : {}),
          ...(rnd() < 0.2 ? { publicIp: { ipAddress: `52.${v}.${s}.${n + 4}` } } : {}),
        });
      }
    }
    vnets.push({
      name: `vnet-${v}`,
      addressSpace: [`10.${v}.0.0/16`],
      subnets,
      peerings: v === 0 ? [] : [{ remoteVnet: 'vnet-0' }],
    });
  }
  const adminRules = Array.from({ length: opts.adminRules ?? 20 }, (_, i) => ({
    name: `admin-${i}`,
    priority: i + 1,
    direction: i % 2 === 0 ? 'Inbound' : 'Outbound',
    access: pick(['Allow', 'AlwaysAllow', 'Deny']),
    protocol: pick(['Tcp', 'Udp', 'Any']),
    sources: rnd() < 0.5 ? [] : [pick(['Internet', 'VirtualNetwork', `10.${int(0, nV - 1)}.0.0/16`, `${int(11, 223)}.0.0.0/8`])],
    destinations: [],
    destinationPortRanges: [String(pick(COMMON_PORTS))],
  }));
  const input: ScenarioInput = {
    name: 'synthetic-policy',
    defaults: { resourceGroup: 'rg-synthetic', location: 'westeurope' },
    subscriptions: [{ id: '5e1f0000-0000-4000-8000-000000000001' }],
    vnets,
    nsgs,
    asgs,
    nics,
    networkManagers: [
      {
        name: 'avnm',
        networkGroups: [{ name: 'half', members: vnets.filter((_, i) => i % 2 === 0).map((v) => v.name) }],
        securityAdminConfigurations: [{ name: 'sac', ruleCollections: [{ name: 'rc', appliesToGroups: ['half'], rules: adminRules }] }],
      },
    ],
  } as ScenarioInput;
  return validateScenario(input).scenario;
}

export interface RandomFlows {
  count: number;
  srcIp: Uint32Array;
  dstIp: Uint32Array;
  srcPort: Uint16Array;
  dstPort: Uint16Array;
  protocol: Uint8Array;
}

/** Random flows over a scenario: mostly NIC↔NIC, some internet↔NIC public IP, some outbound to the internet. */
export function randomFlows(s: Scenario, count: number, seed = 2): RandomFlows {
  const rnd = mulberry32(seed);
  const privateIps = s.nics.flatMap((n) => n.privateIps.map(parseIpv4));
  const publicIps = s.nics.filter((n) => n.publicIp).map((n) => parseIpv4(n.publicIp!.ipAddress));
  const internet = () => ((Math.floor(rnd() * 200) + 11) * 16777216 + Math.floor(rnd() * 16777216)) >>> 0;
  const f: RandomFlows = {
    count,
    srcIp: new Uint32Array(count),
    dstIp: new Uint32Array(count),
    srcPort: new Uint16Array(count),
    dstPort: new Uint16Array(count),
    protocol: new Uint8Array(count),
  };
  for (let i = 0; i < count; i++) {
    const r = rnd();
    const anyPrivate = () => privateIps[Math.floor(rnd() * privateIps.length)];
    if (r < 0.6 || publicIps.length === 0) {
      f.srcIp[i] = anyPrivate();
      f.dstIp[i] = anyPrivate();
    } else if (r < 0.8) {
      f.srcIp[i] = internet();
      f.dstIp[i] = publicIps[Math.floor(rnd() * publicIps.length)];
    } else {
      f.srcIp[i] = anyPrivate();
      f.dstIp[i] = internet();
    }
    f.srcPort[i] = 49152 + Math.floor(rnd() * 16384);
    f.dstPort[i] = rnd() < 0.7 ? COMMON_PORTS[Math.floor(rnd() * COMMON_PORTS.length)] : Math.floor(rnd() * 65536);
    const p = rnd();
    f.protocol[i] = p < 0.75 ? 6 : p < 0.95 ? 17 : 1;
  }
  return f;
}

export { formatIpv4 };
