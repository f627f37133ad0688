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
import type { TableRows } from '../store/types.js';
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

/**
 * NTATopologyDetails-shaped rows (spec §4) for a scenario: one per VNet, subnet, NIC and NSG,
 * for `Store.replaceTopology`. Names follow the TA formats (`<RG>/<Name>`, `<RG>/<VNet>/<Subnet>`).
 */
export function topologyRows(s: Scenario, processedMs = Date.now()): TableRows {
  const rows: Array<Record<string, string>> = [];
  const row = (r: Partial<Record<string, string>>) =>
    rows.push({
      name: '',
      resource_type: '',
      subscription: '',
      resource_group: '',
      region: '',
      address_prefixes: '',
      private_ips: '',
      public_ips: '',
      mac: '',
      virtual_machine: '',
      virtual_network: '',
      subnetwork: '',
      nsg: '',
      ...r,
    } as Record<string, string>);
  for (const v of s.vnets) {
    row({ name: `${v.resourceGroup}/${v.name}`, resource_type: 'VirtualNetwork', subscription: v.subscription, resource_group: v.resourceGroup, region: v.location, address_prefixes: v.addressSpace.join(' '), virtual_network: v.name });
    for (const sn of v.subnets) {
      row({
        name: `${v.resourceGroup}/${v.name}/${sn.name}`,
        resource_type: 'Subnet',
        subscription: v.subscription,
        resource_group: v.resourceGroup,
        region: v.location,
        address_prefixes: sn.addressPrefixes.join(' '),
        virtual_network: v.name,
        subnetwork: `${v.resourceGroup}/${v.name}/${sn.name}`,
        nsg: sn.nsg ?? '',
      });
    }
  }
  for (const n of s.nics) {
    const vnet = s.vnets.find((v) => v.name.toLowerCase() === n.vnet.toLowerCase());
    row({
      name: `${n.resourceGroup}/${n.name}`,
      resource_type: 'NetworkInterface',
      subscription: n.subscription,
      resource_group: n.resourceGroup,
      region: n.location,
      private_ips: n.privateIps.join(' '),
      public_ips: n.publicIp?.ipAddress ?? '',
      mac: n.mac ?? '',
      virtual_machine: n.vm ? `${n.resourceGroup}/${n.vm}` : '',
      virtual_network: n.vnet,
      subnetwork: vnet ? `${vnet.resourceGroup}/${vnet.name}/${n.subnet}` : n.subnet,
      nsg: n.nsg ?? '',
    });
  }
  for (const g of s.nsgs) {
    row({ name: `${g.resourceGroup}/${g.name}`, resource_type: 'NetworkSecurityGroup', subscription: g.subscription, resource_group: g.resourceGroup, region: g.location, nsg: g.name });
  }
  const columns: TableRows['columns'] = { processed_ms: rows.map(() => processedMs) };
  for (const key of Object.keys(rows[0] ?? {})) columns[key] = rows.map((r) => r[key]);
  if (rows.length === 0) {
    for (const key of ['name', 'resource_type', 'subscription', 'resource_group', 'region', 'address_prefixes', 'private_ips', 'public_ips', 'mac', 'virtual_machine', 'virtual_network', 'subnetwork', 'nsg']) columns[key] = [];
  }
  return { table: 'ta_topology', length: rows.length, columns };
}
