/**
 * The traffic a coverage report is about. With a `traffic:` section (and generators), exactly the
 * patterns the emulator would generate; without one, every NIC pair that can talk privately (same
 * VNet or peered) on the ports its rules open, plus an ICMP ping per pair and every NIC to every
 * reachable private endpoint.
 *
 * A pattern may cover several destination ports (`80,443`, ranges, `*`): each listed port or range
 * becomes one probe, evaluated at its first port (the emulator draws the actual port from the range).
 */
import {
  ENCRYPTION_NOISE_VALUE,
  type EmuNetwork,
  type EmuNic,
  type Endpoint,
  type FlowKind,
} from '../emulator/index.js';
import { addressInPrefix } from '../emulator/network.js';
import { parsePortRange, type Scenario } from '../model/index.js';

export type ProbeKind =
  'traffic' | 'icmp' | 'encryption' | 'internet' | 'platform' | 'pair' | 'privateEndpoint';

export interface Probe {
  /** The scenario pattern name, or the generator label (`icmpPings[0]`, `encryptionNoise`…). */
  pattern: string;
  kind: ProbeKind;
  from: string;
  to: string;
  src: Endpoint;
  dst: Endpoint;
  /** IANA protocol number. */
  protocol: number;
  /** Port the rules are evaluated for (the first of `dstPorts`). */
  dstPort: number;
  /** Inclusive range the emulator draws the destination port from. */
  dstPorts: [number, number];
  /** Prefixes the emulator draws the source address from, when it is not one fixed address. */
  srcPrefixes?: string[];
  /** Prefixes the emulator draws the destination address from (external hosts). */
  dstPrefixes?: string[];
  flowKind: FlowKind;
  /** Encryption value a generator forces (encryption noise: always dropped). */
  encryption?: string;
}

const PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1 };
const lower = (s: string) => s.toLowerCase();

export function endpointLabel(e: Endpoint): string {
  if (e.kind === 'nic') return e.nic.vm ?? e.nic.name;
  if (e.kind === 'privateEndpoint') return e.pe.name;
  return e.label === e.ip ? e.ip : `${e.label} (${e.ip})`;
}

function portRanges(spec: readonly string[]): [number, number][] {
  const out: [number, number][] = [];
  for (const item of spec) {
    if (item === '*')
      out.push([1024, 65535]); // what the emulator draws for "*"
    else {
      const r = parsePortRange(item);
      if (r) out.push(r);
    }
  }
  return out.length ? out : [[1024, 65535]];
}

const ICMP_PORTS: [number, number] = [0, 0];

/** Probes for the patterns and generators of a scenario that has traffic. */
function trafficProbes(net: EmuNetwork): Probe[] {
  const s = net.scenario;
  const probes: Probe[] = [];
  s.traffic.forEach((p, i) => {
    const src = net.resolve(p.from, `traffic[${i}].from`).first;
    const dst = net.resolve(p.to, `traffic[${i}].to`).first;
    const protocol = PROTOCOLS[p.protocol];
    const ranges = protocol === 1 ? [ICMP_PORTS] : portRanges(p.ports);
    for (const r of ranges) {
      probes.push({
        pattern: p.name,
        kind: protocol === 1 ? 'icmp' : dst.kind === 'privateEndpoint' ? 'privateEndpoint' : 'traffic',
        from: p.from,
        to: p.to,
        src,
        dst,
        protocol,
        dstPort: r[0],
        dstPorts: r,
        srcPrefixes: externalPrefixes(s, p.from),
        dstPrefixes: externalPrefixes(s, p.to),
        flowKind: 'normal',
      });
    }
  });
  probes.push(...generatorProbes(net));
  return probes;
}

/** Address prefixes of an external host reference (its address is drawn from them per connection). */
function externalPrefixes(s: Scenario, ref: string): string[] | undefined {
  const host = s.externalHosts.find((h) => lower(h.name) === lower(ref));
  return host ? host.addresses.map((a) => (a.includes('/') ? a : `${a}/32`)) : undefined;
}

function nicEndpoint(nic: EmuNic): Endpoint {
  return { kind: 'nic', ip: nic.ip, nic };
}

function externalEndpoint(prefixes: readonly string[], label: string, azure: boolean): Endpoint {
  return { kind: 'external', ip: addressInPrefix(prefixes[0], () => 0), label, azure };
}

function generatorProbes(net: EmuNetwork): Probe[] {
  const g = net.scenario.generators;
  const probes: Probe[] = [];
  const publicNics = net.nics.filter((n) => n.publicIp !== undefined);
  if (g.icmpPings?.enabled) {
    g.icmpPings.pairs.forEach((pair, i) => {
      const src = net.resolve(pair.from, `generators.icmpPings.pairs[${i}].from`).first;
      const dst = net.resolve(pair.to, `generators.icmpPings.pairs[${i}].to`).first;
      probes.push({
        pattern: `icmpPings[${i}]`,
        kind: 'icmp',
        from: pair.from,
        to: pair.to,
        src,
        dst,
        protocol: 1,
        dstPort: 0,
        dstPorts: ICMP_PORTS,
        flowKind: 'normal',
      });
    });
  }
  if (g.encryptionNoise?.enabled) {
    const e = g.encryptionNoise;
    const encrypted = net.nics.filter((n) => n.vnet.encryption?.enabled);
    for (const nic of encrypted.length ? encrypted : net.nics) {
      const dst = nicEndpoint(nic);
      probes.push({
        pattern: 'encryptionNoise',
        kind: 'encryption',
        from: 'azure-internal',
        to: endpointLabel(dst),
        src: externalEndpoint(e.sourcePrefixes, 'azure-internal', true),
        dst,
        protocol: 6,
        dstPort: 1024,
        dstPorts: [1024, 65535],
        srcPrefixes: [...e.sourcePrefixes],
        flowKind: 'encryptionNoise',
        encryption: ENCRYPTION_NOISE_VALUE,
      });
    }
  }
  if (g.internetScanners?.enabled) {
    const sc = g.internetScanners;
    for (const nic of publicNics)
      for (const r of portRanges(sc.ports))
        probes.push({
          pattern: 'internetScanners',
          kind: 'internet',
          from: 'scanner',
          to: nic.vm ?? nic.name,
          src: externalEndpoint(sc.sourcePrefixes, 'scanner', false),
          dst: nicEndpoint(nic),
          protocol: 6,
          dstPort: r[0],
          dstPorts: r,
          srcPrefixes: [...sc.sourcePrefixes],
          flowKind: 'normal',
        });
  }
  if (g.internetWeb?.enabled) {
    const w = g.internetWeb;
    const targets = w.to.length
      ? w.to.map((ref, i) => net.resolve(ref, `generators.internetWeb.to[${i}]`).first)
      : publicNics.map(nicEndpoint);
    for (const dst of targets)
      for (const r of portRanges(w.ports))
        probes.push({
          pattern: 'internetWeb',
          kind: 'internet',
          from: 'web-client',
          to: endpointLabel(dst),
          src: externalEndpoint(w.sourcePrefixes, 'web-client', false),
          dst,
          protocol: 6,
          dstPort: r[0],
          dstPorts: r,
          srcPrefixes: [...w.sourcePrefixes],
          flowKind: 'normal',
        });
  }
  if (g.platform?.enabled) {
    const pl = g.platform;
    const wire = (ip: string): Endpoint => ({ kind: 'external', ip, label: 'AzurePlatform', azure: true });
    for (const nic of net.nics) {
      const me = nicEndpoint(nic);
      const name = nic.vm ?? nic.name;
      if (pl.dns)
        probes.push({
          pattern: 'platform:dns',
          kind: 'platform',
          from: name,
          to: '168.63.129.16',
          src: me,
          dst: wire('168.63.129.16'),
          protocol: 17,
          dstPort: 53,
          dstPorts: [53, 53],
          flowKind: 'platform',
        });
      if (pl.imds)
        probes.push({
          pattern: 'platform:imds',
          kind: 'platform',
          from: name,
          to: '169.254.169.254',
          src: me,
          dst: wire('169.254.169.254'),
          protocol: 6,
          dstPort: 80,
          dstPorts: [80, 80],
          flowKind: 'platform',
        });
      if (pl.healthProbes)
        probes.push({
          pattern: 'platform:probe',
          kind: 'platform',
          from: '168.63.129.16',
          to: name,
          src: wire('168.63.129.16'),
          dst: me,
          protocol: 6,
          dstPort: 80,
          dstPorts: [80, 80],
          srcPrefixes: ['168.63.129.16/32'],
          flowKind: 'normal',
        });
    }
  }
  return probes;
}

/** VNets that can reach each other privately: the same VNet, or peered (either side declared). */
function reachability(s: Scenario): (a: string, b: string) => boolean {
  const peers = new Set<string>();
  for (const v of s.vnets)
    for (const p of v.peerings) {
      peers.add(`${lower(v.name)}|${lower(p.remoteVnet)}`);
      peers.add(`${lower(p.remoteVnet)}|${lower(v.name)}`);
    }
  return (a, b) => lower(a) === lower(b) || peers.has(`${lower(a)}|${lower(b)}`);
}

/**
 * Destination ports (with protocol) that the rules guarding `dst` mention: inbound NSG Allow rules
 * on its NIC and subnet NSGs, and every inbound AVNM admin rule of its VNet (Deny and AlwaysAllow
 * rules are what the AVNM column is about). TCP/443 when no rule names a port.
 */
function openPorts(s: Scenario, dst: EmuNic, cap: number): { protocol: number; port: number }[] {
  const out = new Map<string, { protocol: number; port: number }>();
  const add = (protocol: string, ports: readonly string[]) => {
    const protos =
      protocol === 'Udp'
        ? [17]
        : protocol === 'Tcp'
          ? [6]
          : protocol === 'Icmp' || protocol === 'Esp' || protocol === 'Ah'
            ? []
            : [6];
    for (const p of ports) {
      if (p === '*') continue;
      const r = parsePortRange(p);
      if (!r) continue;
      for (const proto of protos) out.set(`${proto}/${r[0]}`, { protocol: proto, port: r[0] });
    }
  };
  for (const nsgName of [dst.subnetNsg, dst.nicNsg]) {
    const nsg = nsgName ? s.nsgs.find((n) => lower(n.name) === lower(nsgName)) : undefined;
    for (const r of nsg?.securityRules ?? []) {
      if (r.direction !== 'Inbound' || r.access !== 'Allow') continue;
      add(r.protocol, [
        ...(r.destinationPortRange ? [r.destinationPortRange] : []),
        ...(r.destinationPortRanges ?? []),
      ]);
    }
  }
  for (const m of s.networkManagers) {
    const groups = new Set(
      m.networkGroups
        .filter((g) => g.members.some((v) => lower(v) === lower(dst.vnet.name)))
        .map((g) => lower(g.name)),
    );
    for (const c of m.securityAdminConfigurations) {
      if (!c.deployed) continue;
      for (const rc of c.ruleCollections) {
        if (!rc.appliesToGroups.some((g) => groups.has(lower(g)))) continue;
        for (const r of rc.rules)
          if (r.direction === 'Inbound')
            add(r.protocol === 'Any' ? '*' : r.protocol, r.destinationPortRanges);
      }
    }
  }
  const list = [...out.values()].sort((a, b) => a.port - b.port || a.protocol - b.protocol).slice(0, cap);
  return list.length ? list : [{ protocol: 6, port: 443 }];
}

const PE_PORTS: Record<string, number> = {
  sqlserver: 1433,
  sql: 1433,
  mysqlserver: 3306,
  postgresqlserver: 5432,
  redis: 6380,
  cosmos: 443,
};

/** Probes for a scenario without traffic: NIC pairs, ICMP per pair, private endpoints. */
function derivedProbes(net: EmuNetwork, maxPairs: number, maxPortsPerPair: number): Probe[] {
  const s = net.scenario;
  const reach = reachability(s);
  const probes: Probe[] = [];
  let pairs = 0;
  const portsCache = new Map<number, { protocol: number; port: number }[]>();
  outer: for (const a of net.nics) {
    for (const b of net.nics) {
      if (a === b || !reach(a.vnet.name, b.vnet.name)) continue;
      if (++pairs > maxPairs) break outer;
      let ports = portsCache.get(b.idx);
      if (!ports) portsCache.set(b.idx, (ports = openPorts(s, b, maxPortsPerPair)));
      const from = a.vm ?? a.name;
      const to = b.vm ?? b.name;
      for (const { protocol, port } of ports)
        probes.push({
          pattern: `${from}→${to}`,
          kind: 'pair',
          from,
          to,
          src: nicEndpoint(a),
          dst: nicEndpoint(b),
          protocol,
          dstPort: port,
          dstPorts: [port, port],
          flowKind: 'normal',
        });
      probes.push({
        pattern: `${from}→${to}`,
        kind: 'icmp',
        from,
        to,
        src: nicEndpoint(a),
        dst: nicEndpoint(b),
        protocol: 1,
        dstPort: 0,
        dstPorts: ICMP_PORTS,
        flowKind: 'normal',
      });
    }
  }
  for (const pe of s.privateEndpoints) {
    const port = PE_PORTS[lower(pe.target.groupId ?? '')] ?? 443;
    for (const a of net.nics) {
      if (!reach(a.vnet.name, pe.vnet)) continue;
      const from = a.vm ?? a.name;
      probes.push({
        pattern: `${from}→${pe.name}`,
        kind: 'privateEndpoint',
        from,
        to: pe.name,
        src: nicEndpoint(a),
        dst: { kind: 'privateEndpoint', ip: pe.ip, pe },
        protocol: 6,
        dstPort: port,
        dstPorts: [port, port],
        flowKind: 'normal',
      });
    }
  }
  probes.push(...generatorProbes(net));
  return probes;
}

export function probesFor(
  net: EmuNetwork,
  options: { maxPairs: number; maxPortsPerPair: number },
): { probes: Probe[]; derived: boolean } {
  if (net.scenario.traffic.length > 0) return { probes: trafficProbes(net), derived: false };
  return { probes: derivedProbes(net, options.maxPairs, options.maxPortsPerPair), derived: true };
}
