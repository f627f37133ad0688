/**
 * `flowlens import azure <dir>`: builds a scenario from real Azure resource JSON. Accepts both
 * shapes users have:
 *  - Azure CLI output (`az network vnet list -o json`, `az ... show`): ARM `properties` flattened
 *    into the object;
 *  - ARM/REST/Resource Graph objects with the resource's fields nested under `properties`, as
 *    bare objects, arrays, `{"value": [...]}` (REST list), `{"data": [...]}` (Resource Graph) or
 *    `{"resources": [...]}` (ARM template export with literal names).
 * Files are dispatched on each object's `type`; file names do not matter. Unknown types are listed
 * and ignored.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ScenarioError } from '../errors.js';
import { parseResourceId, resourceName } from './ids.js';
import { validateScenario, type LoadedScenario } from './load.js';
import type { ScenarioInput } from './schema.js';
import { isArmTemplate, templateResources, TEMPLATE_RESOURCE_GROUP, TEMPLATE_SUBSCRIPTION } from './arm-template.js';

type Json = Record<string, unknown>;

export interface IgnoredResource {
  file: string;
  type: string;
  name: string;
}

export interface AzureImport {
  /** The scenario as a plain object (what `--out` writes). */
  scenario: ScenarioInput;
  /** The validated scenario. */
  loaded: LoadedScenario;
  /** Resources of types flowlens does not model. */
  ignored: IgnoredResource[];
  /** Non-fatal notes (e.g. NICs of private endpoints folded into the endpoint). */
  notes: string[];
  /** Resources imported, by type. */
  counts: Record<string, number>;
}

interface Sourced {
  file: string;
  obj: Json;
}

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strs = (v: unknown): string[] => arr(v).filter((x): x is string => typeof x === 'string' && x !== '');
const idOf = (v: unknown): string | undefined => (isObj(v) ? str(v.id) : undefined);

/** Flattens `properties` into the object (ARM shape → CLI shape); CLI objects pass unchanged. */
function flat(o: Json): Json {
  return isObj(o.properties) ? { ...o, ...o.properties } : o;
}

/** Resource objects found in a parsed JSON document, whatever its wrapper. */
function resourcesIn(doc: unknown): Json[] {
  if (Array.isArray(doc)) return doc.filter(isObj);
  if (!isObj(doc)) return [];
  if (typeof doc.type === 'string') return [doc];
  for (const key of ['value', 'data', 'resources']) if (Array.isArray(doc[key])) return (doc[key] as unknown[]).filter(isObj);
  return [];
}

function listJsonFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.toLowerCase().endsWith('.json')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export interface ImportOptions {
  /** Subscription GUID for ARM template exports (which carry no IDs). */
  subscription?: string;
  /** Resource group for ARM template exports. */
  resourceGroup?: string;
}

/** Reads every `*.json` under `dir` (recursively) and imports the resources. */
export function importAzureFolder(dir: string, options: ImportOptions = {}): AzureImport {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new ScenarioError('not a directory', { file: dir });
  const items: Sourced[] = [];
  const templateNotes: string[] = [];
  for (const file of listJsonFiles(dir)) {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ScenarioError(`not valid JSON: ${(err as Error).message}`, { file });
    }
    const rel = relative(dir, file) || file;
    if (isArmTemplate(doc)) {
      const ctx = { subscription: options.subscription ?? TEMPLATE_SUBSCRIPTION, resourceGroup: options.resourceGroup ?? TEMPLATE_RESOURCE_GROUP };
      templateNotes.push(`${rel}: ARM template; resource IDs use subscription ${ctx.subscription} and resource group ${ctx.resourceGroup} (--subscription / --resource-group)`);
      for (const obj of templateResources(doc, ctx)) items.push({ file: rel, obj });
      continue;
    }
    for (const obj of resourcesIn(doc)) items.push({ file: rel, obj });
  }
  const result = importAzureResources(items, dir);
  result.notes.unshift(...templateNotes);
  return result;
}

const T = {
  vnet: 'microsoft.network/virtualnetworks',
  subnet: 'microsoft.network/virtualnetworks/subnets',
  peering: 'microsoft.network/virtualnetworks/virtualnetworkpeerings',
  nsg: 'microsoft.network/networksecuritygroups',
  rule: 'microsoft.network/networksecuritygroups/securityrules',
  defaultRule: 'microsoft.network/networksecuritygroups/defaultsecurityrules',
  nic: 'microsoft.network/networkinterfaces',
  asg: 'microsoft.network/applicationsecuritygroups',
  pe: 'microsoft.network/privateendpoints',
  pip: 'microsoft.network/publicipaddresses',
  manager: 'microsoft.network/networkmanagers',
  group: 'microsoft.network/networkmanagers/networkgroups',
  member: 'microsoft.network/networkmanagers/networkgroups/staticmembers',
  config: 'microsoft.network/networkmanagers/securityadminconfigurations',
  collection: 'microsoft.network/networkmanagers/securityadminconfigurations/rulecollections',
  adminRule: 'microsoft.network/networkmanagers/securityadminconfigurations/rulecollections/rules',
  flowLog: 'microsoft.network/networkwatchers/flowlogs',
  /** Read only for `hardwareProfile.vmSize` (VNet encryption capability of the VM's NICs). */
  vm: 'microsoft.compute/virtualmachines',
} as const;

/** Placement fields from a resource's ID (and `location`). */
function placement(o: Json): { subscription?: string; resourceGroup?: string; location?: string } {
  const id = str(o.id);
  const parsed = id ? parseResourceId(id) : null;
  return {
    subscription: parsed?.subscription,
    resourceGroup: str(o.resourceGroup) ?? parsed?.resourceGroup,
    location: str(o.location)?.toLowerCase().replace(/\s+/g, ''),
  };
}

/** Name of the resource `depth` levels above the last segment of an ID, e.g. the VNet of a subnet. */
function parentName(id: string, type: string): string | undefined {
  const p = parseResourceId(id);
  return p?.segments.find(([t]) => t.toLowerCase() === type.toLowerCase())?.[1];
}

function boolOr(v: unknown, d: boolean): boolean {
  return typeof v === 'boolean' ? v : d;
}

/** Imports already-parsed resource objects (`file` is only used in messages). */
export function importAzureResources(items: readonly Sourced[], label = 'azure export'): AzureImport {
  const ignored: IgnoredResource[] = [];
  const notes: string[] = [];
  const byType = new Map<string, Sourced[]>();
  for (const it of items) {
    const type = str(it.obj.type)?.toLowerCase();
    if (!type) {
      ignored.push({ file: it.file, type: '(no type)', name: str(it.obj.name) ?? '?' });
      continue;
    }
    if (!(Object.values(T) as string[]).includes(type) && type !== 'microsoft.network/networkwatchers') {
      ignored.push({ file: it.file, type: str(it.obj.type) as string, name: str(it.obj.name) ?? '?' });
      continue;
    }
    // The same resource may be exported twice (list + show); keep the first by ID.
    const list = byType.get(type) ?? [];
    const id = str(it.obj.id)?.toLowerCase();
    if (!id || !list.some((x) => str(x.obj.id)?.toLowerCase() === id)) list.push(it);
    byType.set(type, list);
  }
  const of = (t: string) => (byType.get(t) ?? []).map((s) => ({ file: s.file, o: flat(s.obj) }));
  const nameFromId = (id: string | undefined) => (id ? resourceName(id) : undefined);
  const subscriptions = new Set<string>();
  const track = <P extends { subscription?: string }>(p: P): P => {
    if (p.subscription) subscriptions.add(p.subscription.toLowerCase());
    return p;
  };

  // NSGs (+ standalone rules)
  const nsgs: NonNullable<ScenarioInput['nsgs']> = [];
  const nsgRules = new Map<string, Json[]>();
  for (const { o } of of(T.rule)) {
    const parent = parentName(str(o.id) ?? '', 'networkSecurityGroups');
    if (parent) nsgRules.set(parent.toLowerCase(), [...(nsgRules.get(parent.toLowerCase()) ?? []), o]);
  }
  const nsgAttachments: { nsg: string; subnets: string[]; nics: string[] }[] = [];
  for (const { o } of of(T.nsg)) {
    const name = str(o.name) as string;
    const rules = [...arr(o.securityRules).filter(isObj), ...(nsgRules.get(name.toLowerCase()) ?? [])].map(flat);
    const seen = new Set<string>();
    nsgs.push({
      name,
      ...track(placement(o)),
      ...(str(o.resourceGuid) ? { resourceGuid: str(o.resourceGuid) } : {}),
      securityRules: rules
        .filter((r) => {
          const n = String(r.name).toLowerCase();
          if (seen.has(n)) return false;
          seen.add(n);
          return true;
        })
        .map(importSecurityRule),
    });
    nsgAttachments.push({ nsg: name, subnets: arr(o.subnets).map(idOf).filter((x): x is string => !!x), nics: arr(o.networkInterfaces).map(idOf).filter((x): x is string => !!x) });
  }
  const nsgBySubnetId = new Map<string, string>();
  const nsgByNicId = new Map<string, string>();
  for (const a of nsgAttachments) {
    for (const s of a.subnets) nsgBySubnetId.set(s.toLowerCase(), a.nsg);
    for (const n of a.nics) nsgByNicId.set(n.toLowerCase(), a.nsg);
  }

  // VNets, subnets, peerings
  const vnets: NonNullable<ScenarioInput['vnets']> = [];
  const extraSubnets = of(T.subnet).map(({ o }) => o);
  const extraPeerings = of(T.peering).map(({ o }) => o);
  for (const { o } of of(T.vnet)) {
    const name = str(o.name) as string;
    const vnetIdLower = str(o.id)?.toLowerCase() ?? '';
    const subnetObjs = [...arr(o.subnets).filter(isObj).map(flat), ...extraSubnets.filter((s) => str(s.id)?.toLowerCase().startsWith(`${vnetIdLower}/subnets/`))];
    const seenSubnets = new Set<string>();
    const subnets = subnetObjs
      .filter((s) => {
        const n = String(s.name).toLowerCase();
        if (seenSubnets.has(n)) return false;
        seenSubnets.add(n);
        return true;
      })
      .map((s) => {
        const prefixes = strs(s.addressPrefixes).length > 0 ? strs(s.addressPrefixes) : [str(s.addressPrefix)].filter((x): x is string => !!x);
        const nsgId = idOf(s.networkSecurityGroup);
        const nsg = nsgId ? resourceName(nsgId) : nsgBySubnetId.get(str(s.id)?.toLowerCase() ?? '');
        return { name: str(s.name) as string, addressPrefixes: prefixes, ...(nsg ? { nsg } : {}) };
      });
    const peeringObjs = [...arr(o.virtualNetworkPeerings).filter(isObj).map(flat), ...extraPeerings.filter((p) => str(p.id)?.toLowerCase().startsWith(`${vnetIdLower}/virtualnetworkpeerings/`))];
    const peerNames = new Set<string>();
    const peerings = peeringObjs
      .map((p) => ({
        name: str(p.name),
        remoteVnet: nameFromId(idOf(p.remoteVirtualNetwork)) as string,
        allowVirtualNetworkAccess: boolOr(p.allowVirtualNetworkAccess, true),
        allowForwardedTraffic: boolOr(p.allowForwardedTraffic, false),
        allowGatewayTransit: boolOr(p.allowGatewayTransit, false),
        useRemoteGateways: boolOr(p.useRemoteGateways, false),
      }))
      .filter((p) => {
        if (!p.remoteVnet || peerNames.has(p.remoteVnet.toLowerCase())) return false;
        peerNames.add(p.remoteVnet.toLowerCase());
        return true;
      });
    const enc = isObj(o.encryption) ? o.encryption : undefined;
    const addressSpace = isObj(o.addressSpace) ? strs(o.addressSpace.addressPrefixes) : [];
    vnets.push({
      name,
      ...track(placement(o)),
      ...(str(o.resourceGuid) ? { resourceGuid: str(o.resourceGuid) } : {}),
      addressSpace,
      subnets,
      peerings,
      ...(enc ? { encryption: { enabled: boolOr(enc.enabled, false), enforcement: str(enc.enforcement) ?? 'AllowUnencrypted' } } : {}),
      ...(typeof o.flowTimeoutInMinutes === 'number' ? { flowTimeoutInMinutes: o.flowTimeoutInMinutes } : {}),
    } as NonNullable<ScenarioInput['vnets']>[number]);
  }

  // Public IPs → NIC
  const publicIpById = new Map<string, { name: string; ipAddress?: string; nicIpConfig?: string; resourceGuid?: string }>();
  for (const { o } of of(T.pip)) {
    const id = str(o.id)?.toLowerCase();
    if (id) publicIpById.set(id, { name: str(o.name) as string, ipAddress: str(o.ipAddress), nicIpConfig: idOf(o.ipConfiguration), resourceGuid: str(o.resourceGuid) });
  }

  // Private endpoints (their NICs are folded in, not imported as VM NICs)
  const peNicIds = new Set<string>();
  const nicObjs = of(T.nic).map(({ o }) => o);
  const nicById = new Map(nicObjs.map((n) => [str(n.id)?.toLowerCase() ?? '', n]));
  const privateEndpoints: NonNullable<ScenarioInput['privateEndpoints']> = [];
  for (const { o, file } of of(T.pe)) {
    const subnetRef = idOf(o.subnet);
    const peNics = arr(o.networkInterfaces).map(idOf).filter((x): x is string => !!x);
    for (const n of peNics) peNicIds.add(n.toLowerCase());
    let ip: string | undefined =
      arr(o.customDnsConfigs).filter(isObj).flatMap((c) => strs(c.ipAddresses))[0] ??
      arr(o.ipConfigurations).filter(isObj).map(flat).map((c) => str(c.privateIPAddress)).find(Boolean);
    if (!ip)
      for (const n of peNics) {
        const nic = nicById.get(n.toLowerCase());
        const cfg = nic ? arr(flat(nic).ipConfigurations).filter(isObj).map(flat)[0] : undefined;
        const found = cfg ? str(cfg.privateIPAddress) : undefined;
        if (found) ip = found;
      }
    const conn = [...arr(o.privateLinkServiceConnections), ...arr(o.manualPrivateLinkServiceConnections)].filter(isObj).map(flat)[0];
    if (!subnetRef || !ip || !conn) {
      notes.push(`${file}: private endpoint ${String(o.name)} skipped (needs subnet, IP and a private link connection)`);
      continue;
    }
    privateEndpoints.push({
      name: str(o.name) as string,
      ...track(placement(o)),
      vnet: parentName(subnetRef, 'virtualNetworks') as string,
      subnet: resourceName(subnetRef),
      ip,
      target: { resourceId: str(conn.privateLinkServiceId) ?? '', ...(strs(conn.groupIds)[0] ? { groupId: strs(conn.groupIds)[0] } : {}) },
    });
  }

  // VM sizes (for the encryption capability of NICs)
  const vmSizes = new Map<string, string>();
  for (const { o } of of(T.vm)) {
    const size = isObj(o.hardwareProfile) ? str(o.hardwareProfile.vmSize) : undefined;
    if (size && str(o.id)) vmSizes.set((str(o.id) as string).toLowerCase(), size);
  }

  // NICs
  const nics: NonNullable<ScenarioInput['nics']> = [];
  for (const { o, file } of of(T.nic)) {
    const id = str(o.id)?.toLowerCase() ?? '';
    if (peNicIds.has(id) || o.privateEndpoint) {
      notes.push(`${file}: NIC ${String(o.name)} belongs to a private endpoint; imported as the endpoint`);
      continue;
    }
    const configs = arr(o.ipConfigurations).filter(isObj).map(flat);
    configs.sort((a, b) => Number(b.primary === true) - Number(a.primary === true));
    const subnetRef = configs.map((c) => idOf(c.subnet)).find(Boolean);
    if (!subnetRef) {
      notes.push(`${file}: NIC ${String(o.name)} skipped (no subnet)`);
      continue;
    }
    const ips = configs.map((c) => str(c.privateIPAddress)).filter((x): x is string => !!x && !x.includes(':'));
    const asgs = [...new Set(configs.flatMap((c) => arr(c.applicationSecurityGroups).map(idOf).filter((x): x is string => !!x).map(resourceName)))];
    let publicIp: { name?: string; ipAddress: string } | undefined;
    for (const c of configs) {
      const pipRef = c.publicIPAddress;
      const pipId = idOf(pipRef)?.toLowerCase();
      const fromRef = isObj(pipRef) ? str(flat(pipRef).ipAddress) : undefined;
      const known = pipId ? publicIpById.get(pipId) : undefined;
      const address = fromRef ?? known?.ipAddress;
      if (address && !publicIp) publicIp = { name: known?.name ?? (pipId ? resourceName(pipId) : undefined), ipAddress: address };
    }
    if (!publicIp)
      for (const p of publicIpById.values())
        if (p.ipAddress && p.nicIpConfig?.toLowerCase().startsWith(`${id}/ipconfigurations/`)) publicIp = { name: p.name, ipAddress: p.ipAddress };
    const nsgId = idOf(o.networkSecurityGroup);
    const nsg = nsgId ? resourceName(nsgId) : nsgByNicId.get(id);
    const vmId = idOf(o.virtualMachine);
    const vmSize = vmId ? vmSizes.get(vmId.toLowerCase()) : undefined;
    const mac = str(o.macAddress);
    nics.push({
      name: str(o.name) as string,
      ...track(placement(o)),
      ...(str(o.resourceGuid) ? { resourceGuid: str(o.resourceGuid) } : {}),
      ...(vmId ? { vm: resourceName(vmId) } : {}),
      ...(vmSize ? { vmSize } : {}),
      vnet: parentName(subnetRef, 'virtualNetworks') as string,
      subnet: resourceName(subnetRef),
      privateIps: ips,
      ...(mac ? { mac } : {}),
      ...(nsg ? { nsg } : {}),
      asgs,
      acceleratedNetworking: boolOr(o.enableAcceleratedNetworking, false),
      ...(typeof o.vnetEncryptionSupported === 'boolean' ? { encryptionSupported: o.vnetEncryptionSupported } : {}),
      ...(publicIp ? { publicIp } : {}),
    });
  }

  const asgs = of(T.asg).map(({ o }) => ({ name: str(o.name) as string, ...track(placement(o)), ...(str(o.resourceGuid) ? { resourceGuid: str(o.resourceGuid) } : {}) }));
  // ASGs referenced by rules/NICs but not exported: create them so the scenario stays loadable.
  const asgNames = new Set(asgs.map((a) => a.name.toLowerCase()));
  const referencedAsgs = [
    ...nics.flatMap((n) => n.asgs ?? []),
    ...nsgs.flatMap((n) => (n.securityRules ?? []).flatMap((r) => [...(r.sourceApplicationSecurityGroups ?? []), ...(r.destinationApplicationSecurityGroups ?? [])])),
  ];
  const nicPlacement = nics[0] ?? vnets[0];
  for (const a of referencedAsgs)
    if (!asgNames.has(a.toLowerCase())) {
      asgNames.add(a.toLowerCase());
      asgs.push({ name: a, subscription: nicPlacement?.subscription, resourceGroup: nicPlacement?.resourceGroup, location: nicPlacement?.location } as (typeof asgs)[number]);
      notes.push(`ASG ${a} is referenced but was not exported; created without a GUID`);
    }

  // AVNM
  type Mgr = NonNullable<ScenarioInput['networkManagers']>[number];
  const managers = new Map<string, Mgr>();
  const mgrKey = (id: string) => (parentName(id, 'networkManagers') ?? '').toLowerCase();
  for (const { o } of of(T.manager))
    managers.set(String(o.name).toLowerCase(), {
      name: str(o.name) as string,
      ...track(placement(o)),
      ...(str(o.resourceGuid) ? { resourceGuid: str(o.resourceGuid) } : {}),
      networkGroups: [],
      securityAdminConfigurations: [],
    });
  const managerFor = (id: string): Mgr => {
    const k = mgrKey(id);
    let m = managers.get(k);
    if (!m) {
      const p = parseResourceId(id);
      m = { name: parentName(id, 'networkManagers') as string, subscription: p?.subscription, resourceGroup: p?.resourceGroup, networkGroups: [], securityAdminConfigurations: [] };
      if (p?.subscription) subscriptions.add(p.subscription.toLowerCase());
      managers.set(k, m);
      notes.push(`network manager ${m.name} was not exported; created from its children (set its location if needed)`);
    }
    return m;
  };
  for (const { o } of of(T.group)) {
    const m = managerFor(str(o.id) as string);
    m.networkGroups!.push({ name: str(o.name) as string, ...(str(o.resourceGuid) ? { resourceGuid: str(o.resourceGuid) } : {}), members: [] });
  }
  for (const { o } of of(T.member)) {
    const id = str(o.id) as string;
    const m = managerFor(id);
    const gName = parentName(id, 'networkGroups');
    let g = m.networkGroups!.find((x) => x.name.toLowerCase() === gName?.toLowerCase());
    if (!g) {
      g = { name: gName as string, members: [] };
      m.networkGroups!.push(g);
    }
    const member = nameFromId(str(o.resourceId));
    if (member) g.members!.push(member);
  }
  type Cfg = NonNullable<Mgr['securityAdminConfigurations']>[number];
  const configFor = (id: string): Cfg => {
    const m = managerFor(id);
    const cName = parentName(id, 'securityAdminConfigurations') as string;
    let c = m.securityAdminConfigurations!.find((x) => x.name.toLowerCase() === cName.toLowerCase());
    if (!c) {
      c = { name: cName, ruleCollections: [] };
      m.securityAdminConfigurations!.push(c);
    }
    return c;
  };
  for (const { o } of of(T.config)) {
    const c = configFor(str(o.id) as string);
    if (str(o.resourceGuid)) c.resourceGuid = str(o.resourceGuid);
    const apply = strs(o.applyOnNetworkIntentPolicyBasedServices);
    if (apply.length) c.applyOnNetworkIntentPolicyBasedServices = apply as Cfg['applyOnNetworkIntentPolicyBasedServices'];
  }
  type Coll = NonNullable<Cfg['ruleCollections']>[number];
  const collectionFor = (id: string): Coll => {
    const c = configFor(id);
    const rcName = parentName(id, 'ruleCollections') as string;
    let rc = c.ruleCollections!.find((x) => x.name.toLowerCase() === rcName.toLowerCase());
    if (!rc) {
      rc = { name: rcName, appliesToGroups: [], rules: [] };
      c.ruleCollections!.push(rc);
    }
    return rc;
  };
  for (const { o } of of(T.collection)) {
    const rc = collectionFor(str(o.id) as string);
    if (str(o.resourceGuid)) rc.resourceGuid = str(o.resourceGuid);
    rc.appliesToGroups = arr(o.appliesToGroups)
      .filter(isObj)
      .map((g) => nameFromId(str(g.networkGroupId)))
      .filter((x): x is string => !!x);
  }
  for (const { o } of of(T.adminRule)) {
    const rc = collectionFor(str(o.id) as string);
    const addr = (v: unknown) =>
      arr(v)
        .filter(isObj)
        .map((a) => ({ addressPrefix: str(a.addressPrefix) as string, addressPrefixType: str(a.addressPrefixType) ?? 'IPPrefix' }))
        .filter((a) => a.addressPrefix);
    rc.rules!.push({
      name: str(o.name) as string,
      ...(str(o.description) ? { description: str(o.description) } : {}),
      ...(str(o.resourceGuid) ? { resourceGuid: str(o.resourceGuid) } : {}),
      priority: Number(o.priority),
      direction: str(o.direction) as string,
      access: str(o.access) as string,
      protocol: str(o.protocol) as string,
      sources: addr(o.sources),
      destinations: addr(o.destinations),
      sourcePortRanges: strs(o.sourcePortRanges),
      destinationPortRanges: strs(o.destinationPortRanges),
    } as NonNullable<Coll['rules']>[number]);
  }

  // Flow logs (+ the storage accounts they write to)
  const storage = new Map<string, NonNullable<ScenarioInput['storageAccounts']>[number]>();
  const flowLogs: NonNullable<ScenarioInput['flowLogs']> = [];
  for (const { o, file } of of(T.flowLog)) {
    const id = str(o.id) as string;
    const target = str(o.targetResourceId);
    const storageId = str(o.storageId);
    const tp = target ? parseResourceId(target) : null;
    const sp = storageId ? parseResourceId(storageId) : null;
    if (!tp || !sp) {
      notes.push(`${file}: flow log ${String(o.name)} skipped (needs targetResourceId and storageId)`);
      continue;
    }
    const last = tp.segments[tp.segments.length - 1][0].toLowerCase();
    const scope = last === 'subnets' ? 'subnet' : last === 'virtualnetworks' ? 'vnet' : last === 'networkinterfaces' ? 'nic' : last === 'networksecuritygroups' ? 'nsg' : undefined;
    if (!scope) {
      notes.push(`${file}: flow log ${String(o.name)} skipped (target type ${last} not modelled)`);
      continue;
    }
    const targetName = scope === 'subnet' ? `${tp.segments[0][1]}/${tp.segments[1][1]}` : tp.segments[0][1];
    const accountName = resourceName(storageId as string);
    if (!storage.has(accountName.toLowerCase())) {
      storage.set(accountName.toLowerCase(), { name: accountName, subscription: sp.subscription, resourceGroup: sp.resourceGroup, location: str(o.location) });
      subscriptions.add(sp.subscription.toLowerCase());
    }
    const fmt = isObj(o.format) ? o.format : {};
    const ta = isObj(o.flowAnalyticsConfiguration) && isObj(o.flowAnalyticsConfiguration.networkWatcherFlowAnalyticsConfiguration) ? o.flowAnalyticsConfiguration.networkWatcherFlowAnalyticsConfiguration : undefined;
    const retention = isObj(o.retentionPolicy) ? o.retentionPolicy : undefined;
    const own = parseResourceId(id);
    if (own?.subscription) subscriptions.add(own.subscription.toLowerCase());
    flowLogs.push({
      name: str(o.name)?.split('/').pop() as string,
      scope,
      target: targetName,
      enabled: boolOr(o.enabled, true),
      storageAccount: accountName,
      subscription: own?.subscription,
      ...(str(o.location) ? { location: str(o.location) } : {}),
      networkWatcher: { name: parentName(id, 'networkWatchers'), resourceGroup: own?.resourceGroup ?? 'NetworkWatcherRG' },
      ...(fmt.version === 1 || fmt.version === 2 ? { version: fmt.version } : {}),
      ...(str(o.enabledFilteringCriteria) ? { enabledFilteringCriteria: str(o.enabledFilteringCriteria) } : {}),
      ...(str(o.recordTypes) ? { recordTypes: str(o.recordTypes) } : {}),
      ...(retention && retention.enabled === true && typeof retention.days === 'number' ? { retentionDays: retention.days } : {}),
      ...(ta && ta.enabled === true
        ? { trafficAnalytics: { enabled: true, intervalMinutes: ta.trafficAnalyticsInterval === 10 ? 10 : 60, ...(str(ta.workspaceId) ? { workspaceId: str(ta.workspaceId) } : {}) } }
        : {}),
    } as NonNullable<ScenarioInput['flowLogs']>[number]);
  }

  const subs = [...subscriptions].map((id) => ({ id }));
  if (subs.length === 0) throw new ScenarioError('no Azure resources with IDs found', { file: label });
  const scenario: ScenarioInput = {
    version: 1,
    name: `imported from ${label}`,
    subscriptions: subs,
    vnets,
    nsgs,
    asgs,
    nics,
    networkManagers: [...managers.values()],
    privateEndpoints,
    storageAccounts: [...storage.values()],
    flowLogs,
  };
  // Placement may be missing on synthesized resources; fall back to the first VNet's.
  const first = vnets[0];
  if (first) scenario.defaults = { subscription: first.subscription, resourceGroup: first.resourceGroup, location: first.location };
  const loaded = validateScenario(scenario, { file: label });
  const counts: Record<string, number> = {};
  for (const [t, list] of byType) counts[t] = list.length;
  return { scenario, loaded, ignored, notes, counts };
}

/** NSG rule in the scenario's (ARM) shape; empty lists and ignored read-only fields dropped. */
function importSecurityRule(r: Json) {
  const out: Record<string, unknown> = {
    name: r.name,
    priority: r.priority,
    direction: r.direction,
    access: r.access,
    protocol: r.protocol,
  };
  if (str(r.description)) out.description = r.description;
  for (const side of ['source', 'destination'] as const) {
    const asgs = arr(r[`${side}ApplicationSecurityGroups`]).map(idOf).filter((x): x is string => !!x).map(resourceName);
    const prefixes = strs(r[`${side}AddressPrefixes`]);
    if (asgs.length) out[`${side}ApplicationSecurityGroups`] = asgs;
    else if (prefixes.length) out[`${side}AddressPrefixes`] = prefixes;
    else if (str(r[`${side}AddressPrefix`])) out[`${side}AddressPrefix`] = r[`${side}AddressPrefix`];
    const ports = strs(r[`${side}PortRanges`]);
    if (ports.length) out[`${side}PortRanges`] = ports;
    else if (str(r[`${side}PortRange`])) out[`${side}PortRange`] = r[`${side}PortRange`];
  }
  return out as NonNullable<NonNullable<ScenarioInput['nsgs']>[number]['securityRules']>[number];
}
