/**
 * Traffic synthesis: the scenario's named patterns and its generators become, minute by minute,
 * a list of connections (who, to whom, when, how long, how fast). Counts per minute come from the
 * rate without randomness (`floor((m+1)·r) − floor(m·r)`), so totals are exact; times within the
 * minute, remote addresses and ports come from a PRNG seeded by the run seed, the source's label
 * and the minute, so output does not depend on scheduling.
 *
 * The engine's hot path reads connections as columns (`ConnBatch`, typed arrays, no object per
 * connection); endpoints are ids into an `EndpointTable`, and an address drawn from a prefix is
 * kept as a number. `buildTrafficSources` gives the same connections as objects (for planners and
 * tests); both come from the same generators, so they draw the same numbers.
 */
import type { Scenario } from '../model/index.js';
import {
  addressNumberAt,
  numberToIpv4,
  parsedPrefix,
  type EmuNetwork,
  type EmuNic,
  type Endpoint,
  type EndpointSet,
} from './network.js';
import { resized, type Column } from './columns.js';
import { labelHeadState, reseedablePrng, type Prng } from './prng.js';
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
  // Indexed, not destructured: array destructuring runs the iterator protocol, an iterator and
  // result objects per call on this per-connection path.
  const range = ranges[ranges.length === 1 ? 0 : rand.int(0, ranges.length - 1)];
  const lo = range[0];
  const hi = range[1];
  return lo === hi ? lo : rand.int(lo, hi);
}

const ephemeral = (rand: Prng) => rand.int(49152, 65535);

export const KIND_NORMAL = 0;
export const KIND_PLATFORM = 1;
export const KIND_ENCRYPTION_NOISE = 2;
const KIND_NAMES: FlowKind[] = ['normal', 'platform', 'encryptionNoise'];

/**
 * Endpoints by id. A `fixed` id always has the same address (a NIC, a private endpoint, one
 * external address); a `range` id stands for "an address drawn from this prefix", the drawn
 * address travelling with the connection as a number.
 */
export interface EndpointTable {
  /** The endpoint for fixed ids; for range ids a template whose `ip` is the prefix. */
  list: Endpoint[];
  isRange: boolean[];
  /** Range ids: first and last address that can be drawn. */
  lo: number[];
  hi: number[];
  /** Fixed ids: the address as ASCII bytes. */
  ipBytes: Buffer[];
  fixedId(e: Endpoint): number;
  /** An id for "drawn from `prefix`" (a text that is not a CIDR is a fixed address, sampled). */
  sampledId(prefix: string, label: string, azure: boolean): number;
  /** The endpoint of a connection, as an object (range ids get a new object with the drawn address). */
  endpointOf(id: number, ip: number): Endpoint;
  /** The address text of a connection's endpoint. */
  ipText(id: number, ip: number): string;
}

export function createEndpointTable(): EndpointTable {
  const list: Endpoint[] = [];
  const isRange: boolean[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  const ipBytes: Buffer[] = [];
  const byEndpoint = new Map<Endpoint, number>();
  const bySample = new Map<string, number>();
  const add = (e: Endpoint, range: boolean, first: number, last: number): number => {
    list.push(e);
    isRange.push(range);
    lo.push(first);
    hi.push(last);
    ipBytes.push(Buffer.from(range ? '' : e.ip, 'latin1'));
    return list.length - 1;
  };
  return {
    list,
    isRange,
    lo,
    hi,
    ipBytes,
    fixedId(e) {
      let id = byEndpoint.get(e);
      if (id === undefined) byEndpoint.set(e, (id = add(e, false, 0, 0)));
      return id;
    },
    sampledId(prefix, label, azure) {
      const k = `${prefix}\u0000${label}\u0000${azure}`;
      let id = bySample.get(k);
      if (id === undefined) {
        const p = parsedPrefix(prefix);
        if (typeof p === 'string')
          id = add({ kind: 'external', ip: p, label, azure, sampled: true }, false, 0, 0);
        else {
          const first = p.size <= 2 ? p.start : p.start + 1;
          const last = p.size <= 2 ? p.start + p.size - 1 : p.start + p.size - 2;
          id = add({ kind: 'external', ip: prefix, label, azure, sampled: true }, true, first, last);
        }
        bySample.set(k, id);
      }
      return id;
    },
    endpointOf(id, ip) {
      const e = list[id];
      if (!isRange[id]) return e;
      const x = e as Extract<Endpoint, { kind: 'external' }>;
      return { kind: 'external', ip: numberToIpv4(ip), label: x.label, azure: x.azure, sampled: true };
    },
    ipText(id, ip) {
      return isRange[id] ? numberToIpv4(ip) : list[id].ip;
    },
  };
}

/** Connections of one minute as columns. */
export interface ConnBatch {
  n: number;
  source: Int32Array;
  srcEp: Int32Array;
  dstEp: Int32Array;
  /** Drawn addresses (range endpoints only). */
  srcIp: Float64Array;
  dstIp: Float64Array;
  srcPort: Int32Array;
  dstPort: Int32Array;
  protocol: Int32Array;
  kind: Uint8Array;
  startMs: Float64Array;
  durationMs: Float64Array;
  ppsF: Float64Array;
  ppsR: Float64Array;
  bpsF: Float64Array;
  bpsR: Float64Array;
}

export function createConnBatch(capacity = 1024): ConnBatch {
  return {
    n: 0,
    source: new Int32Array(capacity),
    srcEp: new Int32Array(capacity),
    dstEp: new Int32Array(capacity),
    srcIp: new Float64Array(capacity),
    dstIp: new Float64Array(capacity),
    srcPort: new Int32Array(capacity),
    dstPort: new Int32Array(capacity),
    protocol: new Int32Array(capacity),
    kind: new Uint8Array(capacity),
    startMs: new Float64Array(capacity),
    durationMs: new Float64Array(capacity),
    ppsF: new Float64Array(capacity),
    ppsR: new Float64Array(capacity),
    bpsF: new Float64Array(capacity),
    bpsR: new Float64Array(capacity),
  };
}

/** Index of a new row (grows the columns when full). */
function addRow(b: ConnBatch): number {
  if (b.n === b.source.length) {
    const cap = b.n * 2;
    const grow = <T extends Column>(a: T): T => resized(a, cap);
    b.source = grow(b.source);
    b.srcEp = grow(b.srcEp);
    b.dstEp = grow(b.dstEp);
    b.srcIp = grow(b.srcIp);
    b.dstIp = grow(b.dstIp);
    b.srcPort = grow(b.srcPort);
    b.dstPort = grow(b.dstPort);
    b.protocol = grow(b.protocol);
    b.kind = grow(b.kind);
    b.startMs = grow(b.startMs);
    b.durationMs = grow(b.durationMs);
    b.ppsF = grow(b.ppsF);
    b.ppsR = grow(b.ppsR);
    b.bpsF = grow(b.bpsF);
    b.bpsR = grow(b.bpsR);
  }
  return b.n++;
}

export interface BatchSource {
  /** Pattern name or generator label (`Connection.source`). */
  name: string;
  /** `traffic:<pattern>` or the generator label (`TrafficSource.label`). */
  label: string;
  generate(m: number, minuteStartMs: number, out: ConnBatch): void;
}

export interface ConnectionSources {
  sources: BatchSource[];
  endpoints: EndpointTable;
}

/** Where an endpoint pick lands: an id and, for range ids, the drawn address. */
interface Pick {
  id: number;
  ip: number;
}

/** Picks from an `EndpointSet` with exactly the draws of `set.pick`, without objects. */
function endpointPicker(set: EndpointSet, table: EndpointTable): (rand: Prng, out: Pick) => void {
  const host = set.host;
  if (!host) {
    const id = table.fixedId(set.first);
    return (_rand, out) => {
      out.id = id;
      out.ip = 0;
    };
  }
  const ids = host.addresses.map((a) =>
    a.includes('/')
      ? table.sampledId(a, host.label, host.azure)
      : table.fixedId({ kind: 'external', ip: a, label: host.label, azure: host.azure }),
  );
  const prefixes = host.addresses.map((a) => (a.includes('/') ? parsedPrefix(a) : a));
  return (rand, out) => {
    const i = Math.floor(rand.next() * ids.length);
    out.id = ids[i];
    const p = prefixes[i];
    out.ip = typeof p === 'string' ? 0 : addressNumberAt(p, rand.next());
  };
}

export function buildConnectionSources(
  net: EmuNetwork,
  seed: number,
  startMs: number,
  endMs: number,
): ConnectionSources {
  const scenario: Scenario = net.scenario;
  const table = createEndpointTable();
  const sources: BatchSource[] = [];
  const pickA: Pick = { id: 0, ip: 0 };
  /** One PRNG for all sources: each re-seeds it with its own label's stream before drawing. */
  const rand = reseedablePrng();
  const pickB: Pick = { id: 0, ip: 0 };

  /** Fills everything but the addresses, ports and timing; returns the row. */
  type Shape = { protocol: number; kind: number; ppsF: number; ppsR: number; bpsF: number; bpsR: number };
  const row = (
    out: ConnBatch,
    sourceIdx: number,
    shape: Shape,
    src: Pick,
    dst: Pick,
    srcPort: number,
    dstPort: number,
    start: number,
    duration: number,
  ) => {
    const r = addRow(out);
    out.source[r] = sourceIdx;
    out.srcEp[r] = src.id;
    out.srcIp[r] = src.ip;
    out.dstEp[r] = dst.id;
    out.dstIp[r] = dst.ip;
    out.srcPort[r] = srcPort;
    out.dstPort[r] = dstPort;
    out.protocol[r] = shape.protocol;
    out.kind[r] = shape.kind;
    out.startMs[r] = start;
    out.durationMs[r] = duration;
    out.ppsF[r] = shape.ppsF;
    out.ppsR[r] = shape.ppsR;
    out.bpsF[r] = shape.bpsF;
    out.bpsR[r] = shape.bpsR;
  };
  scenario.traffic.forEach((p, i) => {
    const where = `traffic[${i}]`;
    const from = endpointPicker(net.resolve(p.from, `${where}.from`), table);
    const to = endpointPicker(net.resolve(p.to, `${where}.to`), table);
    const protocol = PROTOCOLS[p.protocol];
    const pStart = startMs + p.start * 1000;
    const pEnd = p.duration === undefined ? endMs : Math.min(endMs, pStart + p.duration * 1000);
    const firstMinute = Math.floor((pStart - startMs) / 60_000);
    const sourceIdx = sources.length;
    const head = labelHeadState(seed, `traffic:${p.name}:`);
    const shape: Shape = {
      protocol,
      kind: KIND_NORMAL,
      ppsF: p.packetsPerSecond.forward,
      ppsR: p.packetsPerSecond.reverse,
      bpsF: p.bytesPerSecond.forward,
      bpsR: p.bytesPerSecond.reverse,
    };
    sources.push({
      name: p.name,
      label: `traffic:${p.name}`,
      generate(m, minuteStartMs, out) {
        const winStart = Math.max(minuteStartMs, pStart);
        const winEnd = Math.min(minuteStartMs + START_WINDOW_MS, pEnd);
        if (winEnd <= winStart) return;
        const n = countInMinute(p.connectionsPerMinute, m - firstMinute);
        if (n === 0) return;
        rand.reseed(head, m);
        for (let k = 0; k < n; k++) {
          from(rand, pickA);
          to(rand, pickB);
          const srcPort =
            protocol === 1 ? 0 : p.sourcePorts ? pickPort(p.sourcePorts, rand) : ephemeral(rand);
          const dstPort = protocol === 1 ? 0 : pickPort(p.ports, rand);
          const start = winStart + Math.floor(rand.next() * (winEnd - winStart));
          row(out, sourceIdx, shape, pickA, pickB, srcPort, dstPort, start, p.sessionSeconds * 1000);
        }
      },
    });
  });

  const g = scenario.generators;
  const publicNics = net.nics.filter((n) => n.publicIp !== undefined);
  const nicEndpoint = (nic: EmuNic): Endpoint => ({ kind: 'nic', ip: nic.ip, nic });

  /** An address drawn from one of `prefixes` (as the generators' `external()` draws it). */
  const externalPicker = (prefixes: readonly string[], azure: boolean, label: string) => {
    const ids = prefixes.map((p) => table.sampledId(p, label, azure));
    const parsed = prefixes.map((p) => parsedPrefix(p));
    return (rand: Prng, out: Pick) => {
      const i = rand.int(0, prefixes.length - 1);
      out.id = ids[i];
      const p = parsed[i];
      out.ip = typeof p === 'string' ? 0 : addressNumberAt(p, rand.next());
    };
  };
  const perTarget = (
    label: string,
    targets: readonly Endpoint[],
    perMinute: number,
    make: (target: Pick, rand: Prng, minuteStartMs: number, out: ConnBatch, sourceIdx: number) => void,
  ) => {
    const sourceIdx = sources.length;
    const picks: Pick[] = targets.map((t) => ({ id: table.fixedId(t), ip: 0 }));
    const head = labelHeadState(seed, `${label}:`);
    sources.push({
      name: label,
      label,
      generate(m, minuteStartMs, out) {
        const n = countInMinute(perMinute, m);
        if (n === 0 || targets.length === 0) return;
        rand.reseed(head, m);
        for (const t of picks) for (let k = 0; k < n; k++) make(t, rand, minuteStartMs, out, sourceIdx);
      },
    });
  };
  const startIn = (rand: Prng, minuteStartMs: number) =>
    minuteStartMs + Math.floor(rand.next() * START_WINDOW_MS);

  if (g.internetScanners?.enabled) {
    const s = g.internetScanners;
    const ext = externalPicker(s.sourcePrefixes, false, 'scanner');
    const shape: Shape = { protocol: 6, kind: KIND_NORMAL, ppsF: 2, ppsR: 1, bpsF: 120, bpsR: 60 };
    perTarget('internetScanners', publicNics.map(nicEndpoint), s.perMinute, (dst, rand, ms, out, si) => {
      ext(rand, pickA);
      const sp = ephemeral(rand);
      const dp = pickPort(s.ports, rand);
      row(out, si, shape, pickA, dst, sp, dp, startIn(rand, ms), 1000);
    });
  }
  if (g.internetWeb?.enabled) {
    const w = g.internetWeb;
    const targets: Endpoint[] = w.to.length
      ? w.to.map((ref, i) => net.resolve(ref, `generators.internetWeb.to[${i}]`).first)
      : publicNics.map(nicEndpoint);
    const ext = externalPicker(w.sourcePrefixes, false, 'web-client');
    const shape: Shape = { protocol: 6, kind: KIND_NORMAL, ppsF: 12, ppsR: 20, bpsF: 1500, bpsR: 24000 };
    perTarget('internetWeb', targets, w.perMinute, (dst, rand, ms, out, si) => {
      ext(rand, pickA);
      const sp = ephemeral(rand);
      const dp = pickPort(w.ports, rand);
      const start = startIn(rand, ms);
      row(out, si, shape, pickA, dst, sp, dp, start, rand.int(1, 20) * 1000);
    });
  }
  if (g.platform?.enabled) {
    const pl = g.platform;
    const all = net.nics.map(nicEndpoint);
    const wire = { kind: 'external' as const, label: 'AzurePlatform', azure: true };
    const hostIp: Pick = { id: table.fixedId({ ...wire, ip: '168.63.129.16' }), ip: 0 };
    const imdsIp: Pick = { id: table.fixedId({ ...wire, ip: '169.254.169.254' }), ip: 0 };
    if (pl.dns) {
      const shape: Shape = { protocol: 17, kind: KIND_PLATFORM, ppsF: 1, ppsR: 1, bpsF: 74, bpsR: 120 };
      perTarget('platform:dns', all, pl.perMinute, (src, rand, ms, out, si) => {
        const sp = ephemeral(rand);
        row(out, si, shape, src, hostIp, sp, 53, startIn(rand, ms), 1000);
      });
    }
    if (pl.imds) {
      const shape: Shape = { protocol: 6, kind: KIND_PLATFORM, ppsF: 5, ppsR: 5, bpsF: 600, bpsR: 1800 };
      perTarget('platform:imds', all, pl.perMinute, (src, rand, ms, out, si) => {
        const sp = ephemeral(rand);
        row(out, si, shape, src, imdsIp, sp, 80, startIn(rand, ms), 1000);
      });
    }
    if (pl.healthProbes) {
      const shape: Shape = { protocol: 6, kind: KIND_NORMAL, ppsF: 3, ppsR: 3, bpsF: 180, bpsR: 180 };
      perTarget('platform:probe', all, pl.perMinute, (dst, rand, ms, out, si) => {
        const sp = ephemeral(rand);
        row(out, si, shape, hostIp, dst, sp, 80, startIn(rand, ms), 1000);
      });
    }
  }
  if (g.icmpPings?.enabled) {
    const ip = g.icmpPings;
    ip.pairs.forEach((pair, i) => {
      const from: EndpointSet = net.resolve(pair.from, `generators.icmpPings.pairs[${i}].from`);
      const to: EndpointSet = net.resolve(pair.to, `generators.icmpPings.pairs[${i}].to`);
      const src: Pick = { id: table.fixedId(from.first), ip: 0 };
      const shape: Shape = { protocol: 1, kind: KIND_NORMAL, ppsF: 1, ppsR: 1, bpsF: 98, bpsR: 98 };
      perTarget(`icmpPings:${i}`, [to.first], ip.perMinute, (dst, rand, ms, out, si) => {
        row(out, si, shape, src, dst, 0, 0, startIn(rand, ms), 4000);
      });
    });
  }
  if (g.encryptionNoise?.enabled) {
    const e = g.encryptionNoise;
    const encrypted = net.nics.filter((n) => n.vnet.encryption?.enabled);
    const ext = externalPicker(e.sourcePrefixes, true, 'azure-internal');
    const shape: Shape = { protocol: 6, kind: KIND_ENCRYPTION_NOISE, ppsF: 1, ppsR: 0, bpsF: 60, bpsR: 0 };
    perTarget(
      'encryptionNoise',
      (encrypted.length ? encrypted : net.nics).map(nicEndpoint),
      e.perMinute,
      (dst, rand, ms, out, si) => {
        ext(rand, pickA);
        const sp = ephemeral(rand);
        const dp = rand.int(1024, 65535);
        row(out, si, shape, pickA, dst, sp, dp, startIn(rand, ms), 1000);
      },
    );
  }
  return { sources, endpoints: table };
}

/** Row `r` of a batch as a `Connection` object. */
export function connectionAt(b: ConnBatch, r: number, cs: ConnectionSources): Connection {
  const kind = KIND_NAMES[b.kind[r]];
  const c: Connection = {
    source: cs.sources[b.source[r]].name,
    src: cs.endpoints.endpointOf(b.srcEp[r], b.srcIp[r]),
    dst: cs.endpoints.endpointOf(b.dstEp[r], b.dstIp[r]),
    srcPort: b.srcPort[r],
    dstPort: b.dstPort[r],
    protocol: b.protocol[r],
    kind,
    startMs: b.startMs[r],
    durationMs: b.durationMs[r],
    ppsFwd: b.ppsF[r],
    ppsRev: b.ppsR[r],
    bpsFwd: b.bpsF[r],
    bpsRev: b.bpsR[r],
  };
  if (kind === 'encryptionNoise') c.encryption = ENCRYPTION_NOISE_VALUE;
  return c;
}

/** The scenario's traffic as connection objects, minute by minute (same connections as the engine's). */
export function buildTrafficSources(
  net: EmuNetwork,
  seed: number,
  startMs: number,
  endMs: number,
): TrafficSource[] {
  const cs = buildConnectionSources(net, seed, startMs, endMs);
  const batch = createConnBatch(64);
  return cs.sources.map((s) => ({
    label: s.label,
    generate(m, minuteStartMs, out) {
      batch.n = 0;
      s.generate(m, minuteStartMs, batch);
      for (let r = 0; r < batch.n; r++) out.push(connectionAt(batch, r, cs));
    },
  }));
}
