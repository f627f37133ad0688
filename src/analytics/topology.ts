/**
 * What enrichment needs to know about the customer's network, behind one small interface so
 * analytics works from a scenario (`fromScenario`), from `flowlens import azure` output, or
 * from a hand-written description in tests (`createStaticTopology`).
 *
 * Names follow the Traffic Analytics formats (spec §2.1): NIC and VM as `<RG>/<Name>`, subnet as
 * `<RG>/<VNet>/<Subnet>`, AclGroup as `<Subscription>/<RG>/<NSG>`.
 */
import { createPrefixTable, parseIp, parsePrefix, type ParsedIp } from './prefix.js';

export interface EndpointInfo {
  /** Identity used to tell IntraVNet from InterVNet (resource ID or unique name). */
  vnetId: string;
  /** VNet name as shown to users. */
  vnet: string;
  /** `<RG>/<VNet>/<Subnet>`, '' when only the VNet range matched. */
  subnet: string;
  /** `<RG>/<NicName>`, '' when the address is not a NIC's. */
  nic: string;
  /** `<RG>/<VmName>`, '' when no VM. */
  vm: string;
  subscription: string;
  region: string;
}

export interface SiteInfo {
  flowType: 'S2S' | 'P2S';
  connectionType: 'VpnGateway' | 'ExpressRoute';
  /** `<Sub>/<RG>/<Connection>`; for P2S `<Gateway>_<VPN client IP>`. */
  connectionName: string;
}

export interface VnetLink {
  connectionType: 'VNetPeering' | 'VpnGateway';
  /** Space-separated names of the VNets in between (hubs), may be ''. */
  connectingVnets: string;
}

export interface TopologyLookup {
  /** The Azure endpoint that owns `ip` (NIC, private endpoint, or an address in a VNet range). */
  endpoint(ip: ParsedIp, text: string): EndpointInfo | null;
  /** An on-premises address reached through a VPN gateway (S2S, P2S) or ExpressRoute. */
  site(ip: ParsedIp, text: string): SiteInfo | null;
  /** How two VNets are connected, if known. */
  link(vnetIdA: string, vnetIdB: string): VnetLink | null;
  /**
   * A VNet flow log `aclID` (GUID) and rule name → `<Sub>/<RG>/<NSG>`, or for a security admin
   * rule `<Sub>/<RG>/<NetworkManager>/<NetworkGroup>`.
   */
  aclGroup(aclId: string, rule: string): string | null;
  /**
   * A Microsoft-owned public address the topology itself knows (e.g. a scenario's `azurePublic`
   * hosts or inline service tags); consulted after the Service Tags file.
   */
  azurePublic?(ip: ParsedIp, text: string): { tag: string; region: string; systemService: string } | null;
}

/** A topology described by plain data; used by tests and by the scenario adapter. */
export interface StaticTopology {
  vnets: Array<{
    id?: string;
    name: string;
    resourceGroup: string;
    subscription: string;
    region: string;
    addressSpace: string[];
    subnets: Array<{ name: string; prefixes: string[] }>;
  }>;
  nics?: Array<{
    name: string;
    resourceGroup: string;
    vm?: string;
    vnet: string;
    subnet: string;
    ips: string[];
  }>;
  sites?: Array<{ prefixes: string[] } & SiteInfo>;
  /** P2S address pools: `<Gateway>_<client IP>` is built per address. */
  p2sPools?: Array<{ gateway: string; prefixes: string[] }>;
  peerings?: Array<{ a: string; b: string; connectingVnets?: string }>;
  acls?: Array<{ aclId: string; group: string }>;
  /** Microsoft-owned public ranges known to the topology (besides the Service Tags file). */
  azurePublic?: Array<{ prefixes: string[]; tag: string; region: string }>;
}

export function createStaticTopology(t: StaticTopology): TopologyLookup {
  const exact = new Map<string, EndpointInfo>();
  const ranges = createPrefixTable<EndpointInfo>();
  const vnetByName = new Map<string, StaticTopology['vnets'][number]>();
  const vnetIdOf = (v: StaticTopology['vnets'][number]) => v.id ?? `${v.subscription}/${v.resourceGroup}/${v.name}`;
  for (const v of t.vnets) {
    vnetByName.set(v.name.toLowerCase(), v);
    const base: EndpointInfo = {
      vnetId: vnetIdOf(v),
      vnet: v.name,
      subnet: '',
      nic: '',
      vm: '',
      subscription: v.subscription,
      region: v.region,
    };
    for (const sn of v.subnets)
      for (const p of sn.prefixes) {
        const parsed = parsePrefix(p);
        if (parsed) ranges.add(parsed, { ...base, subnet: `${v.resourceGroup}/${v.name}/${sn.name}` });
      }
    for (const p of v.addressSpace) {
      const parsed = parsePrefix(p);
      if (parsed) ranges.add(parsed, base);
    }
  }
  for (const nic of t.nics ?? []) {
    const v = vnetByName.get(nic.vnet.toLowerCase());
    if (!v) continue;
    for (const ip of nic.ips) {
      exact.set(ip, {
        vnetId: vnetIdOf(v),
        vnet: v.name,
        subnet: `${v.resourceGroup}/${v.name}/${nic.subnet}`,
        nic: `${nic.resourceGroup}/${nic.name}`,
        vm: nic.vm ? `${nic.resourceGroup}/${nic.vm}` : '',
        subscription: v.subscription,
        region: v.region,
      });
    }
  }
  const sites = createPrefixTable<SiteInfo>();
  for (const s of t.sites ?? [])
    for (const p of s.prefixes) {
      const parsed = parsePrefix(p);
      if (parsed) sites.add(parsed, { flowType: s.flowType, connectionType: s.connectionType, connectionName: s.connectionName });
    }
  const pools = createPrefixTable<string>();
  for (const pool of t.p2sPools ?? [])
    for (const p of pool.prefixes) {
      const parsed = parsePrefix(p);
      if (parsed) pools.add(parsed, pool.gateway);
    }
  const links = new Map<string, VnetLink>();
  for (const p of t.peerings ?? []) {
    const a = vnetByName.get(p.a.toLowerCase());
    const b = vnetByName.get(p.b.toLowerCase());
    if (!a || !b) continue;
    const link: VnetLink = { connectionType: 'VNetPeering', connectingVnets: p.connectingVnets ?? '' };
    links.set(`${vnetIdOf(a)}\n${vnetIdOf(b)}`, link);
    links.set(`${vnetIdOf(b)}\n${vnetIdOf(a)}`, link);
  }
  const acls = new Map((t.acls ?? []).map((a) => [a.aclId.toLowerCase(), a.group]));
  const azure = createPrefixTable<{ tag: string; region: string; systemService: string }>();
  for (const a of t.azurePublic ?? [])
    for (const p of a.prefixes) {
      const parsed = parsePrefix(p);
      if (parsed) azure.add(parsed, { tag: a.tag, region: a.region, systemService: '' });
    }
  return {
    endpoint(ip, text) {
      return exact.get(text) ?? ranges.lookup(ip) ?? null;
    },
    site(ip, text) {
      const gateway = pools.lookup(ip);
      if (gateway !== undefined) return { flowType: 'P2S', connectionType: 'VpnGateway', connectionName: `${gateway}_${text}` };
      return sites.lookup(ip) ?? null;
    },
    link(a, b) {
      return links.get(`${a}\n${b}`) ?? null;
    },
    aclGroup(aclId) {
      return acls.get(aclId.toLowerCase()) ?? null;
    },
    azurePublic(ip) {
      return azure.lookup(ip) ?? null;
    },
  };
}

/** A topology that knows nothing: every flow is classified from addresses alone. */
export const EMPTY_TOPOLOGY: TopologyLookup = createStaticTopology({ vnets: [] });

export { parseIp };
