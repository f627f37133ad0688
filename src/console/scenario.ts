/**
 * Turns a scenario loaded by model/ into the console's topology. Names follow the forms the
 * analytics stage writes into NTANetAnalytics (subnet `<RG>/<VNet>/<Subnet>`, VM `<RG>/<VM>`,
 * NSG `<Sub>/<RG>/<NSG>`, AVNM `<Sub>/<RG>/<manager>/<configuration>`), so the scenario's nodes and
 * the data's edges meet.
 */
import { loadScenario, type Scenario } from '../model/index.js';
import { DEFAULT_RULES, defaultRuleFlowLogName, userRuleFlowLogName } from '../policy/index.js';
import type { ConsoleTopology } from './topology.js';

export async function loadConsoleTopology(file: string): Promise<{ scenario: Scenario; topology: ConsoleTopology }> {
  const { scenario } = loadScenario(file);
  return { scenario, topology: topologyFromScenario(scenario) };
}

export function topologyFromScenario(s: Scenario): ConsoleTopology {
  const vnetByName = new Map(s.vnets.map((v) => [v.name.toLowerCase(), v]));
  const vnetKey = (name: string) => {
    const v = vnetByName.get(name.toLowerCase());
    return v ? `${v.resourceGroup}/${v.name}` : name;
  };
  const subnetKey = (vnet: string, subnet: string) => `${vnetKey(vnet)}/${subnet}`;
  const peerings: ConsoleTopology['peerings'] = [];
  for (const v of s.vnets) {
    for (const p of v.peerings) {
      const a = vnetKey(v.name);
      const b = vnetKey(p.remoteVnet);
      if (!peerings.some((x) => (x.a === a && x.b === b) || (x.a === b && x.b === a))) peerings.push({ a, b });
    }
  }
  const rules: ConsoleTopology['rules'] = [];
  for (const nsg of s.nsgs) {
    const group = `${nsg.subscription}/${nsg.resourceGroup}/${nsg.name}`;
    for (const r of nsg.securityRules) rules.push({ aclGroup: group, rule: userRuleFlowLogName(r.name), kind: 'nsg' });
    for (const d of DEFAULT_RULES) rules.push({ aclGroup: group, rule: defaultRuleFlowLogName(d.name), kind: 'nsg' });
  }
  for (const m of s.networkManagers) {
    for (const c of m.securityAdminConfigurations) {
      // VNet flow logs name the security admin configuration as the group (UNCONFIRMED in
      // Azure's docs; this is what our emulator and analytics write).
      const group = `${m.subscription}/${m.resourceGroup}/${m.name}/${c.name}`;
      for (const rc of c.ruleCollections) for (const r of rc.rules) rules.push({ aclGroup: group, rule: r.name, kind: 'avnm' });
    }
  }
  return {
    vnets: s.vnets.map((v) => ({ id: `${v.resourceGroup}/${v.name}`, region: v.location, addressPrefixes: v.addressSpace })),
    subnets: s.vnets.flatMap((v) => v.subnets.map((sn) => ({ id: `${v.resourceGroup}/${v.name}/${sn.name}`, prefix: sn.addressPrefixes.join(' ') }))),
    vms: s.nics.map((n) => ({
      id: `${n.resourceGroup}/${n.vm ?? n.name}`,
      subnet: subnetKey(n.vnet, n.subnet),
      ips: n.privateIps,
      nic: `${n.resourceGroup}/${n.name}`,
    })),
    peerings,
    privateEndpoints: s.privateEndpoints.map((pe) => ({
      id: `${pe.resourceGroup}/${pe.name}`,
      subnet: subnetKey(pe.vnet, pe.subnet),
      ip: pe.ip,
      target: pe.target.resourceId.split('/').pop(),
    })),
    rules,
  };
}
