/**
 * Traffic synthesis: the scenario's named patterns and its generators become, minute by minute,
 * a list of connections (who, to whom, when, how long, how fast). Counts per minute come from the
 * rate without randomness (`floor((m+1)·r) − floor(m·r)`), so totals are exact; times within the
 * minute, remote addresses and ports come from a PRNG seeded by the run seed, the source's label
 * and the minute, so output does not depend on scheduling.
 */
import type { Scenario } from '../model/index.js';
import { addressInPrefix, type EmuNetwork, type EmuNic, type Endpoint, type EndpointSet } from './network.js';
import { prngFor, type Prng } from './prng.js';
import { ENCRYPTION_NOISE_VALUE, type FlowKind } from './recorder.js';

export interface Connection {
  /** Which pattern or generator made it. */
  source: string;
  src: Endpoint;
  dst: Endpoint;
  srcPort: number;
  dstPort: number;
  protocol: number;
  kind: FlowKind;
  encryption?: string;
  startMs: number;
  durationMs: number;
  /** Packets and bytes per second, initiator→responder (forward) and back (reverse). */
  ppsFwd: number;
  ppsRev: number;
  bpsFwd: number;
  bpsRev: number;
}

export interface TrafficSource {
  label: string;
  /** Appends the connections that start in minute `m` (0-based from the run start). */
  generate(m: number, minuteStartMs: number, out: Connection[]): void;
}

/** Connections start within the first 59 s of a minute, so records stamped at :59+ follow them. */
export const START_WINDOW_MS = 59_000;

const PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1 };

function countInMinute(ratePerMinute: number, m: number): number {
  return Math.floor((m + 1) * ratePerMinute + 1e-9) - Math.floor(m * ratePerMinute + 1e-9);
}

const parsedPorts = new WeakMap<readonly string[], [number, number][]>();

/** One port from a port list (`*` = any unprivileged port); lists are parsed once. */
export function pickPort(spec: readonly string[], rand: Prng): number {
  let ranges = parsedPorts.get(spec);
  if (!ranges) {
    ranges = spec.map((item): [number, number] => {
      if (item === '*') return [1024, 65535];
      const [lo, hi] = item.split('-').map(Number);
      return [lo, hi ?? lo];
    });
    parsedPorts.set(spec, ranges);
  }
  const [lo, hi] = ranges[ranges.length === 1 ? 0 : rand.int(0, ranges.length - 1)];
  return lo === hi ? lo : rand.int(lo, hi);
}

const ephemeral = (rand: Prng) => rand.int(49152, 65535);

export function buildTrafficSources(net: EmuNetwork, seed: number, startMs: number, endMs: number): TrafficSource[] {
  const scenario: Scenario = net.scenario;
  const sources: TrafficSource[] = [];

  scenario.traffic.forEach((p, i) => {
    const where = `traffic[${i}]`;
    const from = net.resolve(p.from, `${where}.from`);
    const to = net.resolve(p.to, `${where}.to`);
    const protocol = PROTOCOLS[p.protocol];
    const pStart = startMs + p.start * 1000;
    const pEnd = p.duration === undefined ? endMs : Math.min(endMs, pStart + p.duration * 1000);
    const firstMinute = Math.floor((pStart - startMs) / 60_000);
    sources.push({
      label: `traffic:${p.name}`,
      generate(m, minuteStartMs, out) {
        const winStart = Math.max(minuteStartMs, pStart);
        const winEnd = Math.min(minuteStartMs + START_WINDOW_MS, pEnd);
        if (winEnd <= winStart) return;
        const n = countInMinute(p.connectionsPerMinute, m - firstMinute);
        if (n === 0) return;
        const rand = prngFor(seed, `traffic:${p.name}:${m}`);
        for (let k = 0; k < n; k++) {
          out.push({
            source: p.name,
            src: from.pick(rand.next),
            dst: to.pick(rand.next),
            srcPort: protocol === 1 ? 0 : p.sourcePorts ? pickPort(p.sourcePorts, rand) : ephemeral(rand),
            dstPort: protocol === 1 ? 0 : pickPort(p.ports, rand),
            protocol,
            kind: 'normal',
            startMs: winStart + Math.floor(rand.next() * (winEnd - winStart)),
            durationMs: p.sessionSeconds * 1000,
            ppsFwd: p.packetsPerSecond.forward,
            ppsRev: p.packetsPerSecond.reverse,
            bpsFwd: p.bytesPerSecond.forward,
            bpsRev: p.bytesPerSecond.reverse,
          });
        }
      },
    });
  });

  const g = scenario.generators;
  const publicNics = net.nics.filter((n) => n.publicIp !== undefined);
  const nicEndpoint = (nic: EmuNic): Endpoint => ({ kind: 'nic', ip: nic.ip, nic });
  const external = (prefixes: readonly string[], rand: Prng, azure: boolean, label: string): Endpoint => ({
    kind: 'external',
    ip: addressInPrefix(prefixes[rand.int(0, prefixes.length - 1)], rand.next),
    label,
    azure,
    sampled: true,
  });
  const perTarget = (
    label: string,
    targets: readonly Endpoint[],
    perMinute: number,
    make: (target: Endpoint, rand: Prng, minuteStartMs: number) => Omit<Connection, 'source'>,
  ) => {
    sources.push({
      label,
      generate(m, minuteStartMs, out) {
        const n = countInMinute(perMinute, m);
        if (n === 0 || targets.length === 0) return;
        const rand = prngFor(seed, `${label}:${m}`);
        for (const t of targets) for (let k = 0; k < n; k++) out.push({ source: label, ...make(t, rand, minuteStartMs) });
      },
    });
  };
  const startIn = (rand: Prng, minuteStartMs: number) => minuteStartMs + Math.floor(rand.next() * START_WINDOW_MS);

  if (g.internetScanners?.enabled) {
    const s = g.internetScanners;
    perTarget('internetScanners', publicNics.map(nicEndpoint), s.perMinute, (dst, rand, ms) => ({
      src: external(s.sourcePrefixes, rand, false, 'scanner'),
      dst,
      srcPort: ephemeral(rand),
      dstPort: pickPort(s.ports, rand),
      protocol: 6,
      kind: 'normal',
      startMs: startIn(rand, ms),
      durationMs: 1000,
      ppsFwd: 2,
      ppsRev: 1,
      bpsFwd: 120,
      bpsRev: 60,
    }));
  }
  if (g.internetWeb?.enabled) {
    const w = g.internetWeb;
    const targets: Endpoint[] = w.to.length
      ? w.to.map((ref, i) => net.resolve(ref, `generators.internetWeb.to[${i}]`).first)
      : publicNics.map(nicEndpoint);
    perTarget('internetWeb', targets, w.perMinute, (dst, rand, ms) => ({
      src: external(w.sourcePrefixes, rand, false, 'web-client'),
      dst,
      srcPort: ephemeral(rand),
      dstPort: pickPort(w.ports, rand),
      protocol: 6,
      kind: 'normal',
      startMs: startIn(rand, ms),
      durationMs: rand.int(1, 20) * 1000,
      ppsFwd: 12,
      ppsRev: 20,
      bpsFwd: 1500,
      bpsRev: 24000,
    }));
  }
  if (g.platform?.enabled) {
    const pl = g.platform;
    const all = net.nics.map(nicEndpoint);
    const wire = { kind: 'external' as const, label: 'AzurePlatform', azure: true };
    if (pl.dns)
      perTarget('platform:dns', all, pl.perMinute, (src, rand, ms) => ({
        src,
        dst: { ...wire, ip: '168.63.129.16' },
        srcPort: ephemeral(rand),
        dstPort: 53,
        protocol: 17,
        kind: 'platform',
        startMs: startIn(rand, ms),
        durationMs: 1000,
        ppsFwd: 1,
        ppsRev: 1,
        bpsFwd: 74,
        bpsRev: 120,
      }));
    if (pl.imds)
      perTarget('platform:imds', all, pl.perMinute, (src, rand, ms) => ({
        src,
        dst: { ...wire, ip: '169.254.169.254' },
        srcPort: ephemeral(rand),
        dstPort: 80,
        protocol: 6,
        kind: 'platform',
        startMs: startIn(rand, ms),
        durationMs: 1000,
        ppsFwd: 5,
        ppsRev: 5,
        bpsFwd: 600,
        bpsRev: 1800,
      }));
    if (pl.healthProbes)
      perTarget('platform:probe', all, pl.perMinute, (dst, rand, ms) => ({
        src: { ...wire, ip: '168.63.129.16' },
        dst,
        srcPort: ephemeral(rand),
        dstPort: 80,
        protocol: 6,
        kind: 'normal',
        startMs: startIn(rand, ms),
        durationMs: 1000,
        ppsFwd: 3,
        ppsRev: 3,
        bpsFwd: 180,
        bpsRev: 180,
      }));
  }
  if (g.icmpPings?.enabled) {
    const ip = g.icmpPings;
    ip.pairs.forEach((pair, i) => {
      const from: EndpointSet = net.resolve(pair.from, `generators.icmpPings.pairs[${i}].from`);
      const to: EndpointSet = net.resolve(pair.to, `generators.icmpPings.pairs[${i}].to`);
      perTarget(`icmpPings:${i}`, [to.first], ip.perMinute, (dst, rand, ms) => ({
        src: from.first,
        dst,
        srcPort: 0,
        dstPort: 0,
        protocol: 1,
        kind: 'normal',
        startMs: startIn(rand, ms),
        durationMs: 4000,
        ppsFwd: 1,
        ppsRev: 1,
        bpsFwd: 98,
        bpsRev: 98,
      }));
    });
  }
  if (g.encryptionNoise?.enabled) {
    const e = g.encryptionNoise;
    const encrypted = net.nics.filter((n) => n.vnet.encryption?.enabled);
    perTarget('encryptionNoise', (encrypted.length ? encrypted : net.nics).map(nicEndpoint), e.perMinute, (dst, rand, ms) => ({
      src: external(e.sourcePrefixes, rand, true, 'azure-internal'),
      dst,
      srcPort: ephemeral(rand),
      dstPort: rand.int(1024, 65535),
      protocol: 6,
      kind: 'encryptionNoise',
      encryption: ENCRYPTION_NOISE_VALUE,
      startMs: startIn(rand, ms),
      durationMs: 1000,
      ppsFwd: 1,
      ppsRev: 0,
      bpsFwd: 60,
      bpsRev: 0,
    }));
  }
  return sources;
}
