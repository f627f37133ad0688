/**
 * A deterministic hour of VNet flow log tuples (v4) for store tests, in FlowBatches shaped like
 * ingestion's: one blob per NIC, one commit per minute block. Stand-in until the emulator's
 * hub-spoke output is available to these tests.
 */
import { allocateFlowBatch, createInterner, FlowState, type FlowBatch } from '../../src/formats/flowbatch.js';
import {
  analyze,
  createAnalyticsContext,
  createStaticTopology,
  parseGeoCsv,
  parseServiceTags,
  parseThreatList,
  type StaticTopology,
} from '../../src/analytics/index.js';
import type { Store } from '../../src/store/index.js';

export const GEN_SUB = '0f0f0f0f-1111-2222-3333-444444444444';

export const genTopology: StaticTopology = {
  vnets: ['hub:10.0', 'spoke1:10.1', 'spoke2:10.2'].map((x) => {
    const [name, p] = x.split(':');
    return {
      name,
      resourceGroup: 'rg-net',
      subscription: GEN_SUB,
      region: 'westeurope',
      addressSpace: [`${p}.0.0/16`],
      subnets: [{ name: 'default', prefixes: [`${p}.0.0/24`] }],
    };
  }),
  nics: Array.from({ length: 12 }, (_, i) => ({
    name: `vm${i}-nic`,
    resourceGroup: 'rg-app',
    vm: `vm${i}`,
    vnet: ['hub', 'spoke1', 'spoke2'][i % 3],
    subnet: 'default',
    ips: [`10.${i % 3}.0.${10 + i}`],
  })),
  peerings: [
    { a: 'hub', b: 'spoke1' },
    { a: 'hub', b: 'spoke2' },
  ],
  sites: [{ prefixes: ['192.168.50.0/24'], flowType: 'S2S', connectionType: 'VpnGateway', connectionName: `${GEN_SUB}/rg-net/branch` }],
};

export interface GeneratedCommit {
  blob: string;
  block: number;
  batch: FlowBatch;
}

/** `minutesPerCommit` > 1 groups several minute blocks per commit (fewer, larger commits). */
export function generateHour(
  options: { startMs?: number; tuplesPerMinute?: number; seed?: number; minutesPerCommit?: number } = {},
): GeneratedCommit[] {
  const start = options.startMs ?? Date.UTC(2026, 10, 26, 10, 0, 0);
  const perMinute = options.tuplesPerMinute ?? 40;
  let seed = options.seed ?? 7;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), seed / 4294967296);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const nics = genTopology.nics!;
  const peers = [
    ...nics.map((n) => n.ips[0]),
    '192.168.50.7',
    '192.168.77.1',
    '203.0.113.5',
    '203.0.113.9',
    '198.51.100.20',
    '20.60.1.1',
    '168.63.129.16',
  ];
  const commits: GeneratedCommit[] = [];
  const step = options.minutesPerCommit ?? 1;
  for (let first = 0; first < 60; first += step) {
    for (let k = 0; k < nics.length; k++) {
      const nic = nics[k];
      const blob = `flowLogResourceID=/SUB/FL/y=2026/m=11/d=26/h=10/m=00/macAddress=00AABBCC00${String(k).padStart(2, '0')}/PT1H.json`;
      const minutes = Math.min(step, 60 - first);
      const n = minutes * (perMinute + Math.floor(rand() * perMinute));
      const b = allocateFlowBatch(n);
      const it = createInterner(b.strings);
      for (let i = 0; i < n; i++) {
        const minute = first + Math.floor((i * minutes) / n);
        const outbound = rand() < 0.6;
        const peer = pick(peers);
        const self = nic.ips[0];
        const st = rand();
        const state = st < 0.35 ? FlowState.B : st < 0.55 ? FlowState.C : st < 0.9 ? FlowState.E : FlowState.D;
        const has = state === FlowState.C || state === FlowState.E;
        b.time_ms[i] = start + minute * 60_000 + Math.floor(rand() * 60_000);
        b.version[i] = 4;
        b.record_time[i] = it.intern(new Date(start + minute * 60_000 + 59_000).toISOString());
        b.mac[i] = it.intern(`00AABBCC00${String(k).padStart(2, '0')}`);
        b.flow_log_id[i] = it.intern(
          `/SUBSCRIPTIONS/${GEN_SUB}/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_WESTEUROPE/FLOWLOGS/FL-${nic.vnet}`,
        );
        b.target_resource_id[i] = it.intern(`/subscriptions/${GEN_SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/${nic.vnet}`);
        b.acl_id[i] = it.intern('00000000-0000-0000-0000-00000000acl1');
        b.rule[i] = it.intern(state === FlowState.D ? 'UserRule_deny-all' : outbound ? 'DefaultRule_AllowInternetOutBound' : 'DefaultRule_AllowVnetInBound');
        b.src_ip[i] = it.intern(outbound ? self : peer);
        b.dst_ip[i] = it.intern(outbound ? peer : self);
        b.src_port[i] = 1024 + Math.floor(rand() * 200);
        b.dst_port[i] = pick([22, 80, 443, 443, 1433, 3389]);
        b.protocol[i] = rand() < 0.9 ? 6 : 17;
        b.direction[i] = outbound ? 1 : 0;
        b.state[i] = state;
        b.decision[i] = state === FlowState.D ? 1 : 0;
        b.encryption[i] = it.intern(rand() < 0.5 ? 'NX' : 'X');
        b.packets_s2d[i] = has ? Math.floor(rand() * 50) : NaN;
        b.bytes_s2d[i] = has ? Math.floor(rand() * 50_000) : NaN;
        b.packets_d2s[i] = has ? Math.floor(rand() * 50) : NaN;
        b.bytes_d2s[i] = has ? Math.floor(rand() * 500_000) : NaN;
        b.blob[i] = it.intern(blob);
        b.block[i] = it.intern(`block-${minute}`);
      }
      b.length = n;
      commits.push({ blob, block: Math.floor(first / step) + 1, batch: b });
    }
  }
  return commits;
}

/**
 * Commits a generated hour, with its Traffic Analytics partials, into every given store alike:
 * the shared fixture of the DuckDB-vs-ClickHouse parity tests.
 */
export async function commitGeneratedHour(stores: readonly Store[], options: { minutesPerCommit: number }): Promise<void> {
  const ctx = createAnalyticsContext({
    topology: createStaticTopology(genTopology),
    serviceTags: parseServiceTags(
      JSON.stringify({ values: [{ name: 'Storage.WestEurope', properties: { region: 'westeurope', systemService: 'AzureStorage', addressPrefixes: ['20.60.0.0/16'] } }] }),
      'tags.json',
    ),
    threats: parseThreatList('198.51.100.20,Botnet,generated', 'threats.csv'),
    geo: parseGeoCsv('198.51.100.0,198.51.100.255,US\n203.0.113.0,203.0.113.255,JP\n', 'geo.csv'),
  });
  for (const c of generateHour({ tuplesPerMinute: 15, minutesPerCommit: options.minutesPerCommit })) {
    const unit = {
      checkpoint: { source: 'gen', blob: c.blob, lastBlockId: `block-${c.block}`, blockCount: c.block, byteOffset: c.block * 1000, etag: null, updatedAt: new Date(0).toISOString() },
      tuples: [c.batch],
      derived: analyze(c.batch, ctx),
    };
    for (const store of stores) await store.commit(unit);
  }
}
