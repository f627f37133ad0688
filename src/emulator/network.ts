/**
 * The emulator's view of a scenario: NICs with their addresses, NSGs, encryption capability and
 * the one VNet flow log that applies to each (precedence NIC > subnet > VNet), NSG flow logs per
 * NSG, and endpoint resolution for traffic patterns. Built once per run from the model's
 * `Scenario`; everything per flow afterwards is a map lookup.
 */
import { ScenarioError } from '../errors.js';
import {
  flowLogId,
  nicId,
  nicSupportsEncryption,
  nsgId,
  stableGuid,
  stableMac,
  subnetId,
  vnetId,
  type FlowLog,
  type Nic,
  type PrivateEndpoint,
  type Scenario,
  type Vnet,
} from '../model/index.js';
import { compileFilter, compileRecordTypes, ipv4ToNumber, type FlowFilter } from './filter.js';
import type { BehaviourProfile } from './profiles.js';

export interface EmuVnetFlowLog {
  name: string;
  scope: 'vnet' | 'subnet' | 'nic';
  /** ARM ID in Azure's casing for `targetResourceID`. */
  targetResourceId: string;
  /** `flowLogResourceID` as Azure writes it: all upper case. */
  resourceIdUpper: string;
  guid: string;
  subscription: string;
  watcherName: string;
  watcherResourceGroup: string;
  storageAccount: string;
  filter: FlowFilter;
  recordTypes: ReadonlySet<string>;
  /** No filter and all record types: every flow is recorded (lets the recorder skip the filter). */
  acceptsAll: boolean;
}

export interface EmuNsgFlowLog {
  name: string;
  nsgName: string;
  /** NSG resource ID as written in records and blob names: upper case. */
  resourceIdUpper: string;
  systemId: string;
  version: 1 | 2;
  storageAccount: string;
}

export interface EmuNic {
  idx: number;
  name: string;
  vm?: string;
  id: string;
  /** 12 uppercase hex digits. */
  mac: string;
  ip: string;
  vnet: Vnet;
  subnetName: string;
  nicNsg?: string;
  subnetNsg?: string;
  host?: string;
  encryptionCapable: boolean;
  publicIp?: string;
  /** The VNet flow log that records this NIC, after scope precedence; null when none. */
  vnetFlowLog: EmuVnetFlowLog | null;
}

export type Endpoint =
  | { kind: 'nic'; ip: string; nic: EmuNic }
  | { kind: 'privateEndpoint'; ip: string; pe: PrivateEndpoint }
  /** `sampled`: the address was drawn from a prefix for this connection (decisions are not cached). */
  | { kind: 'external'; ip: string; label: string; azure: boolean; sampled?: boolean };

export interface EmuNetwork {
  scenario: Scenario;
  nics: EmuNic[];
  nicByIp: Map<string, EmuNic>;
  peByIp: Map<string, PrivateEndpoint>;
  vnetFlowLogs: EmuVnetFlowLog[];
  /** Enabled NSG flow logs by NSG name (lower case). */
  nsgFlowLogs: Map<string, EmuNsgFlowLog>;
  /** All addresses a traffic endpoint reference stands for (a host name may be a prefix list). */
  resolve(ref: string, where: string): EndpointSet;
}

/** A reference resolved to candidates; `pick` chooses one per connection. */
export interface EndpointSet {
  ref: string;
  pick(rand: () => number): Endpoint;
  /** The first candidate, for deterministic single-address uses. */
  first: Endpoint;
  /**
   * For external hosts: the address list `pick` chooses from (one `rand()` for the index, then one
   * more for an address inside a CIDR), so the engine can draw the same numbers without objects.
   */
  host?: { addresses: readonly string[]; label: string; azure: boolean };
}

export function numberToIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Picks a host address inside a CIDR (skipping network and broadcast addresses when possible). */
const prefixCache = new Map<string, { start: number; size: number } | string>();

export function addressInPrefix(prefix: string, rand: () => number): string {
  const parsed = parsedPrefix(prefix);
  if (typeof parsed === 'string') return parsed;
  return numberToIpv4(addressNumberAt(parsed, rand()));
}

/** A prefix as `{start, size}`, or the text itself when it is not an IPv4 CIDR (used as is). */
export function parsedPrefix(prefix: string): { start: number; size: number } | string {
  let parsed = prefixCache.get(prefix);
  if (parsed === undefined) {
    const [addr, bitsText] = prefix.split('/');
    const base = ipv4ToNumber(addr);
    if (base === undefined || bitsText === undefined) parsed = addr;
    else {
      const size = 2 ** (32 - Number(bitsText));
      parsed = { start: Math.floor(base / size) * size, size };
    }
    if (prefixCache.size < 10_000) prefixCache.set(prefix, parsed);
  }
  return parsed;
}

/** The host address of a parsed prefix for the uniform draw `u` in [0, 1) (one draw per address). */
export function addressNumberAt(p: { start: number; size: number }, u: number): number {
  if (p.size <= 2) return p.start + Math.floor(u * p.size);
  return p.start + 1 + Math.floor(u * (p.size - 2));
}

export function buildNetwork(scenario: Scenario, profile: BehaviourProfile, startMs: number): EmuNetwork {
  const vnetByName = new Map(scenario.vnets.map((v) => [v.name.toLowerCase(), v]));
  const lower = (s: string) => s.toLowerCase();
  const vnetLogs: { fl: FlowLog; emu: EmuVnetFlowLog; index: number }[] = [];
  const nsgFlowLogs = new Map<string, EmuNsgFlowLog>();
  const nsgByName = new Map(scenario.nsgs.map((n) => [lower(n.name), n]));

  scenario.flowLogs.forEach((fl, index) => {
    if (!fl.enabled) return;
    const where = `flowLogs[${index}]`;
    const idUpper = flowLogId(fl).toUpperCase();
    if (fl.scope === 'nsg') {
      const nsg = nsgByName.get(lower(fl.target));
      if (!nsg)
        throw new ScenarioError(`NSG flow log "${fl.name}" targets unknown NSG "${fl.target}"`, {
          path: `${where}.target`,
        });
      const createdMs = fl.createdAt ? Date.parse(fl.createdAt) : startMs;
      if (profile.nsgFlowLogCreationCutoff && createdMs >= Date.parse(profile.nsgFlowLogCreationCutoff)) {
        throw new ScenarioError(
          `NSG flow log "${fl.name}": creating NSG flow logs is refused from ${profile.nsgFlowLogCreationCutoff.slice(0, 10)} ` +
            `(profile ${profile.name}); give an earlier createdAt, start earlier, or use a VNet flow log`,
          { path: `${where}.createdAt` },
        );
      }
      nsgFlowLogs.set(lower(nsg.name), {
        name: fl.name,
        nsgName: nsg.name,
        resourceIdUpper: nsgId(nsg).toUpperCase(),
        systemId: nsg.resourceGuid ?? stableGuid(nsgId(nsg)),
        version: fl.version,
        storageAccount: fl.storageAccount,
      });
      return;
    }
    let targetResourceId: string;
    if (fl.scope === 'vnet') {
      const v = vnetByName.get(lower(fl.target));
      if (!v)
        throw new ScenarioError(`flow log "${fl.name}" targets unknown VNet "${fl.target}"`, {
          path: `${where}.target`,
        });
      targetResourceId = vnetId(v);
    } else if (fl.scope === 'subnet') {
      const [vn, sn] = fl.target.split('/');
      const v = vnetByName.get(lower(vn ?? ''));
      if (!v || !sn)
        throw new ScenarioError(
          `flow log "${fl.name}" targets unknown subnet "${fl.target}" (use vnet/subnet)`,
          { path: `${where}.target` },
        );
      targetResourceId = subnetId(v, sn);
    } else {
      const nic = scenario.nics.find((n) => lower(n.name) === lower(fl.target));
      if (!nic)
        throw new ScenarioError(`flow log "${fl.name}" targets unknown NIC "${fl.target}"`, {
          path: `${where}.target`,
        });
      targetResourceId = nicId(nic);
    }
    vnetLogs.push({
      fl,
      index,
      emu: {
        name: fl.name,
        scope: fl.scope,
        targetResourceId,
        resourceIdUpper: idUpper,
        guid: stableGuid(flowLogId(fl)),
        subscription: fl.subscription,
        watcherName: fl.networkWatcher.name,
        watcherResourceGroup: fl.networkWatcher.resourceGroup,
        storageAccount: fl.storageAccount,
        filter: compileFilter(fl.enabledFilteringCriteria, `${where}.enabledFilteringCriteria`),
        recordTypes: compileRecordTypes(fl.recordTypes, `${where}.recordTypes`),
        acceptsAll: !fl.enabledFilteringCriteria?.trim() && compileRecordTypes(fl.recordTypes).size === 4,
      },
    });
  });

  const effectiveLog = (nic: Nic, vnet: Vnet): EmuVnetFlowLog | null => {
    const byScope = (scope: string, target: string) =>
      vnetLogs.find((l) => l.fl.scope === scope && lower(l.fl.target) === lower(target))?.emu;
    return (
      byScope('nic', nic.name) ??
      byScope('subnet', `${vnet.name}/${nic.subnet}`) ??
      byScope('vnet', vnet.name) ??
      null
    );
  };

  const nics: EmuNic[] = scenario.nics.map((nic, idx) => {
    const vnet = vnetByName.get(lower(nic.vnet));
    if (!vnet)
      throw new ScenarioError(`NIC "${nic.name}" is in unknown VNet "${nic.vnet}"`, {
        path: `nics[${idx}].vnet`,
      });
    const subnet = vnet.subnets.find((s) => lower(s.name) === lower(nic.subnet));
    const id = nicId(nic);
    return {
      idx,
      name: nic.name,
      vm: nic.vm,
      id,
      mac: nic.mac ?? stableMac(id),
      ip: nic.privateIps[0],
      vnet,
      subnetName: nic.subnet,
      nicNsg: nic.nsg,
      subnetNsg: subnet?.nsg,
      host: nic.host,
      encryptionCapable: nicSupportsEncryption(nic),
      publicIp: nic.publicIp?.ipAddress,
      vnetFlowLog: effectiveLog(nic, vnet),
    };
  });
  const nicByIp = new Map<string, EmuNic>();
  for (const n of nics) {
    nicByIp.set(n.ip, n);
  }
  const peByIp = new Map(scenario.privateEndpoints.map((p) => [p.ip, p]));
  const nicByName = new Map<string, EmuNic>();
  for (const n of nics) {
    nicByName.set(lower(n.name), n);
    if (n.vm && !nicByName.has(lower(n.vm))) nicByName.set(lower(n.vm), n);
  }
  const peByName = new Map(scenario.privateEndpoints.map((p) => [lower(p.name), p]));
  const hostByName = new Map(scenario.externalHosts.map((h) => [lower(h.name), h]));
  const resolveCache = new Map<string, EndpointSet>();

  const fixed = (ref: string, e: Endpoint): EndpointSet => ({ ref, first: e, pick: () => e });

  const resolve = (ref: string, where: string): EndpointSet => {
    const cached = resolveCache.get(ref);
    if (cached) return cached;
    let set: EndpointSet;
    const key = lower(ref);
    const nic = nicByName.get(key) ?? nicByIp.get(ref);
    const pe = peByName.get(key) ?? peByIp.get(ref);
    const host = hostByName.get(key);
    if (nic) set = fixed(ref, { kind: 'nic', ip: nic.ip, nic });
    else if (pe) set = fixed(ref, { kind: 'privateEndpoint', ip: pe.ip, pe });
    else if (host) {
      const azure = host.kind === 'azurePublic';
      const endpoints = host.addresses.map((a): Endpoint => ({
        kind: 'external',
        ip: a.split('/')[0],
        label: host.name,
        azure,
      }));
      set = {
        ref,
        first: endpoints[0],
        host: { addresses: host.addresses, label: host.name, azure },
        pick: (rand) => {
          const prefix = host.addresses[Math.floor(rand() * host.addresses.length)];
          return prefix.includes('/')
            ? { kind: 'external', ip: addressInPrefix(prefix, rand), label: host.name, azure, sampled: true }
            : { kind: 'external', ip: prefix, label: host.name, azure };
        },
      };
    } else if (ipv4ToNumber(ref) !== undefined)
      set = fixed(ref, { kind: 'external', ip: ref, label: ref, azure: false });
    else
      throw new ScenarioError(
        `unknown endpoint "${ref}" (expected a VM, NIC, private endpoint, external host or IP)`,
        { path: where },
      );
    resolveCache.set(ref, set);
    return set;
  };

  return { scenario, nics, nicByIp, peByIp, vnetFlowLogs: vnetLogs.map((l) => l.emu), nsgFlowLogs, resolve };
}
