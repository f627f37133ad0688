import { afterEach, describe, expect, it } from 'vitest';
import { createAnalyticsContext, createStaticTopology, type StaticTopology } from '../../src/analytics/index.js';
import { harness, tuple, v4, type Harness } from './helpers.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const topo: StaticTopology = {
  vnets: [
    {
      name: 'myVNet',
      resourceGroup: 'myResourceGroup',
      subscription: SUB,
      region: 'eastus2euap',
      addressSpace: ['10.0.0.0/16'],
      subnets: [{ name: 'default', prefixes: ['10.0.0.0/24'] }],
    },
  ],
  nics: [
    { name: 'vm1-nic', resourceGroup: 'myResourceGroup', vm: 'vm1', vnet: 'myVNet', subnet: 'default', ips: ['10.0.0.6'] },
    { name: 'vm2-nic', resourceGroup: 'myResourceGroup', vm: 'vm2', vnet: 'myVNet', subnet: 'default', ips: ['10.0.0.7'] },
  ],
};

// traffic-analytics-spec §8.2: the raw VNet tuples of the Microsoft sample, one connection group
const WORKED = [
  '1663146003637,10.0.0.6,203.0.113.17,22730,443,6,O,B,NX,0,0,0,0',
  '1663146003640,10.0.0.6,203.0.113.17,22730,443,6,O,E,NX,3,705,4,4569',
  '1663146004251,10.0.0.6,203.0.113.17,22732,443,6,O,B,NX,0,0,0,0',
  '1663146004251,10.0.0.6,203.0.113.17,22732,443,6,O,E,NX,3,705,4,4569',
  '1663146004622,10.0.0.6,203.0.113.17,22734,443,6,O,B,NX,0,0,0,0',
  '1663146004622,10.0.0.6,203.0.113.17,22734,443,6,O,E,NX,2,134,1,108',
];

const ROW_COLUMNS = `FlowType, SrcIp, DestIp, SrcPublicIps, DestPublicIps, SrcPorts, DestPort, L4Protocol, L7Protocol, FlowDirection,
  FlowStatus, AclGroup, AclRule, MacAddress, AllowedInFlows, AllowedOutFlows, DeniedInFlows, DeniedOutFlows, CompletedFlows,
  PacketsSrcToDest, BytesSrcToDest, PacketsDestToSrc, BytesDestToSrc, RecordCount, FlowEncryption,
  epoch_ms(FlowStartTime) AS FlowStartMs, epoch_ms(FlowEndTime) AS FlowEndMs,
  epoch_ms(FlowIntervalStartTime) AS IntervalStartMs, epoch_ms(FlowIntervalEndTime) AS IntervalEndMs,
  SrcVm, SrcNic, SrcSubnet, SrcSubscription, SrcRegion, TargetResourceId, TargetResourceType, FlowLogResourceId, FaSchemaVersion, SubType`;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const workedExpected = {
  FlowType: 'ExternalPublic',
  SrcIp: '10.0.0.6',
  DestIp: '',
  SrcPublicIps: '',
  DestPublicIps: '203.0.113.17|3|3|8|9|1544|9246',
  SrcPorts: '22730|22732|22734',
  DestPort: 443,
  L4Protocol: 'T',
  L7Protocol: 'https',
  FlowDirection: 'Outbound',
  FlowStatus: 'Allowed',
  AclGroup: '00000000-1234-abcd-ef00-c1c2c3c4c5c6',
  AclRule: 'DefaultRule_AllowInternetOutBound',
  MacAddress: '112233445566',
  AllowedInFlows: 0,
  AllowedOutFlows: 3,
  DeniedInFlows: 0,
  DeniedOutFlows: 0,
  CompletedFlows: 3,
  PacketsSrcToDest: 8,
  BytesSrcToDest: 1544,
  PacketsDestToSrc: 9,
  BytesDestToSrc: 9246,
  RecordCount: 6,
  FlowEncryption: 'Unencrypted',
  FlowStartMs: 1663146003637,
  FlowEndMs: 1663146004622,
  IntervalStartMs: Date.UTC(2022, 8, 14, 9, 0),
  IntervalEndMs: Date.UTC(2022, 8, 14, 9, 10),
  SrcVm: 'myResourceGroup/vm1',
  SrcNic: 'myResourceGroup/vm1-nic',
  SrcSubnet: 'myResourceGroup/myVNet/default',
  SrcSubscription: SUB,
  SrcRegion: 'eastus2euap',
  TargetResourceId: `${SUB}/myResourceGroup/myVNet`,
  TargetResourceType: 'VirtualNetwork',
  FlowLogResourceId: 'NETWORKWATCHERRG/NETWORKWATCHER_EASTUS2EUAP/VNETFLOWLOG',
  FaSchemaVersion: '3',
  SubType: 'FlowLog',
};

describe('aggregation into NTANetAnalytics', () => {
  it('reduces the worked example of spec §8.2 to the documented row', async () => {
    h = await harness(createAnalyticsContext({ topology: createStaticTopology(topo) }));
    await h.ingest(WORKED.map((t) => v4(t)));
    expect(await h.rows(`SELECT ${ROW_COLUMNS} FROM NTANetAnalytics`)).toEqual([workedExpected]);
  });

  it('gives the same row when the blocks of one interval arrive over several commits and blobs', async () => {
    h = await harness(createAnalyticsContext({ topology: createStaticTopology(topo) }));
    await h.ingest(WORKED.slice(0, 2).map((t) => v4(t)), 'blob-1');
    await h.ingest(WORKED.slice(2, 3).map((t) => v4(t)), 'blob-1');
    await h.ingest(WORKED.slice(3).map((t) => v4(t)), 'blob-2');
    expect(await h.rows(`SELECT ${ROW_COLUMNS} FROM NTANetAnalytics`)).toEqual([workedExpected]);
  });

  it('counts B/C/E/D: starts, continuations, completions and denials', async () => {
    h = await harness(createAnalyticsContext({ topology: createStaticTopology(topo) }));
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 5);
    await h.ingest([
      // one long TCP connection vm1 → vm2:22 captured at vm1: B, two C updates, E
      v4(`${t0},10.0.0.6,10.0.0.7,50000,22,6,O,B,X,,,,`),
      v4(`${t0 + 60_000},10.0.0.6,10.0.0.7,50000,22,6,O,C,X,10,1000,20,2000`),
      v4(`${t0 + 120_000},10.0.0.6,10.0.0.7,50000,22,6,O,C,X,5,500,6,600`),
      v4(`${t0 + 180_000},10.0.0.6,10.0.0.7,50000,22,6,O,E,X,1,100,2,200`),
      // a second connection on another source port, still open at the end of the interval
      v4(`${t0 + 200_000},10.0.0.6,10.0.0.7,50001,22,6,O,B,X,,,,`),
      // two denied attempts to the same port
      v4(`${t0 + 1000},10.0.0.6,10.0.0.7,50002,22,6,O,D,X,,,,`, { rule: 'UserRule_deny-ssh' }),
      v4(`${t0 + 2000},10.0.0.6,10.0.0.7,50003,22,6,O,D,X,,,,`, { rule: 'UserRule_deny-ssh' }),
    ]);
    const rows = await h.rows(
      `SELECT AclRule, FlowStatus, FlowType, AllowedOutFlows, DeniedOutFlows, CompletedFlows, PacketsSrcToDest, BytesSrcToDest,
        PacketsDestToSrc, BytesDestToSrc, RecordCount, SrcPorts, epoch_ms(FlowStartTime) AS s, epoch_ms(FlowEndTime) AS e, FlowEncryption,
        DestVm FROM NTANetAnalytics ORDER BY AclRule`,
    );
    expect(rows).toEqual([
      {
        AclRule: 'DefaultRule_AllowInternetOutBound',
        FlowStatus: 'Allowed',
        FlowType: 'IntraVNet',
        AllowedOutFlows: 2,
        DeniedOutFlows: 0,
        CompletedFlows: 1,
        PacketsSrcToDest: 16,
        BytesSrcToDest: 1600,
        PacketsDestToSrc: 28,
        BytesDestToSrc: 2800,
        RecordCount: 5,
        SrcPorts: '50000|50001',
        s: t0,
        e: t0 + 200_000,
        FlowEncryption: 'Encrypted',
        DestVm: 'myResourceGroup/vm2',
      },
      {
        AclRule: 'UserRule_deny-ssh',
        FlowStatus: 'Denied',
        FlowType: 'IntraVNet',
        AllowedOutFlows: 0,
        DeniedOutFlows: 2,
        CompletedFlows: 0,
        PacketsSrcToDest: 0,
        BytesSrcToDest: 0,
        PacketsDestToSrc: 0,
        BytesDestToSrc: 0,
        RecordCount: 2,
        SrcPorts: '50002|50003',
        s: t0 + 1000,
        e: t0 + 2000,
        FlowEncryption: 'Encrypted',
        DestVm: 'myResourceGroup/vm2',
      },
    ]);
  });

  it('gives two rows when both NICs log one connection, with equal bytes and opposite directions', async () => {
    h = await harness(createAnalyticsContext({ topology: createStaticTopology(topo) }));
    const t0 = Date.UTC(2026, 0, 1, 12, 1, 0);
    const conn = (dir: 'I' | 'O', state: 'B' | 'E', counters: string) =>
      `${t0 + (state === 'E' ? 30_000 : 0)},10.0.0.6,10.0.0.7,40000,80,6,${dir},${state},NX,${counters}`;
    await h.ingest([v4(conn('O', 'B', ',,,')), v4(conn('O', 'E', '4,400,5,5000'))].map((r) => ({ ...r, mac: 'AAAAAAAAAA01' })), 'vm1-blob');
    await h.ingest(
      [v4(conn('I', 'B', ',,,')), v4(conn('I', 'E', '4,400,5,5000'))].map((r) => ({ ...r, mac: 'AAAAAAAAAA02', rule: 'DefaultRule_AllowVnetInBound' })),
      'vm2-blob',
    );
    const rows = await h.rows(
      `SELECT MacAddress, FlowDirection, SrcIp, DestIp, AllowedInFlows, AllowedOutFlows, CompletedFlows, BytesSrcToDest, BytesDestToSrc, FlowType, L7Protocol
       FROM NTANetAnalytics ORDER BY MacAddress`,
    );
    expect(rows).toEqual([
      { MacAddress: 'AAAAAAAAAA01', FlowDirection: 'Outbound', SrcIp: '10.0.0.6', DestIp: '10.0.0.7', AllowedInFlows: 0, AllowedOutFlows: 1, CompletedFlows: 1, BytesSrcToDest: 400, BytesDestToSrc: 5000, FlowType: 'IntraVNet', L7Protocol: 'http' },
      { MacAddress: 'AAAAAAAAAA02', FlowDirection: 'Inbound', SrcIp: '10.0.0.6', DestIp: '10.0.0.7', AllowedInFlows: 1, AllowedOutFlows: 0, CompletedFlows: 1, BytesSrcToDest: 400, BytesDestToSrc: 5000, FlowType: 'IntraVNet', L7Protocol: 'http' },
    ]);
  });

  it('splits rows at interval edges, and counts a long flow as started only in its B interval', async () => {
    const edge = Date.UTC(2026, 0, 1, 12, 10, 0);
    const data = [
      v4(`${edge - 1},10.0.0.6,10.0.0.7,1111,443,6,O,B,NX,,,,`),
      v4(`${edge},10.0.0.6,10.0.0.7,1111,443,6,O,C,NX,1,10,2,20`),
      v4(`${edge + 9 * 60_000 + 59_999},10.0.0.6,10.0.0.7,1111,443,6,O,E,NX,3,30,4,40`),
      v4(`${edge + 10 * 60_000},10.0.0.6,10.0.0.7,2222,443,6,O,B,NX,,,,`),
    ];
    h = await harness(createAnalyticsContext({ topology: createStaticTopology(topo) }), 10);
    await h.ingest(data);
    const q = `SELECT epoch_ms(FlowIntervalStartTime) AS i, AllowedOutFlows AS started, CompletedFlows AS ended, BytesSrcToDest AS b, RecordCount AS n
      FROM NTANetAnalytics ORDER BY i`;
    expect(await h.rows(q)).toEqual([
      { i: edge - 10 * 60_000, started: 1, ended: 0, b: 0, n: 1 },
      { i: edge, started: 0, ended: 1, b: 40, n: 2 },
      { i: edge + 10 * 60_000, started: 1, ended: 0, b: 0, n: 1 },
    ]);
    await h.close();
    // the same data with a 60-minute interval: 12:00–13:00 holds all of it
    h = await harness(createAnalyticsContext({ topology: createStaticTopology(topo) }), 60);
    await h.ingest(data);
    expect(await h.rows(q)).toEqual([{ i: edge - 10 * 60_000, started: 2, ended: 1, b: 40, n: 4 }]);
    await h.close();
    // and 1 minute: each tuple in its own minute
    h = await harness(createAnalyticsContext({ topology: createStaticTopology(topo) }), 1);
    await h.ingest(data);
    expect((await h.rows(q)).map((r) => r.i)).toEqual([edge - 60_000, edge, edge + 9 * 60_000, edge + 10 * 60_000]);
  });

  it('folds NSG v2 tuples into AzureNetworkAnalytics_CL with I/O and A/D letters', async () => {
    h = await harness(createAnalyticsContext({ topology: createStaticTopology(topo) }));
    const nsg = '/SUBSCRIPTIONS/' + SUB + '/RESOURCEGROUPS/FABRIKAMRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/FABRIAKMVM1-NSG';
    const base = { version: 2 as const, flow_log_id: nsg, target_resource_id: null, acl_id: null, encryption: null, mac: '000D3AF87856' };
    const t = 1542110377000;
    await h.ingest([
      tuple({ ...base, time_ms: t, src_ip: '185.170.185.105', dst_ip: '10.0.0.6', src_port: 46792, dst_port: 3389, direction: 'I', state: 'B', decision: 'D', rule: 'DefaultRule_DenyAllInBound', packets_s2d: null, bytes_s2d: null, packets_d2s: null, bytes_d2s: null }),
      tuple({ ...base, time_ms: t, src_ip: '10.0.0.6', dst_ip: '13.67.143.118', src_port: 44931, dst_port: 443, direction: 'O', state: 'B', decision: 'A', rule: 'DefaultRule_AllowInternetOutBound', packets_s2d: null, bytes_s2d: null, packets_d2s: null, bytes_d2s: null }),
      tuple({ ...base, time_ms: t + 5000, src_ip: '10.0.0.6', dst_ip: '13.67.143.118', src_port: 44931, dst_port: 443, direction: 'O', state: 'E', decision: 'A', rule: 'DefaultRule_AllowInternetOutBound', packets_s2d: 66, bytes_s2d: 5000, packets_d2s: 70, bytes_d2s: 90000 }),
    ]);
    const rows = await h.rows(
      `SELECT FlowType_s, FlowDirection_s, FlowStatus_s, NSGList_s, NSGRule_s, NSGRuleType_s, SrcIP_s, DestIP_s, SrcPublicIPs_s, DestPublicIPs_s,
        AllowedInFlows_d, DeniedInFlows_d, AllowedOutFlows_d, CompletedFlows_d, OutboundPackets_d, InboundPackets_d, OutboundBytes_d, InboundBytes_d,
        FASchemaVersion_s, VM1_s, VM2_s FROM AzureNetworkAnalytics_CL ORDER BY FlowDirection_s`,
    );
    expect(rows).toEqual([
      {
        FlowType_s: 'ExternalPublic', FlowDirection_s: 'I', FlowStatus_s: 'D', NSGList_s: `${SUB}/FABRIKAMRG/FABRIAKMVM1-NSG`, NSGRule_s: 'DefaultRule_DenyAllInBound',
        NSGRuleType_s: 'Default', SrcIP_s: '', DestIP_s: '10.0.0.6', SrcPublicIPs_s: '185.170.185.105|1|0|0|0|0|0', DestPublicIPs_s: '',
        AllowedInFlows_d: 0, DeniedInFlows_d: 1, AllowedOutFlows_d: 0, CompletedFlows_d: 0, OutboundPackets_d: 0, InboundPackets_d: 0, OutboundBytes_d: 0, InboundBytes_d: 0,
        FASchemaVersion_s: '2', VM1_s: '', VM2_s: 'myResourceGroup/vm1',
      },
      {
        FlowType_s: 'ExternalPublic', FlowDirection_s: 'O', FlowStatus_s: 'A', NSGList_s: `${SUB}/FABRIKAMRG/FABRIAKMVM1-NSG`, NSGRule_s: 'DefaultRule_AllowInternetOutBound',
        NSGRuleType_s: 'Default', SrcIP_s: '10.0.0.6', DestIP_s: '', SrcPublicIPs_s: '', DestPublicIPs_s: '13.67.143.118|1|1|66|70|5000|90000',
        AllowedInFlows_d: 0, DeniedInFlows_d: 0, AllowedOutFlows_d: 1, CompletedFlows_d: 1, OutboundPackets_d: 66, InboundPackets_d: 70, OutboundBytes_d: 5000, InboundBytes_d: 90000,
        FASchemaVersion_s: '2', VM1_s: 'myResourceGroup/vm1', VM2_s: '',
      },
    ]);
    // NSG rows do not leak into the VNet flow log table
    expect(await h.rows('SELECT count(*) AS n FROM NTANetAnalytics')).toEqual([{ n: 0 }]);
  });
});
