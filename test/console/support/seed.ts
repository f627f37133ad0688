/**
 * Deterministic hub-and-spoke flow data written through the store module (tuples plus the
 * Traffic Analytics partial rows the views fold), used until the emulator and analytics stages
 * can fill a store from examples/hub-spoke.yaml. Every number the console tests expect is
 * queried back from the store, never taken from here.
 */
import { flowBatchFromRows, type FlowRow } from '../../../src/formats/flowbatch.js';
import { TA_FLOW_PARTIALS, TA_IP_PARTIALS } from '../../../src/store/index.js';
import type { Store, TableRows } from '../../../src/store/types.js';
import type { ConsoleTopology } from '../../../src/console/index.js';

export const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);
const SUB = '00000000-0000-0000-0000-000000000001';

interface Host {
  ip: string;
  vm: string;
  nic: string;
  subnet: string;
  vnet: string;
  mac: string;
}

const host = (ip: string, vm: string, subnet: string, mac: string): Host => {
  const [rg, vnet] = subnet.split('/');
  return { ip, vm: `rg-app/${vm}`, nic: `rg-app/${vm}-nic`, subnet, vnet: `${rg}/${vnet}`, mac };
};

export const HOSTS = {
  jump: host('10.0.1.4', 'vm-jump', 'rg-net/hub-vnet/mgmt', '000D3A000001'),
  web1: host('10.1.0.4', 'vm-web1', 'rg-net/spoke1-vnet/web', '000D3A000002'),
  web2: host('10.1.0.5', 'vm-web2', 'rg-net/spoke1-vnet/web', '000D3A000003'),
  app1: host('10.1.1.4', 'vm-app1', 'rg-net/spoke1-vnet/app', '000D3A000004'),
  db1: host('10.2.0.4', 'vm-db1', 'rg-net/spoke2-vnet/data', '000D3A000005'),
};

export const PUBLIC = {
  us: { ip: '203.0.113.17', country: 'US', type: 'ExternalPublic' },
  de: { ip: '198.51.100.7', country: 'DE', type: 'ExternalPublic' },
  bad: { ip: '192.0.2.66', country: 'NL', type: 'MaliciousFlow', threat: 'Botnet', description: 'test botnet node' },
  storage: { ip: '20.38.0.1', region: 'westeurope', type: 'AzurePublic' },
};

const NSG_SPOKE1 = `${SUB}/rg-net/nsg-spoke1`;
const NSG_SPOKE2 = `${SUB}/rg-net/nsg-spoke2`;
const AVNM_GROUP = `${SUB}/rg-net/ng-all-spokes`;

export const TOPOLOGY: ConsoleTopology = {
  vnets: [{ id: 'rg-net/hub-vnet' }, { id: 'rg-net/spoke1-vnet' }, { id: 'rg-net/spoke2-vnet' }],
  subnets: [
    { id: 'rg-net/hub-vnet/mgmt', prefix: '10.0.1.0/24' },
    { id: 'rg-net/spoke1-vnet/web', prefix: '10.1.0.0/24' },
    { id: 'rg-net/spoke1-vnet/app', prefix: '10.1.1.0/24' },
    { id: 'rg-net/spoke2-vnet/data', prefix: '10.2.0.0/24' },
    { id: 'rg-net/spoke2-vnet/pe', prefix: '10.2.9.0/24' },
  ],
  vms: Object.values(HOSTS).map((h) => ({ id: h.vm, subnet: h.subnet, ips: [h.ip] })),
  peerings: [
    { a: 'rg-net/hub-vnet', b: 'rg-net/spoke1-vnet' },
    { a: 'rg-net/hub-vnet', b: 'rg-net/spoke2-vnet' },
  ],
  privateEndpoints: [{ id: 'rg-data/pe-storage', subnet: 'rg-net/spoke2-vnet/pe', ip: '10.2.9.4', target: 'stflowlens' }],
  rules: [
    { aclGroup: NSG_SPOKE1, rule: 'UserRule_allow-https', kind: 'nsg' },
    { aclGroup: NSG_SPOKE1, rule: 'UserRule_allow-app', kind: 'nsg' },
    { aclGroup: NSG_SPOKE1, rule: 'UserRule_allow-legacy-ftp', kind: 'nsg' },
    { aclGroup: NSG_SPOKE1, rule: 'DefaultRule_DenyAllInBound', kind: 'nsg' },
    { aclGroup: NSG_SPOKE1, rule: 'DefaultRule_AllowInternetOutBound', kind: 'nsg' },
    { aclGroup: NSG_SPOKE2, rule: 'UserRule_allow-sql', kind: 'nsg' },
    { aclGroup: AVNM_GROUP, rule: 'deny-ssh-from-internet', kind: 'avnm' },
    { aclGroup: AVNM_GROUP, rule: 'deny-telnet', kind: 'avnm' },
  ],
};

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FlowSpec {
  src: Host | null;
  dst: Host | null;
  srcPublic?: string;
  dstPublic?: string;
  port: number;
  protocol: number;
  allow: boolean;
  group: string;
  rule: string;
  flowType: string;
  country?: string;
  region?: string;
  encryption: string;
}

function scenarioFlows(minute: number, rand: () => number): FlowSpec[] {
  const h = HOSTS;
  const flows: FlowSpec[] = [];
  const web = rand() < 0.5 ? h.web1 : h.web2;
  for (let i = 0; i < 3; i++) flows.push({ src: web, dst: h.app1, port: 8080, protocol: 6, allow: true, group: NSG_SPOKE1, rule: 'UserRule_allow-app', flowType: 'IntraVNet', encryption: 'NX' });
  flows.push({ src: h.app1, dst: h.db1, port: 1433, protocol: 6, allow: true, group: NSG_SPOKE2, rule: 'UserRule_allow-sql', flowType: 'InterVNet', encryption: 'X' });
  flows.push({ src: h.jump, dst: web, port: 22, protocol: 6, allow: true, group: NSG_SPOKE1, rule: 'UserRule_allow-https', flowType: 'InterVNet', encryption: 'NX' });
  flows.push({ src: web, dst: null, dstPublic: PUBLIC.us.ip, port: 443, protocol: 6, allow: true, group: NSG_SPOKE1, rule: 'DefaultRule_AllowInternetOutBound', flowType: 'ExternalPublic', country: 'US', encryption: 'NX' });
  if (minute % 3 === 0) flows.push({ src: h.db1, dst: null, dstPublic: PUBLIC.de.ip, port: 123, protocol: 17, allow: true, group: NSG_SPOKE2, rule: 'DefaultRule_AllowInternetOutBound', flowType: 'ExternalPublic', country: 'DE', encryption: 'NX' });
  if (minute % 2 === 0) flows.push({ src: h.app1, dst: null, dstPublic: PUBLIC.storage.ip, port: 443, protocol: 6, allow: true, group: NSG_SPOKE1, rule: 'DefaultRule_AllowInternetOutBound', flowType: 'AzurePublic', region: 'westeurope', encryption: 'NX' });
  // A scanner knocks on SSH every few minutes, and hard during minutes 40–42.
  const knocks = minute >= 40 && minute <= 42 ? 12 : minute % 5 === 0 ? 1 : 0;
  for (let i = 0; i < knocks; i++) flows.push({ src: null, dst: h.web1, srcPublic: PUBLIC.bad.ip, port: 22, protocol: 6, allow: false, group: AVNM_GROUP, rule: 'deny-ssh-from-internet', flowType: 'MaliciousFlow', country: 'NL', encryption: 'NX' });
  if (minute % 7 === 0) flows.push({ src: null, dst: h.web2, srcPublic: PUBLIC.de.ip, port: 3389, protocol: 6, allow: false, group: NSG_SPOKE1, rule: 'DefaultRule_DenyAllInBound', flowType: 'ExternalPublic', country: 'DE', encryption: 'NX' });
  return flows;
}

const PARTIAL_DEFAULTS: Record<string, unknown> = {};
for (const c of TA_FLOW_PARTIALS.columns) PARTIAL_DEFAULTS[c.name] = c.kind === 'dict' ? '' : c.kind === 'u16list' ? [] : c.nullable ? null : 0;

function toTableRows(table: string, columns: readonly { name: string; kind: string }[], objects: Record<string, unknown>[]): TableRows {
  const out: TableRows = { table, length: objects.length, columns: {} };
  for (const c of columns) {
    if (c.kind === 'u16list') {
      const offsets = new Uint32Array(objects.length + 1);
      const values: number[] = [];
      objects.forEach((o, i) => {
        values.push(...(o[c.name] as number[]));
        offsets[i + 1] = values.length;
      });
      out.columns[c.name] = { kind: 'u16list', offsets, values: Uint16Array.from(values) };
    } else {
      out.columns[c.name] = objects.map((o) => o[c.name]);
    }
  }
  return out;
}

/** One emulated minute = one blob block: tuples, partial aggregates and IP details. */
export function minuteCommit(minute: number, blob: string, blockIndex: number) {
  const rand = rng(1000 + minute);
  const base = T0 + minute * 60_000;
  const minuteMs = base - (base % 60_000);
  const tuples: FlowRow[] = [];
  const partials: Record<string, unknown>[] = [];
  const ipRows: Record<string, unknown>[] = [];
  const block = `block-${String(blockIndex).padStart(4, '0')}`;
  scenarioFlows(minute, rand).forEach((f, i) => {
    const time = base + 1000 + i * 700 + Math.floor(rand() * 500);
    const srcIp = f.src?.ip ?? (f.srcPublic as string);
    const dstIp = f.dst?.ip ?? (f.dstPublic as string);
    const capture = f.src ?? (f.dst as Host);
    const direction: 'I' | 'O' = f.src ? 'O' : 'I';
    const srcPort = 30000 + Math.floor(rand() * 30000);
    const bytesOut = 200 + Math.floor(rand() * 5000);
    const bytesIn = 500 + Math.floor(rand() * 20000);
    const common = {
      record_time: new Date(time).toISOString(),
      version: 4 as const,
      mac: capture.mac,
      flow_log_id: `${SUB}/NETWORKWATCHERRG/NETWORKWATCHER_WESTEUROPE/FLOWLOG-${capture.vnet.split('/')[1].toUpperCase()}`,
      target_resource_id: `${SUB}/rg-net/${capture.vnet.split('/')[1]}`,
      acl_id: '00000000-0000-0000-0000-0000000000aa',
      rule: f.rule,
      src_ip: srcIp,
      dst_ip: dstIp,
      src_port: srcPort,
      dst_port: f.port,
      protocol: f.protocol,
      direction,
      encryption: f.encryption,
      blob,
      block,
    };
    if (f.allow) {
      tuples.push({ ...common, time_ms: time, state: 'B', decision: 'A', packets_s2d: 0, bytes_s2d: 0, packets_d2s: 0, bytes_d2s: 0 });
      tuples.push({ ...common, time_ms: time + 300, state: 'E', decision: 'A', packets_s2d: 4, bytes_s2d: bytesOut, packets_d2s: 6, bytes_d2s: bytesIn });
    } else {
      tuples.push({ ...common, time_ms: time, state: 'D', decision: 'D', packets_s2d: null, bytes_s2d: null, packets_d2s: null, bytes_d2s: null });
    }
    const publicIp = f.srcPublic ?? f.dstPublic ?? '';
    partials.push({
      ...PARTIAL_DEFAULTS,
      minute_ms: minuteMs,
      version: 4,
      mac: capture.mac,
      flow_log_id: common.flow_log_id,
      target_resource_id: common.target_resource_id,
      target_resource_type: 'VirtualNetwork',
      src_ip: f.src?.ip ?? '',
      dst_ip: f.dst?.ip ?? '',
      public_ip: publicIp,
      public_side: f.srcPublic ? 1 : f.dstPublic ? 2 : 0,
      dst_port: f.port,
      protocol: f.protocol,
      direction: direction === 'I' ? 0 : 1,
      decision: f.allow ? 0 : 1,
      acl_group: f.group,
      acl_rule: f.rule,
      rule_type: f.rule.startsWith('DefaultRule') ? 'Default' : 'User Defined',
      encryption: f.encryption === 'X' ? 'Encrypted' : 'Unencrypted',
      flow_type: f.flowType,
      country: f.country ?? '',
      azure_region: f.region ?? '',
      src_subscription: f.src ? SUB : '',
      dest_subscription: f.dst ? SUB : '',
      src_region: f.src ? 'westeurope' : '',
      dest_region: f.dst ? 'westeurope' : '',
      src_nic: f.src?.nic ?? '',
      dest_nic: f.dst?.nic ?? '',
      src_vm: f.src?.vm ?? '',
      dest_vm: f.dst?.vm ?? '',
      src_subnet: f.src?.subnet ?? '',
      dest_subnet: f.dst?.subnet ?? '',
      src_vnet: f.src?.vnet ?? '',
      dest_vnet: f.dst?.vnet ?? '',
      connection_type: f.src && f.dst && f.src.vnet !== f.dst.vnet ? 'VNetPeering' : '',
      src_ports: [srcPort],
      allowed_in: f.allow && direction === 'I' ? 1 : 0,
      allowed_out: f.allow && direction === 'O' ? 1 : 0,
      denied_in: !f.allow && direction === 'I' ? 1 : 0,
      denied_out: !f.allow && direction === 'O' ? 1 : 0,
      started: f.allow ? 1 : 0,
      completed: f.allow ? 1 : 0,
      packets_s2d: f.allow ? 4 : 0,
      bytes_s2d: f.allow ? bytesOut : 0,
      packets_d2s: f.allow ? 6 : 0,
      bytes_d2s: f.allow ? bytesIn : 0,
      record_count: f.allow ? 2 : 1,
      first_ms: time,
      last_ms: f.allow ? time + 300 : time,
      last_begin_ms: time,
      blob,
    });
    if (publicIp) {
      const p = Object.values(PUBLIC).find((x) => x.ip === publicIp) as { ip: string; type: string; country?: string; region?: string; threat?: string; description?: string };
      ipRows.push({
        minute_ms: minuteMs,
        version: 4,
        ip: publicIp,
        flow_type: p.type,
        location: p.country ?? p.region ?? '',
        public_ip_details: p.region ? 'Azure Storage' : 'example network',
        threat_type: p.threat ?? '',
        threat_description: p.description ?? '',
        blob,
      });
    }
  });
  return {
    tuples: [flowBatchFromRows(tuples)],
    derived: [toTableRows('ta_flow_partials', TA_FLOW_PARTIALS.columns, partials), toTableRows('ta_ip_partials', TA_IP_PARTIALS.columns, ipRows)],
  };
}

const BLOB = 'insights-logs-flowlogflowevent/flowLogResourceID=/TEST/y=2026/m=11/d=20/h=10/m=00/macAddress=ALL/PT1H.json';

/** Writes minutes [from, to) as consecutive blocks of one blob. */
export async function seedMinutes(store: Store, from: number, to: number): Promise<void> {
  for (let minute = from; minute < to; minute++) {
    const unit = minuteCommit(minute, BLOB, minute);
    await store.commit({
      checkpoint: { source: 'seed', blob: BLOB, lastBlockId: `block-${minute}`, blockCount: minute + 1, byteOffset: (minute + 1) * 1000, etag: null, updatedAt: new Date(T0 + minute * 60_000).toISOString() },
      tuples: unit.tuples,
      derived: unit.derived,
    });
  }
}
