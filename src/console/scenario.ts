/**
 * Turns a scenario loaded by model/ into the console's topology. The model module is loaded
 * lazily; its object shape is read defensively so that a model change degrades the topology
 * view (fewer nodes) instead of stopping the console.
 */
import { UsageError } from '../errors.js';
import { emptyTopology, type ConsoleTopology } from './topology.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : isObj(v) ? Object.values(v).filter(isObj) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

function nameOf(o: Obj): string {
  return str(o.name) ?? str(o.id)?.split('/').pop() ?? '?';
}

export async function loadConsoleTopology(file: string): Promise<{ scenario: unknown; topology: ConsoleTopology }> {
  let mod: Obj;
  try {
    mod = (await import('../model/index.js')) as Obj;
  } catch (err) {
    throw new UsageError(`--scenario needs the model module, which failed to load: ${(err as Error).message}`);
  }
  const load = (mod.loadScenarioFile ?? mod.loadScenario ?? mod.readScenario) as ((f: string) => unknown) | undefined;
  if (typeof load !== 'function') throw new UsageError('--scenario: this build has no scenario loader');
  const scenario = await load(file);
  return { scenario, topology: topologyFromScenario(scenario) };
}

/** Best-effort mapping of a scenario object to the console topology. */
export function topologyFromScenario(scenario: unknown): ConsoleTopology {
  const topo = emptyTopology();
  const root = isObj(scenario) ? ((isObj(scenario.scenario) ? scenario.scenario : isObj(scenario.topology) ? scenario.topology : scenario) as Obj) : {};
  const defaultRg = str(root.resourceGroup) ?? 'rg';
  const subnetIdByName = new Map<string, string>();
  for (const vnet of arr(root.vnets ?? root.virtualNetworks)) {
    const rg = str(vnet.resourceGroup) ?? defaultRg;
    const vnetId = `${rg}/${nameOf(vnet)}`;
    topo.vnets.push({ id: vnetId, region: str(vnet.region) ?? str(vnet.location), addressPrefixes: strs(vnet.addressSpace ?? vnet.addressPrefixes) });
    for (const subnet of arr(vnet.subnets)) {
      const id = `${vnetId}/${nameOf(subnet)}`;
      topo.subnets.push({ id, prefix: str(subnet.addressPrefix) ?? strs(subnet.addressPrefixes)[0] });
      subnetIdByName.set(nameOf(subnet), id);
      subnetIdByName.set(`${nameOf(vnet)}/${nameOf(subnet)}`, id);
    }
    for (const peering of arr(vnet.peerings)) {
      const remote = str(peering.remoteVnet) ?? str(peering.remoteVirtualNetwork) ?? str(peering.remote) ?? str(peering.vnet);
      if (remote) {
        const remoteId = remote.includes('/') ? remote.split('/').slice(-2).join('/') : `${rg}/${remote}`;
        if (!topo.peerings.some((p) => (p.a === remoteId && p.b === vnetId) || (p.a === vnetId && p.b === remoteId))) {
          topo.peerings.push({ a: vnetId, b: remoteId });
        }
      }
    }
  }
  const subnetRef = (o: Obj) => {
    const ref = str(o.subnet) ?? str(o.subnetId);
    if (!ref) return undefined;
    return subnetIdByName.get(ref) ?? subnetIdByName.get(ref.split('/').slice(-2).join('/')) ?? subnetIdByName.get(ref.split('/').pop() ?? '');
  };
  for (const vm of [...arr(root.vms ?? root.virtualMachines), ...arr(root.nics ?? root.networkInterfaces)]) {
    const subnet = subnetRef(vm) ?? subnetRef(arr(vm.nics)[0] ?? {});
    if (!subnet) continue;
    const rg = str(vm.resourceGroup) ?? defaultRg;
    const id = `${rg}/${str(vm.vm) ?? nameOf(vm)}`;
    if (!topo.vms.some((v) => v.id === id)) topo.vms.push({ id, subnet, ips: strs(vm.privateIp ?? vm.ip ?? vm.privateIps) });
  }
  for (const pe of arr(root.privateEndpoints)) {
    const subnet = subnetRef(pe);
    if (subnet) topo.privateEndpoints.push({ id: `${str(pe.resourceGroup) ?? defaultRg}/${nameOf(pe)}`, subnet, ip: str(pe.ip) ?? str(pe.privateIp), target: str(pe.target) ?? str(pe.privateLinkResource) });
  }
  for (const nsg of arr(root.nsgs ?? root.networkSecurityGroups)) {
    const group = `${str(nsg.subscription) ?? str(root.subscription) ?? ''}/${str(nsg.resourceGroup) ?? defaultRg}/${nameOf(nsg)}`.replace(/^\//, '');
    for (const rule of arr(nsg.rules ?? nsg.securityRules)) topo.rules.push({ aclGroup: group, rule: `UserRule_${nameOf(rule)}`, kind: 'nsg' });
  }
  return topo;
}
