/**
 * Adapter from a flowlens scenario (src/model) to the `TopologyLookup` analytics enriches with.
 * Resource naming follows Traffic Analytics: `<RG>/<NIC>`, `<RG>/<VM>`, `<RG>/<VNet>/<Subnet>`,
 * AclGroup `<Sub>/<RG>/<NSG>`. ACL IDs are computed as the policy engine assigns them (the NSG's
 * resourceGuid, else a stable GUID of its resource ID), so emulated logs resolve.
 */
import {
  loadScenario,
  nsgId,
  securityAdminConfigurationId,
  stableGuid,
  vnetId,
  type Scenario,
  type ServiceTagSet,
} from '../model/index.js';
import { createStaticTopology, type StaticTopology, type TopologyLookup } from './topology.js';

export function topologyFromScenario(s: Scenario, serviceTags?: ServiceTagSet): TopologyLookup {
  const vnets: StaticTopology['vnets'] = s.vnets.map((v) => ({
    id: vnetId(v),
    name: v.name,
    resourceGroup: v.resourceGroup,
    subscription: v.subscription,
    region: v.location,
    addressSpace: v.addressSpace,
    subnets: v.subnets.map((sn) => ({ name: sn.name, prefixes: sn.addressPrefixes })),
  }));
  const nics: NonNullable<StaticTopology['nics']> = s.nics.map((n) => ({
    name: n.name,
    resourceGroup: n.resourceGroup,
    vm: n.vm,
    vnet: n.vnet,
    subnet: n.subnet,
    ips: [...n.privateIps, ...(n.publicIp ? [n.publicIp.ipAddress] : [])],
  }));
  // private endpoints are addresses in a subnet without NIC/VM names of their own
  for (const pe of s.privateEndpoints) {
    nics.push({ name: pe.name, resourceGroup: pe.resourceGroup, vnet: pe.vnet, subnet: pe.subnet, ips: [pe.ip] });
  }
  const peerings: NonNullable<StaticTopology['peerings']> = [];
  for (const v of s.vnets) for (const p of v.peerings) peerings.push({ a: v.name, b: p.remoteVnet });
  // spokes peered to the same hub: InterVNet through the hub (ConnectingVnets = hub)
  const peersOf = new Map<string, Set<string>>();
  for (const p of peerings) {
    const add = (a: string, b: string) => {
      const set = peersOf.get(a.toLowerCase()) ?? new Set<string>();
      set.add(b);
      peersOf.set(a.toLowerCase(), set);
    };
    add(p.a, p.b);
    add(p.b, p.a);
  }
  const direct = new Set(peerings.flatMap((p) => [`${p.a.toLowerCase()}\n${p.b.toLowerCase()}`, `${p.b.toLowerCase()}\n${p.a.toLowerCase()}`]));
  for (const [hub, spokes] of peersOf) {
    const list = [...spokes];
    for (let i = 0; i < list.length; i++)
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i];
        const b = list[j];
        if (direct.has(`${a.toLowerCase()}\n${b.toLowerCase()}`)) continue;
        const hubName = s.vnets.find((v) => v.name.toLowerCase() === hub)?.name ?? hub;
        peerings.push({ a, b, connectingVnets: hubName });
      }
  }
  const sites: NonNullable<StaticTopology['sites']> = [];
  const azurePublic: NonNullable<StaticTopology['azurePublic']> = [];
  for (const h of s.externalHosts) {
    if (h.kind === 'onPremises') {
      const gwVnet = s.vnets.find((v) => v.name.toLowerCase() === (h.gatewayVnet ?? '').toLowerCase());
      const via = h.via === 'expressRoute' ? 'ExpressRoute' : 'VpnGateway';
      sites.push({
        prefixes: h.addresses,
        flowType: 'S2S',
        connectionType: via,
        connectionName: gwVnet ? `${gwVnet.subscription}/${gwVnet.resourceGroup}/${h.name}` : h.name,
      });
    } else if (h.kind === 'azurePublic') {
      azurePublic.push({ prefixes: h.addresses, tag: h.name, region: '' });
    }
  }
  for (const tag of serviceTags?.values() ?? []) {
    azurePublic.push({ prefixes: tag.addressPrefixes, tag: tag.name, region: tag.region ?? '' });
  }
  const acls: NonNullable<StaticTopology['acls']> = [];
  for (const nsg of s.nsgs) {
    acls.push({ aclId: nsg.resourceGuid ?? stableGuid(nsgId(nsg)), group: `${nsg.subscription}/${nsg.resourceGroup}/${nsg.name}` });
  }
  const adminGroups = new Map<string, Map<string, string>>();
  for (const m of s.networkManagers)
    for (const c of m.securityAdminConfigurations) {
      const guid = (c.resourceGuid ?? stableGuid(securityAdminConfigurationId(m, c.name))).toLowerCase();
      const byRule = new Map<string, string>();
      for (const rc of c.ruleCollections)
        for (const r of rc.rules) byRule.set(r.name.toLowerCase(), `${m.subscription}/${m.resourceGroup}/${m.name}/${rc.appliesToGroups.join(' ')}`);
      adminGroups.set(guid, byRule);
      acls.push({ aclId: guid, group: `${m.subscription}/${m.resourceGroup}/${m.name}/${c.name}` });
    }
  const base = createStaticTopology({ vnets, nics, peerings, sites, acls, azurePublic });
  return {
    ...base,
    aclGroup(aclId, rule) {
      const admin = adminGroups.get(aclId.toLowerCase())?.get(rule.toLowerCase());
      return admin ?? base.aclGroup(aclId, rule);
    },
  };
}

/** Loads a scenario file (YAML/JSON) as a topology; errors carry file, path and line. */
export function loadTopologyFromScenario(file: string): TopologyLookup {
  const loaded = loadScenario(file);
  return topologyFromScenario(loaded.scenario, loaded.serviceTags);
}
