/**
 * Defaults resolution and semantic checks: what zod cannot see but Azure would reject (IP outside
 * its subnet, overlapping peered address spaces, duplicate NSG priorities, unknown references …).
 */
import { ScenarioError, type ScenarioLocation } from '../errors.js';
import {
  isCanonicalIpv4Cidr,
  isIpOrCidr,
  isIpv4,
  isIpv6Text,
  formatIpv4,
  parseIpv4,
  parseIpv4Cidr,
  rangeContains,
  rangesOverlap,
  type Ipv4Range,
} from './ip.js';
import { defaultNetworkWatcherName } from './ids.js';
import type { FlowLog, ParsedScenario, Placement, Scenario } from './schema.js';
import { isBuiltinTag, type ServiceTagSet } from './service-tags.js';

export type Locate = (path: readonly (string | number)[]) => ScenarioLocation;

function fail(locate: Locate, path: readonly (string | number)[], reason: string): never {
  throw new ScenarioError(reason, locate(path));
}

/** Fills subscription (as a GUID), resource group and location on every resource. */
export function resolveScenario(raw: ParsedScenario, locate: Locate): Scenario {
  const subByKey = new Map<string, string>();
  for (const s of raw.subscriptions) {
    subByKey.set(s.id.toLowerCase(), s.id);
    if (s.name) subByKey.set(s.name.toLowerCase(), s.id);
  }
  const resolveSub = (value: string | undefined, path: (string | number)[]): string => {
    const v = value ?? raw.defaults.subscription ?? (raw.subscriptions.length === 1 ? raw.subscriptions[0].id : undefined);
    if (v === undefined) fail(locate, path, 'no subscription: set `subscription` or `defaults.subscription`');
    const id = subByKey.get(v.toLowerCase());
    if (id === undefined) fail(locate, [...path, 'subscription'], `unknown subscription "${v}"`);
    return id;
  };
  const need = (value: string | undefined, what: 'resourceGroup' | 'location', path: (string | number)[]): string => {
    const v = value ?? raw.defaults[what];
    if (v === undefined) fail(locate, path, `no ${what}: set \`${what}\` or \`defaults.${what}\``);
    return v;
  };
  const place = <T extends { subscription?: string; resourceGroup?: string; location?: string }>(
    r: T,
    path: (string | number)[],
    fallbackLocation?: string,
  ): Omit<T, 'subscription' | 'resourceGroup' | 'location'> & Placement => ({
    ...r,
    subscription: resolveSub(r.subscription, path),
    resourceGroup: need(r.resourceGroup, 'resourceGroup', path),
    location: r.location ?? fallbackLocation ?? need(undefined, 'location', path),
  });
  const vnets = raw.vnets.map((v, i) => place(v, ['vnets', i]));
  const vnetLocation = new Map(vnets.map((v) => [v.name, v.location]));
  const nics = raw.nics.map((n, i) => place(n, ['nics', i], vnetLocation.get(n.vnet)));
  const nsgs = raw.nsgs.map((n, i) => place(n, ['nsgs', i]));
  const asgs = raw.asgs.map((n, i) => place(n, ['asgs', i]));
  const networkManagers = raw.networkManagers.map((n, i) => place(n, ['networkManagers', i]));
  const privateEndpoints = raw.privateEndpoints.map((n, i) => place(n, ['privateEndpoints', i], vnetLocation.get(n.vnet)));
  const storageAccounts = raw.storageAccounts.map((n, i) => place(n, ['storageAccounts', i]));
  const targetLocation = (scope: string, target: string): string | undefined => {
    if (scope === 'vnet') return vnetLocation.get(target);
    if (scope === 'subnet') return vnetLocation.get(target.split('/')[0]);
    if (scope === 'nic') return nics.find((n) => n.name === target)?.location;
    return nsgs.find((n) => n.name === target)?.location;
  };
  const flowLogs: FlowLog[] = raw.flowLogs.map((f, i) => {
    const location = f.location ?? targetLocation(f.scope, f.target) ?? need(undefined, 'location', ['flowLogs', i]);
    return {
      ...f,
      subscription: resolveSub(f.subscription, ['flowLogs', i]),
      location,
      networkWatcher: {
        name: f.networkWatcher.name ?? defaultNetworkWatcherName(location),
        resourceGroup: f.networkWatcher.resourceGroup,
      },
    };
  });
  return { ...raw, vnets, nics, nsgs, asgs, networkManagers, privateEndpoints, storageAccounts, flowLogs };
}

function canonical(cidr: string): string {
  const r = parseIpv4Cidr(cidr) as Ipv4Range;
  return `${formatIpv4(r.first)}/${cidr.split('/')[1]}`;
}

function uniqueNames(locate: Locate, items: readonly { name: string }[], path: (string | number)[], what: string): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const key = item.name.toLowerCase();
    const prev = seen.get(key);
    if (prev !== undefined) fail(locate, [...path, i, 'name'], `duplicate ${what} name "${item.name}" (also at index ${prev})`);
    seen.set(key, i);
  });
}

/** Azure reserves the first four addresses and the last address of each IPv4 subnet. */
function isReservedInSubnet(ip: number, subnet: Ipv4Range): boolean {
  return ip - subnet.first < 4 || ip === subnet.last;
}

export interface CheckOptions {
  serviceTags?: ServiceTagSet;
  /** False when `serviceTags.files` exist but were not read: unknown tags are then not reported. */
  serviceTagFilesLoaded?: boolean;
}

/** Throws the first problem found as a located `ScenarioError`. */
export function checkScenario(s: Scenario, locate: Locate, options: CheckOptions = {}): void {
  uniqueNames(locate, s.vnets, ['vnets'], 'VNet');
  uniqueNames(locate, s.nsgs, ['nsgs'], 'NSG');
  uniqueNames(locate, s.asgs, ['asgs'], 'ASG');
  uniqueNames(locate, s.nics, ['nics'], 'NIC');
  uniqueNames(locate, s.networkManagers, ['networkManagers'], 'network manager');
  uniqueNames(locate, s.privateEndpoints, ['privateEndpoints'], 'private endpoint');
  uniqueNames(locate, s.externalHosts, ['externalHosts'], 'external host');
  uniqueNames(locate, s.storageAccounts, ['storageAccounts'], 'storage account');
  uniqueNames(locate, s.flowLogs, ['flowLogs'], 'flow log');
  uniqueNames(locate, s.traffic, ['traffic'], 'traffic pattern');

  const nsgNames = new Set(s.nsgs.map((n) => n.name.toLowerCase()));
  const asgNames = new Set(s.asgs.map((n) => n.name.toLowerCase()));
  const vnetByName = new Map(s.vnets.map((v) => [v.name.toLowerCase(), v]));
  const knownTag = (t: string) =>
    isBuiltinTag(t) || options.serviceTags?.has(t.toLowerCase()) === true || options.serviceTagFilesLoaded === false;

  // VNets, subnets, peerings
  const vnetRanges = new Map<string, Ipv4Range[]>();
  const subnetRanges = new Map<string, Ipv4Range[]>();
  s.vnets.forEach((v, vi) => {
    const ranges: Ipv4Range[] = [];
    v.addressSpace.forEach((p, pi) => {
      if (isIpv6Text(p)) return;
      if (!isCanonicalIpv4Cidr(p)) fail(locate, ['vnets', vi, 'addressSpace', pi], `invalid address space "${p}" (expected a CIDR with zero host bits)`);
      const r = parseIpv4Cidr(p) as Ipv4Range;
      ranges.forEach((o) => {
        if (rangesOverlap(o, r)) fail(locate, ['vnets', vi, 'addressSpace', pi], `address space "${p}" overlaps another prefix of the VNet`);
      });
      ranges.push(r);
    });
    vnetRanges.set(v.name.toLowerCase(), ranges);
    uniqueNames(locate, v.subnets, ['vnets', vi, 'subnets'], 'subnet');
    const all: Ipv4Range[] = [];
    v.subnets.forEach((sn, si) => {
      const snRanges: Ipv4Range[] = [];
      sn.addressPrefixes.forEach((p, pi) => {
        const path = ['vnets', vi, 'subnets', si, 'addressPrefixes', pi];
        if (isIpv6Text(p)) return;
        if (!isCanonicalIpv4Cidr(p)) fail(locate, path, `invalid subnet prefix "${p}" (expected a CIDR with zero host bits)`);
        const r = parseIpv4Cidr(p) as Ipv4Range;
        if (!ranges.some((vr) => rangeContains(vr, r))) fail(locate, path, `subnet prefix ${p} is outside the VNet address space ${v.addressSpace.join(', ')}`);
        if (all.some((o) => rangesOverlap(o, r))) fail(locate, path, `subnet prefix ${p} overlaps another subnet of VNet ${v.name}`);
        all.push(r);
        snRanges.push(r);
      });
      if (sn.nsg !== undefined && !nsgNames.has(sn.nsg.toLowerCase())) fail(locate, ['vnets', vi, 'subnets', si, 'nsg'], `unknown NSG "${sn.nsg}"`);
      subnetRanges.set(`${v.name}/${sn.name}`.toLowerCase(), snRanges);
    });
  });
  s.vnets.forEach((v, vi) => {
    v.peerings.forEach((p, pi) => {
      const path = ['vnets', vi, 'peerings', pi, 'remoteVnet'];
      const remote = vnetByName.get(p.remoteVnet.toLowerCase());
      if (!remote) fail(locate, path, `unknown VNet "${p.remoteVnet}"`);
      if (remote.name === v.name) fail(locate, path, 'a VNet cannot peer with itself');
      for (const a of vnetRanges.get(v.name.toLowerCase()) ?? [])
        for (const b of vnetRanges.get(remote.name.toLowerCase()) ?? [])
          if (rangesOverlap(a, b)) fail(locate, path, `peered VNets ${v.name} and ${remote.name} have overlapping address spaces`);
    });
  });

  // IP uniqueness per VNet
  const ipOwner = new Map<string, string>();
  const claimIp = (vnet: string, ip: string, owner: string, path: (string | number)[]) => {
    const key = `${vnet.toLowerCase()}|${ip}`;
    const prev = ipOwner.get(key);
    if (prev !== undefined) fail(locate, path, `IP ${ip} is already used by ${prev} in VNet ${vnet}`);
    ipOwner.set(key, owner);
  };
  const checkIpInSubnet = (vnet: string, subnet: string, ip: string, path: (string | number)[], base: (string | number)[]) => {
    if (!vnetByName.has(vnet.toLowerCase())) fail(locate, [...base, 'vnet'], `unknown VNet "${vnet}"`);
    const ranges = subnetRanges.get(`${vnet}/${subnet}`.toLowerCase());
    if (!ranges) fail(locate, [...base, 'subnet'], `unknown subnet "${subnet}" in VNet ${vnet}`);
    const n = parseIpv4(ip);
    const r = ranges.find((x) => n >= x.first && n <= x.last);
    if (!r) fail(locate, path, `IP ${ip} is outside subnet ${vnet}/${subnet}`);
    if (isReservedInSubnet(n, r)) fail(locate, path, `IP ${ip} is reserved by Azure in subnet ${vnet}/${subnet} (first four and last addresses)`);
  };

  // NICs
  const asgVnet = new Map<string, string>();
  s.nics.forEach((nic, ni) => {
    nic.privateIps.forEach((ip, ii) => {
      checkIpInSubnet(nic.vnet, nic.subnet, ip, ['nics', ni, 'privateIps', ii], ['nics', ni]);
      claimIp(nic.vnet, ip, `NIC ${nic.name}`, ['nics', ni, 'privateIps', ii]);
    });
    if (nic.nsg !== undefined && !nsgNames.has(nic.nsg.toLowerCase())) fail(locate, ['nics', ni, 'nsg'], `unknown NSG "${nic.nsg}"`);
    nic.asgs.forEach((a, ai) => {
      if (!asgNames.has(a.toLowerCase())) fail(locate, ['nics', ni, 'asgs', ai], `unknown ASG "${a}"`);
      const prev = asgVnet.get(a.toLowerCase());
      if (prev !== undefined && prev.toLowerCase() !== nic.vnet.toLowerCase())
        fail(locate, ['nics', ni, 'asgs', ai], `ASG ${a} already has members in VNet ${prev}; all members must be in one VNet`);
      asgVnet.set(a.toLowerCase(), nic.vnet);
    });
  });
  const publicIps = new Map<string, string>();
  s.nics.forEach((nic, ni) => {
    if (!nic.publicIp) return;
    const prev = publicIps.get(nic.publicIp.ipAddress);
    if (prev !== undefined) fail(locate, ['nics', ni, 'publicIp', 'ipAddress'], `public IP ${nic.publicIp.ipAddress} is already used by NIC ${prev}`);
    publicIps.set(nic.publicIp.ipAddress, nic.name);
  });
  s.privateEndpoints.forEach((pe, pi) => {
    checkIpInSubnet(pe.vnet, pe.subnet, pe.ip, ['privateEndpoints', pi, 'ip'], ['privateEndpoints', pi]);
    claimIp(pe.vnet, pe.ip, `private endpoint ${pe.name}`, ['privateEndpoints', pi, 'ip']);
  });

  // NSG rules
  const checkAddress = (value: string, path: (string | number)[]) => {
    if (value.includes('/') && isIpv4(value.split('/')[0]) && !isCanonicalIpv4Cidr(value))
      fail(locate, path, `invalid address prefix "${value}" (host bits set; did you mean ${canonical(value)}?)`);
    if (value === '*' || isIpOrCidr(value)) return;
    if (/^[\d.]+(\/\d+)?$/.test(value)) fail(locate, path, `invalid IP address or CIDR "${value}"`);
    if (!knownTag(value)) fail(locate, path, `unknown service tag "${value}"`);
  };
  s.nsgs.forEach((nsg, gi) => {
    uniqueNames(locate, nsg.securityRules, ['nsgs', gi, 'securityRules'], 'security rule');
    const byPriority = new Map<string, string>();
    nsg.securityRules.forEach((r, ri) => {
      const base = ['nsgs', gi, 'securityRules', ri];
      const key = `${r.direction}|${r.priority}`;
      const prev = byPriority.get(key);
      if (prev !== undefined)
        fail(locate, [...base, 'priority'], `${r.direction} rules "${prev}" and "${r.name}" have the same priority ${r.priority}`);
      byPriority.set(key, r.name);
      for (const side of ['source', 'destination'] as const) {
        const single = r[`${side}AddressPrefix`];
        const plural = r[`${side}AddressPrefixes`];
        const asgs = r[`${side}ApplicationSecurityGroups`];
        const given = [single !== undefined, plural !== undefined && plural.length > 0, asgs !== undefined && asgs.length > 0].filter(Boolean).length;
        if (given > 1)
          fail(locate, [...base, `${side}AddressPrefix`], `give only one of ${side}AddressPrefix, ${side}AddressPrefixes, ${side}ApplicationSecurityGroups`);
        if (single !== undefined) checkAddress(single, [...base, `${side}AddressPrefix`]);
        plural?.forEach((p, pi) => {
          checkAddress(p, [...base, `${side}AddressPrefixes`, pi]);
          if (!isIpOrCidr(p)) fail(locate, [...base, `${side}AddressPrefixes`, pi], `${side}AddressPrefixes takes IPs or CIDRs, not the tag "${p}"`);
        });
        asgs?.forEach((a, ai) => {
          if (!asgNames.has(a.toLowerCase())) fail(locate, [...base, `${side}ApplicationSecurityGroups`, ai], `unknown ASG "${a}"`);
        });
        if (r[`${side}PortRange`] !== undefined && (r[`${side}PortRanges`]?.length ?? 0) > 0)
          fail(locate, [...base, `${side}PortRange`], `give only one of ${side}PortRange and ${side}PortRanges`);
      }
      const sa = r.sourceApplicationSecurityGroups?.[0];
      const da = r.destinationApplicationSecurityGroups?.[0];
      if (sa && da) {
        const sv = asgVnet.get(sa.toLowerCase());
        const dv = asgVnet.get(da.toLowerCase());
        if (sv && dv && sv.toLowerCase() !== dv.toLowerCase())
          fail(locate, base, `source ASG ${sa} and destination ASG ${da} are in different VNets`);
      }
    });
  });

  // AVNM
  s.networkManagers.forEach((m, mi) => {
    uniqueNames(locate, m.networkGroups, ['networkManagers', mi, 'networkGroups'], 'network group');
    uniqueNames(locate, m.securityAdminConfigurations, ['networkManagers', mi, 'securityAdminConfigurations'], 'security admin configuration');
    const groups = new Set(m.networkGroups.map((g) => g.name.toLowerCase()));
    m.networkGroups.forEach((g, gi) =>
      g.members.forEach((v, vi) => {
        if (!vnetByName.has(v.toLowerCase())) fail(locate, ['networkManagers', mi, 'networkGroups', gi, 'members', vi], `unknown VNet "${v}"`);
      }),
    );
    m.securityAdminConfigurations.forEach((c, ci) => {
      uniqueNames(locate, c.ruleCollections, ['networkManagers', mi, 'securityAdminConfigurations', ci, 'ruleCollections'], 'rule collection');
      c.ruleCollections.forEach((rc, rci) => {
        const base = ['networkManagers', mi, 'securityAdminConfigurations', ci, 'ruleCollections', rci];
        rc.appliesToGroups.forEach((g, gi) => {
          if (!groups.has(g.toLowerCase())) fail(locate, [...base, 'appliesToGroups', gi], `unknown network group "${g}"`);
        });
        uniqueNames(locate, rc.rules, [...base, 'rules'], 'admin rule');
        const prios = new Map<number, string>();
        rc.rules.forEach((r, ri) => {
          const prev = prios.get(r.priority);
          if (prev !== undefined)
            fail(locate, [...base, 'rules', ri, 'priority'], `admin rules "${prev}" and "${r.name}" have the same priority ${r.priority} in one collection`);
          prios.set(r.priority, r.name);
          for (const side of ['sources', 'destinations'] as const)
            r[side].forEach((a, ai) => {
              const p = [...base, 'rules', ri, side, ai];
              if (a.addressPrefixType === 'IPPrefix' && a.addressPrefix !== '*' && !isIpOrCidr(a.addressPrefix))
                fail(locate, p, `invalid IP prefix "${a.addressPrefix}"`);
              if (a.addressPrefixType === 'IPPrefix') checkAddress(a.addressPrefix, p);
              if (a.addressPrefixType === 'ServiceTag' && !knownTag(a.addressPrefix)) fail(locate, p, `unknown service tag "${a.addressPrefix}"`);
            });
        });
      });
    });
  });

  // External hosts
  s.externalHosts.forEach((h, hi) => {
    if (h.gatewayVnet !== undefined && !vnetByName.has(h.gatewayVnet.toLowerCase()))
      fail(locate, ['externalHosts', hi, 'gatewayVnet'], `unknown VNet "${h.gatewayVnet}"`);
    if (h.kind === 'onPremises' && h.gatewayVnet === undefined)
      fail(locate, ['externalHosts', hi], 'on-premises hosts need `gatewayVnet` (the VNet with the VPN/ExpressRoute gateway)');
  });

  // Regions: Azure only associates an NSG with subnets/NICs of its own region, and a flow log
  // writes to a storage account in the target's region.
  const nsgByName = new Map(s.nsgs.map((n) => [n.name.toLowerCase(), n]));
  const sameRegion = (a: string, b: string) => a.toLowerCase().replace(/\s+/g, '') === b.toLowerCase().replace(/\s+/g, '');
  s.vnets.forEach((v, vi) =>
    v.subnets.forEach((sn, si) => {
      const nsg = sn.nsg ? nsgByName.get(sn.nsg.toLowerCase()) : undefined;
      if (nsg && !sameRegion(nsg.location, v.location))
        fail(locate, ['vnets', vi, 'subnets', si, 'nsg'], `NSG ${nsg.name} is in ${nsg.location} but VNet ${v.name} is in ${v.location}`);
    }),
  );
  s.nics.forEach((nic, ni) => {
    const v = vnetByName.get(nic.vnet.toLowerCase());
    if (v && !sameRegion(nic.location, v.location)) fail(locate, ['nics', ni, 'location'], `NIC is in ${nic.location} but VNet ${v.name} is in ${v.location}`);
    const nsg = nic.nsg ? nsgByName.get(nic.nsg.toLowerCase()) : undefined;
    if (nsg && !sameRegion(nsg.location, nic.location)) fail(locate, ['nics', ni, 'nsg'], `NSG ${nsg.name} is in ${nsg.location} but the NIC is in ${nic.location}`);
  });
  s.flowLogs.forEach((f, fi) => {
    const account = s.storageAccounts.find((a) => a.name.toLowerCase() === f.storageAccount.toLowerCase());
    if (account && !sameRegion(account.location, f.location))
      fail(locate, ['flowLogs', fi, 'storageAccount'], `storage account ${account.name} is in ${account.location}; flow logs need one in ${f.location}`);
  });

  // Flow logs
  const nicNames = new Set(s.nics.map((n) => n.name.toLowerCase()));
  const storage = new Set(s.storageAccounts.map((a) => a.name.toLowerCase()));
  s.flowLogs.forEach((f, fi) => {
    const t = f.target.toLowerCase();
    const ok =
      f.scope === 'vnet' ? vnetByName.has(t) : f.scope === 'subnet' ? subnetRanges.has(t) : f.scope === 'nic' ? nicNames.has(t) : nsgNames.has(t);
    if (!ok) fail(locate, ['flowLogs', fi, 'target'], `unknown ${f.scope} "${f.target}"${f.scope === 'subnet' ? ' (use vnetName/subnetName)' : ''}`);
    if (!storage.has(f.storageAccount.toLowerCase())) fail(locate, ['flowLogs', fi, 'storageAccount'], `unknown storage account "${f.storageAccount}"`);
  });

  // Traffic endpoints
  const endpointNames = new Set<string>();
  for (const n of s.nics) {
    endpointNames.add(n.name.toLowerCase());
    if (n.vm) endpointNames.add(n.vm.toLowerCase());
  }
  for (const p of s.privateEndpoints) endpointNames.add(p.name.toLowerCase());
  for (const h of s.externalHosts) endpointNames.add(h.name.toLowerCase());
  const checkEndpoint = (ref: string, path: (string | number)[]) => {
    if (!isIpv4(ref) && !endpointNames.has(ref.toLowerCase())) fail(locate, path, `unknown endpoint "${ref}" (a VM, NIC, private endpoint, external host or IPv4 address)`);
  };
  s.traffic.forEach((t, ti) => {
    checkEndpoint(t.from, ['traffic', ti, 'from']);
    checkEndpoint(t.to, ['traffic', ti, 'to']);
  });
  s.generators.icmpPings?.pairs.forEach((p, pi) => {
    checkEndpoint(p.from, ['generators', 'icmpPings', 'pairs', pi, 'from']);
    checkEndpoint(p.to, ['generators', 'icmpPings', 'pairs', pi, 'to']);
  });
  s.generators.internetWeb?.to.forEach((t, i) => checkEndpoint(t, ['generators', 'internetWeb', 'to', i]));
}
