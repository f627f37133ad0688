/**
 * The address index: which resource an IPv4 address belongs to (NIC private or public IP, private
 * endpoint, external host, Azure platform address), and which VNet/subnet holds it. Also resolves
 * endpoint references used by traffic patterns and `flowlens verify` (VM, NIC, private endpoint or
 * external host names, or a literal IP).
 *
 * Address spaces of VNets that are not peered may overlap; lookups then take an optional VNet to
 * prefer, and otherwise return the first declared owner.
 */
import { parseIpv4, parseIpv4Cidr, isIpv4, type Ipv4Range } from './ip.js';
import type { Scenario } from './schema.js';

export const AZURE_HOST_IP = '168.63.129.16';
export const AZURE_IMDS_IP = '169.254.169.254';

export type EndpointKind = 'nic' | 'nicPublicIp' | 'privateEndpoint' | 'externalHost' | 'platform' | 'vnetAddress' | 'unknown';

export interface Endpoint {
  kind: EndpointKind;
  ip: string;
  ipNumber: number;
  /** Index into `scenario.nics` for `nic` / `nicPublicIp`. */
  nic?: number;
  /** For `nicPublicIp`: the NIC's primary private IP (what NSGs see after DNAT). */
  privateIp?: string;
  /** Index into `scenario.privateEndpoints`. */
  privateEndpoint?: number;
  /** Index into `scenario.externalHosts`. */
  externalHost?: number;
  /** Index into `scenario.vnets` and the subnet name, when the address lies in a VNet. */
  vnet?: number;
  subnet?: string;
}

export interface AddressIndex {
  /** Exact private IPs (NICs and private endpoints) → owners, in declaration order. */
  readonly exact: Map<number, Endpoint[]>;
  /** NIC public IPs. */
  readonly publicIps: Map<number, Endpoint>;
  readonly vnetRanges: { vnet: number; range: Ipv4Range }[];
  readonly subnetRanges: { vnet: number; subnet: string; range: Ipv4Range }[];
  readonly externalRanges: { host: number; range: Ipv4Range }[];
}

export function buildAddressIndex(s: Scenario): AddressIndex {
  const vnetIndex = new Map(s.vnets.map((v, i) => [v.name.toLowerCase(), i]));
  const exact = new Map<number, Endpoint[]>();
  const add = (e: Endpoint) => {
    const list = exact.get(e.ipNumber);
    if (list) list.push(e);
    else exact.set(e.ipNumber, [e]);
  };
  const publicIps = new Map<number, Endpoint>();
  s.nics.forEach((nic, i) => {
    const vnet = vnetIndex.get(nic.vnet.toLowerCase());
    for (const ip of nic.privateIps) add({ kind: 'nic', ip, ipNumber: parseIpv4(ip), nic: i, vnet, subnet: nic.subnet });
    if (nic.publicIp) {
      const n = parseIpv4(nic.publicIp.ipAddress);
      publicIps.set(n, { kind: 'nicPublicIp', ip: nic.publicIp.ipAddress, ipNumber: n, nic: i, privateIp: nic.privateIps[0], vnet, subnet: nic.subnet });
    }
  });
  s.privateEndpoints.forEach((pe, i) =>
    add({ kind: 'privateEndpoint', ip: pe.ip, ipNumber: parseIpv4(pe.ip), privateEndpoint: i, vnet: vnetIndex.get(pe.vnet.toLowerCase()), subnet: pe.subnet }),
  );
  const vnetRanges: AddressIndex['vnetRanges'] = [];
  const subnetRanges: AddressIndex['subnetRanges'] = [];
  s.vnets.forEach((v, vi) => {
    for (const p of v.addressSpace) {
      const r = parseIpv4Cidr(p);
      if (r) vnetRanges.push({ vnet: vi, range: r });
    }
    for (const sn of v.subnets)
      for (const p of sn.addressPrefixes) {
        const r = parseIpv4Cidr(p);
        if (r) subnetRanges.push({ vnet: vi, subnet: sn.name, range: r });
      }
  });
  const externalRanges: AddressIndex['externalRanges'] = [];
  s.externalHosts.forEach((h, hi) => {
    for (const p of h.addresses) {
      const r = parseIpv4Cidr(p);
      if (r) externalRanges.push({ host: hi, range: r });
    }
  });
  return { exact, publicIps, vnetRanges, subnetRanges, externalRanges };
}

/** What owns `ip`; `preferVnet` disambiguates overlapping private spaces. */
export function lookupAddress(index: AddressIndex, ip: string | number, preferVnet?: number): Endpoint {
  const n = typeof ip === 'number' ? ip : parseIpv4(ip);
  const text = typeof ip === 'string' ? ip : `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  const owners = index.exact.get(n);
  if (owners && owners.length > 0) {
    return (preferVnet !== undefined && owners.find((o) => o.vnet === preferVnet)) || owners[0];
  }
  const pub = index.publicIps.get(n);
  if (pub) return pub;
  if (text === AZURE_HOST_IP || text === AZURE_IMDS_IP) return { kind: 'platform', ip: text, ipNumber: n };
  const ext = index.externalRanges.find((e) => n >= e.range.first && n <= e.range.last);
  if (ext) return { kind: 'externalHost', ip: text, ipNumber: n, externalHost: ext.host };
  const subnets = index.subnetRanges.filter((e) => n >= e.range.first && n <= e.range.last);
  const sn = (preferVnet !== undefined && subnets.find((x) => x.vnet === preferVnet)) || subnets[0];
  if (sn) return { kind: 'vnetAddress', ip: text, ipNumber: n, vnet: sn.vnet, subnet: sn.subnet };
  const vr = index.vnetRanges.filter((e) => n >= e.range.first && n <= e.range.last);
  const v = (preferVnet !== undefined && vr.find((x) => x.vnet === preferVnet)) || vr[0];
  if (v) return { kind: 'vnetAddress', ip: text, ipNumber: n, vnet: v.vnet };
  return { kind: 'unknown', ip: text, ipNumber: n };
}

/**
 * Resolves a reference (VM name, NIC name, private endpoint name, external host name, or IPv4)
 * to an endpoint; `null` when nothing matches. VM names resolve to the VM's first NIC.
 */
export function resolveEndpointRef(s: Scenario, index: AddressIndex, ref: string): Endpoint | null {
  if (isIpv4(ref)) return lookupAddress(index, ref);
  const l = ref.toLowerCase();
  const vnetIndex = (name: string) => s.vnets.findIndex((v) => v.name.toLowerCase() === name.toLowerCase());
  let i = s.nics.findIndex((n) => n.name.toLowerCase() === l);
  if (i < 0) i = s.nics.findIndex((n) => n.vm?.toLowerCase() === l);
  if (i >= 0) {
    const nic = s.nics[i];
    return { kind: 'nic', ip: nic.privateIps[0], ipNumber: parseIpv4(nic.privateIps[0]), nic: i, vnet: vnetIndex(nic.vnet), subnet: nic.subnet };
  }
  i = s.privateEndpoints.findIndex((p) => p.name.toLowerCase() === l);
  if (i >= 0) {
    const pe = s.privateEndpoints[i];
    return { kind: 'privateEndpoint', ip: pe.ip, ipNumber: parseIpv4(pe.ip), privateEndpoint: i, vnet: vnetIndex(pe.vnet), subnet: pe.subnet };
  }
  i = s.externalHosts.findIndex((h) => h.name.toLowerCase() === l);
  if (i >= 0) {
    const first = s.externalHosts[i].addresses[0];
    const r = parseIpv4Cidr(first);
    if (!r) return null;
    // A prefix names a site; its first usable address stands for it.
    const n = first.includes('/') && r.last > r.first ? r.first + 1 : r.first;
    const ip = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    return { kind: 'externalHost', ip, ipNumber: n, externalHost: i };
  }
  return null;
}
