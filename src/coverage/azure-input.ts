/**
 * Interim reader of Azure JSON exports for `coverage` / `migrate <az-json-dir>`.
 *
 * The model stage owns `flowlens import azure` (issue 3); until its library function exists this
 * adapter turns a folder of `az … list/show -o json` output (flattened objects) or ARM/REST objects
 * (nested under `properties`, `{ "value": [...] }` lists, template `resources`) into a scenario
 * input and validates it with the model's own `validateScenario`, so every semantic check and
 * error location is the model's. Dispatch is on each object's `type`; file names do not matter.
 * Types it does not read are counted in `ignored`. AVNM resources are not read here.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ScenarioError } from '../errors.js';
import {
  parseResourceId,
  resourceName,
  validateScenario,
  type Scenario,
  type ServiceTagSet,
} from '../model/index.js';

type Obj = Record<string, unknown>;

export interface AzureFolderImport {
  scenario: Scenario;
  serviceTags?: ServiceTagSet;
  /** `type` → count of objects this reader skipped. */
  ignored: Record<string, number>;
}

function jsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...jsonFiles(p));
    else if (name.toLowerCase().endsWith('.json')) out.push(p);
  }
  return out;
}

/** Flattens `properties` (ARM/REST shape) onto the object (CLI shape wins on conflicts). */
function flat(o: Obj): Obj {
  const props = o.properties && typeof o.properties === 'object' ? (o.properties as Obj) : {};
  return { ...props, ...o };
}

function objectsIn(value: unknown): Obj[] {
  if (Array.isArray(value)) return value.flatMap(objectsIn);
  if (!value || typeof value !== 'object') return [];
  const o = value as Obj;
  if (Array.isArray(o.value) && !o.type) return objectsIn(o.value);
  if (Array.isArray(o.resources) && !o.type) return objectsIn(o.resources);
  return [o];
}

const idOf = (ref: unknown): string | undefined =>
  ref && typeof ref === 'object' ? ((ref as Obj).id as string | undefined) : undefined;
const nameOf = (ref: unknown): string | undefined => {
  const id = idOf(ref);
  return id ? resourceName(id) : undefined;
};
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]).map(flat) : []);
const nonEmpty = <T>(v: T[] | undefined): T[] | undefined => (v && v.length ? v : undefined);

function placement(o: Obj): { subscription?: string; resourceGroup?: string; location?: string } {
  const p = typeof o.id === 'string' ? parseResourceId(o.id) : null;
  return {
    subscription: p?.subscription,
    resourceGroup: (o.resourceGroup as string | undefined) ?? p?.resourceGroup,
    location: o.location as string | undefined,
  };
}

function rule(r: Obj): Obj {
  const pick: Obj = {
    name: r.name,
    priority: r.priority,
    direction: r.direction,
    access: r.access,
    protocol: r.protocol,
  };
  for (const k of [
    'description',
    'sourceAddressPrefix',
    'sourcePortRange',
    'destinationAddressPrefix',
    'destinationPortRange',
  ])
    if (typeof r[k] === 'string') pick[k] = r[k];
  for (const k of [
    'sourceAddressPrefixes',
    'sourcePortRanges',
    'destinationAddressPrefixes',
    'destinationPortRanges',
  ]) {
    const v = nonEmpty(r[k] as string[] | undefined);
    if (v) pick[k] = v;
  }
  const src = nonEmpty(list(r.sourceApplicationSecurityGroups).map((a) => resourceName(a.id as string)));
  const dst = nonEmpty(list(r.destinationApplicationSecurityGroups).map((a) => resourceName(a.id as string)));
  if (src) pick.sourceApplicationSecurityGroups = src;
  if (dst) pick.destinationApplicationSecurityGroups = dst;
  return pick;
}

export function importAzureFolder(dir: string): AzureFolderImport {
  const objects: Obj[] = [];
  for (const f of jsonFiles(dir)) {
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(f, 'utf8'));
    } catch (err) {
      throw new ScenarioError(`not JSON: ${(err as Error).message}`, { file: f });
    }
    objects.push(...objectsIn(data).map(flat));
  }
  const byType = (t: string) => objects.filter((o) => String(o.type ?? '').toLowerCase() === t.toLowerCase());
  const known = [
    'Microsoft.Network/virtualNetworks',
    'Microsoft.Network/networkSecurityGroups',
    'Microsoft.Network/networkInterfaces',
    'Microsoft.Storage/storageAccounts',
    'Microsoft.Network/networkWatchers/flowLogs',
    'Microsoft.Network/applicationSecurityGroups',
  ];
  const ignored: Record<string, number> = {};
  for (const o of objects) {
    const t = String(o.type ?? '(no type)');
    if (!known.some((k) => k.toLowerCase() === t.toLowerCase())) ignored[t] = (ignored[t] ?? 0) + 1;
  }

  const peered = new Set<string>();
  const vnets = byType('Microsoft.Network/virtualNetworks').map((v) => {
    const name = v.name as string;
    const enc = v.encryption as Obj | undefined;
    const peerings = list(v.virtualNetworkPeerings)
      .map((p) => ({
        name: p.name as string,
        remoteVnet: nameOf(p.remoteVirtualNetwork) ?? '',
        allowVirtualNetworkAccess: p.allowVirtualNetworkAccess !== false,
      }))
      .filter((p) => {
        // Azure lists a peering on both VNets; the scenario declares it once.
        const key = [name.toLowerCase(), p.remoteVnet.toLowerCase()].sort().join('|');
        if (peered.has(key)) return false;
        peered.add(key);
        return true;
      });
    return {
      name,
      ...placement(v),
      resourceGuid: v.resourceGuid,
      addressSpace: ((v.addressSpace as Obj | undefined)?.addressPrefixes as string[] | undefined) ?? [],
      subnets: list(v.subnets).map((s) => ({
        name: s.name,
        addressPrefixes: nonEmpty(s.addressPrefixes as string[] | undefined) ?? [s.addressPrefix],
        ...(nameOf(s.networkSecurityGroup) ? { nsg: nameOf(s.networkSecurityGroup) } : {}),
      })),
      peerings,
      ...(enc
        ? {
            encryption: { enabled: enc.enabled === true, enforcement: enc.enforcement ?? 'AllowUnencrypted' },
          }
        : {}),
    };
  });

  const nsgs = byType('Microsoft.Network/networkSecurityGroups').map((n) => ({
    name: n.name,
    ...placement(n),
    resourceGuid: n.resourceGuid,
    securityRules: list(n.securityRules).map(rule),
  }));
  const asgs = byType('Microsoft.Network/applicationSecurityGroups').map((a) => ({
    name: a.name,
    ...placement(a),
  }));

  const nics = byType('Microsoft.Network/networkInterfaces').map((n) => {
    const ipcs = list(n.ipConfigurations);
    const primary = ipcs.find((c) => c.primary === true) ?? ipcs[0] ?? {};
    const subnetId = idOf(primary.subnet) ?? '';
    const seg = parseResourceId(subnetId)?.segments ?? [];
    const vm = nameOf(n.virtualMachine);
    const asgNames = [
      ...new Set(
        ipcs.flatMap((c) => list(c.applicationSecurityGroups).map((a) => resourceName(a.id as string))),
      ),
    ];
    return {
      name: n.name,
      ...placement(n),
      ...(vm ? { vm } : {}),
      vnet: seg[0]?.[1],
      subnet: seg[1]?.[1],
      privateIps: [primary, ...ipcs.filter((c) => c !== primary)]
        .map((c) => c.privateIPAddress)
        .filter((ip) => typeof ip === 'string'),
      ...(typeof n.macAddress === 'string' && n.macAddress ? { mac: n.macAddress } : {}),
      ...(nameOf(n.networkSecurityGroup) ? { nsg: nameOf(n.networkSecurityGroup) } : {}),
      asgs: asgNames,
      acceleratedNetworking: n.enableAcceleratedNetworking === true,
    };
  });

  const storage = new Map<string, Obj>();
  for (const s of byType('Microsoft.Storage/storageAccounts'))
    storage.set(String(s.name).toLowerCase(), { name: s.name, ...placement(s) });

  const flowLogs = byType('Microsoft.Network/networkWatchers/flowLogs').map((f) => {
    const target = String(f.targetResourceId ?? '');
    const t = parseResourceId(target);
    const segs = t?.segments ?? [];
    const kind = segs[0]?.[0]?.toLowerCase();
    const scope =
      kind === 'networksecuritygroups'
        ? 'nsg'
        : kind === 'networkinterfaces'
          ? 'nic'
          : segs.length > 1
            ? 'subnet'
            : 'vnet';
    const storageId = String(f.storageId ?? '');
    const sp = parseResourceId(storageId);
    const storageName = resourceName(storageId);
    if (!storage.has(storageName.toLowerCase()))
      storage.set(storageName.toLowerCase(), {
        name: storageName,
        subscription: sp?.subscription,
        resourceGroup: sp?.resourceGroup,
        location: f.location,
      });
    const watcher = parseResourceId(String(f.id ?? ''));
    const ret = f.retentionPolicy as Obj | undefined;
    const ta = ((f.flowAnalyticsConfiguration as Obj | undefined)?.networkWatcherFlowAnalyticsConfiguration ??
      undefined) as Obj | undefined;
    const fmt = f.format as Obj | undefined;
    return {
      name: f.name,
      scope,
      target: scope === 'subnet' ? `${segs[0][1]}/${segs[1][1]}` : (segs[0]?.[1] ?? target),
      enabled: f.enabled !== false,
      storageAccount: storageName,
      subscription: watcher?.subscription,
      location: f.location,
      networkWatcher: {
        name: watcher?.segments[0]?.[1],
        resourceGroup: watcher?.resourceGroup ?? 'NetworkWatcherRG',
      },
      ...(scope === 'nsg' ? { version: fmt?.version === 1 ? 1 : 2 } : {}),
      ...(typeof f.enabledFilteringCriteria === 'string' && f.enabledFilteringCriteria
        ? { enabledFilteringCriteria: f.enabledFilteringCriteria }
        : {}),
      ...(typeof f.recordTypes === 'string' && f.recordTypes ? { recordTypes: f.recordTypes } : {}),
      ...(ret?.enabled ? { retentionDays: Number(ret.days ?? 0) } : {}),
      ...(ta?.enabled
        ? {
            trafficAnalytics: {
              enabled: true,
              intervalMinutes: ta.trafficAnalyticsInterval === 10 ? 10 : 60,
              workspaceId: (ta.workspaceResourceId ?? ta.workspaceId) as string | undefined,
            },
          }
        : {}),
    };
  });

  const subs = new Set<string>();
  for (const o of objects) {
    const p = typeof o.id === 'string' ? parseResourceId(o.id) : null;
    if (p) subs.add(p.subscription.toLowerCase());
  }
  if (objects.length === 0)
    throw new ScenarioError('no Azure resources found (expected JSON files from `az … -o json`)', {
      file: dir,
    });
  const first = vnets[0] ?? nsgs[0];
  const data = {
    version: 1,
    name: dir.split('/').filter(Boolean).pop(),
    defaults: { subscription: [...subs][0], resourceGroup: first?.resourceGroup, location: first?.location },
    subscriptions: [...subs].map((id) => ({ id })),
    vnets,
    nsgs,
    asgs,
    nics,
    storageAccounts: [...storage.values()],
    flowLogs,
  };
  const loaded = validateScenario(data, { file: dir });
  return { scenario: loaded.scenario, serviceTags: loaded.serviceTags, ignored };
}
