import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { runKql } from '../../src/query/index.js';
import { startClickHouseCluster, type ClickHouseCluster } from '../support/clickhouse.js';
import { commitGeneratedHour } from '../store/generate.js';

/**
 * `runKql` through the real stores: the same generated hour committed to DuckDB and to a
 * two-shard ClickHouse cluster; typical Traffic Analytics KQL (the bench's five queries and a
 * few joins) must return the same rows from both, with the schema read from each store.
 */
const QUERIES: Record<string, string> = {
  topTalkers: `NTANetAnalytics | where SubType == 'FlowLog' and isnotempty(SrcIp) | summarize TotalBytes = sum(BytesSrcToDest + BytesDestToSrc) by SrcIp | top 10 by TotalBytes desc`,
  deniedByRule: `NTANetAnalytics | where FlowStatus == 'Denied' | summarize Flows = count(), Sources = dcount(SrcIp) by AclRule | sort by Flows desc, AclRule asc`,
  bytesPerHour: `NTANetAnalytics | summarize Bytes = sum(BytesSrcToDest + BytesDestToSrc) by FlowType, bin(TimeGenerated, 1h) | sort by FlowType asc, TimeGenerated asc`,
  portsPerPair: `NTANetAnalytics | summarize Ports = dcount(DestPort), Bytes = sum(BytesSrcToDest) by SrcIp, DestIp | sort by Ports desc, SrcIp asc, DestIp asc | take 20`,
  joinIpDetails: `NTANetAnalytics | where FlowType in ('ExternalPublic', 'MaliciousFlow') | extend Ip = tostring(split(tostring(split(DestPublicIps, " ")[0]), "|")[0]) | join kind=leftouter (NTAIpDetails | distinct Ip, Location) on Ip | summarize n = count() by FlowType, Location | sort by FlowType asc, Location asc`,
  antiJoin: `NTANetAnalytics | distinct FlowType | join kind=leftanti (NTANetAnalytics | where FlowType == 'IntraVNet' | distinct FlowType) on FlowType | sort by FlowType asc`,
  innerUnique: `NTANetAnalytics | summarize Bytes = sum(BytesSrcToDest) by FlowType, SrcIp | join (NTANetAnalytics | summarize Flows = count() by FlowType) on FlowType | sort by FlowType asc, SrcIp asc`,
  tuples: `FlowTuples | summarize n = count(), bytes = sum(bytes_s2d) by state | sort by state asc`,
};

let cluster: ClickHouseCluster;
let duck: Store;
let ch: Store;

beforeAll(async () => {
  cluster = await startClickHouseCluster({ shards: 2 });
  duck = await openStore({ db: ':memory:' });
  ch = await openStore({ clickhouse: cluster.urls, cluster: cluster.cluster, database: 'flowlens_query' });
  await commitGeneratedHour([duck, ch], { minutesPerCommit: 30 });
}, 600_000);

afterAll(async () => {
  await duck?.close();
  await ch?.close();
  await cluster?.stop();
});

describe('runKql on the DuckDB store and on a two-shard ClickHouse cluster', () => {
  for (const [name, kql] of Object.entries(QUERIES)) {
    it(name, async () => {
      const a = await runKql(duck, kql);
      const b = await runKql(ch, kql);
      expect(a.rows.length).toBeGreaterThan(0);
      expect(b.columns).toEqual(a.columns);
      expect(b.rows).toEqual(a.rows);
    });
  }
});
