import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { startClickHouseCluster, type ClickHouseCluster } from '../support/clickhouse.js';
import { commitGeneratedHour } from './generate.js';

/**
 * The same hour of tuples into DuckDB and into a two-shard ClickHouse cluster must answer a
 * fixed query set identically. (Uses a deterministic generated hour; switch to an emulated hour
 * of examples/hub-spoke.yaml once the emulator is in.)
 */
const ROW_COLUMNS = `FlowType, SrcIp, DestIp, DestPort, L4Protocol, L7Protocol, FlowDirection, FlowStatus, AclRule, MacAddress, SrcPorts,
    SrcPublicIps, DestPublicIps, Country, AzureRegion, SrcVm, DestVm, SrcSubnet, DestSubnet, ConnectionType, ConnectionName, FlowEncryption,
    AllowedInFlows, AllowedOutFlows, DeniedInFlows, DeniedOutFlows, CompletedFlows, BytesSrcToDest, BytesDestToSrc, RecordCount`;

const QUERIES: Record<string, string> = {
  tuples: 'SELECT count(*) FROM FlowTuples',
  tupleSums: `SELECT state, count(*), sum(packets_s2d), sum(bytes_s2d), sum(packets_d2s), sum(bytes_d2s) FROM FlowTuples GROUP BY state ORDER BY state`,
  ntaRows: 'SELECT count(*) FROM NTANetAnalytics',
  perFlowType: `SELECT FlowType, count(*), sum(PacketsSrcToDest), sum(PacketsDestToSrc), sum(BytesSrcToDest), sum(BytesDestToSrc),
    sum(AllowedInFlows), sum(AllowedOutFlows), sum(DeniedInFlows), sum(DeniedOutFlows), sum(CompletedFlows), sum(RecordCount)
    FROM NTANetAnalytics GROUP BY FlowType ORDER BY FlowType`,
  topTalkers: `SELECT SrcIp, sum(BytesSrcToDest + BytesDestToSrc) AS total FROM NTANetAnalytics WHERE SrcIp <> ''
    GROUP BY SrcIp ORDER BY total DESC, SrcIp LIMIT 10`,
  rows: `SELECT ${ROW_COLUMNS} FROM NTANetAnalytics ORDER BY ${ROW_COLUMNS}`,
  ipDetails: 'SELECT Ip, FlowType, Location, PublicIpDetails, ThreatType, count(*) FROM NTAIpDetails GROUP BY Ip, FlowType, Location, PublicIpDetails, ThreatType ORDER BY Ip',
};

let cluster: ClickHouseCluster;
let duck: Store;
let ch: Store;

beforeAll(async () => {
  cluster = await startClickHouseCluster({ shards: 2 });
  duck = await openStore({ db: ':memory:' });
  ch = await openStore({ clickhouse: cluster.urls, cluster: cluster.cluster, database: 'flowlens_parity' });
  // commits interleave blobs minute by minute, as a follow-mode ingest would
  await commitGeneratedHour([duck, ch], { minutesPerCommit: 25 });
}, 600_000);

afterAll(async () => {
  await duck?.close();
  await ch?.close();
  await cluster?.stop();
});

describe('DuckDB and a two-shard ClickHouse cluster answer alike', () => {
  for (const [name, sql] of Object.entries(QUERIES)) {
    it(name, async () => {
      const a = (await duck.query(sql)).rows;
      const b = (await ch.query(sql)).rows;
      expect(a.length).toBeGreaterThan(0);
      expect(b).toEqual(a);
    });
  }

  it('the generated hour exercises several flow types', async () => {
    const types = (await duck.query('SELECT DISTINCT FlowType FROM NTANetAnalytics ORDER BY FlowType')).rows.map((r) => r[0]);
    expect(types).toEqual(['AzurePublic', 'ExternalPublic', 'InterVNet', 'IntraVNet', 'MaliciousFlow', 'S2S', 'Unknown Private']);
  });
});
