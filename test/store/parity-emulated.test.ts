import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze, createAnalyticsContext, topologyFromScenario } from '../../src/analytics/index.js';
import { emulateMinutes } from '../../src/emulator/index.js';
import { decodeBuffer, HEAD_BLOCK } from '../../src/formats/index.js';
import { loadScenario } from '../../src/model/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { startClickHouseCluster, type ClickHouseCluster } from '../support/clickhouse.js';

/**
 * An emulated hour of examples/hub-spoke.yaml (VNet flow logs v4 and an NSG flow log v2), ingested
 * into DuckDB and a two-shard ClickHouse cluster block group by block group, answers a fixed query
 * set identically.
 */
const SCENARIO = fileURLToPath(new URL('../../examples/hub-spoke.yaml', import.meta.url));
const QUERIES: Record<string, string> = {
  tuples: 'SELECT count(*) FROM FlowTuples',
  tuplesPerVersion: 'SELECT version, count(*), sum(bytes_s2d), sum(bytes_d2s), sum(packets_s2d), sum(packets_d2s) FROM FlowTuples GROUP BY version ORDER BY version',
  ntaRows: 'SELECT count(*) FROM NTANetAnalytics',
  nsgRows: 'SELECT count(*), sum(AllowedInFlows_d), sum(DeniedInFlows_d), sum(OutboundBytes_d) FROM AzureNetworkAnalytics_CL',
  perFlowType: `SELECT FlowType, count(*), sum(PacketsSrcToDest), sum(PacketsDestToSrc), sum(BytesSrcToDest), sum(BytesDestToSrc),
    sum(AllowedInFlows), sum(AllowedOutFlows), sum(DeniedInFlows), sum(DeniedOutFlows), sum(CompletedFlows) FROM NTANetAnalytics GROUP BY FlowType ORDER BY FlowType`,
  topTalkers: `SELECT SrcIp, sum(BytesSrcToDest + BytesDestToSrc) AS total FROM NTANetAnalytics WHERE SrcIp <> '' GROUP BY SrcIp ORDER BY total DESC, SrcIp LIMIT 10`,
  publicIps: `SELECT DestPublicIps, SrcPublicIps, Country, AzureRegion FROM NTANetAnalytics WHERE FlowType IN ('AzurePublic', 'ExternalPublic')
    ORDER BY DestPublicIps, SrcPublicIps, Country, AzureRegion`,
};

let cluster: ClickHouseCluster;
let duck: Store;
let ch: Store;

beforeAll(async () => {
  cluster = await startClickHouseCluster({ shards: 2 });
  duck = await openStore({ db: ':memory:' });
  ch = await openStore({ clickhouse: cluster.urls, cluster: cluster.cluster, database: 'flowlens_parity_emulated' });
  const loaded = loadScenario(SCENARIO);
  const ctx = createAnalyticsContext({ topology: topologyFromScenario(loaded.scenario, loaded.serviceTags) });
  // blocks of each blob, committed 10 minutes at a time (block ranges as ingestion reads them)
  const pending = new Map<string, Buffer[]>();
  const committed = new Map<string, number>();
  const flush = async () => {
    for (const [blob, blocks] of pending) {
      if (blocks.length === 0) continue;
      const done = committed.get(blob) ?? 0;
      // a data block after the first starts with a comma: decode the range behind a synthetic head
      const body = Buffer.concat(blocks);
      const bytes = Buffer.concat([Buffer.from(HEAD_BLOCK), done > 0 ? body.subarray(1) : body, Buffer.from(']}')]);
      const { batches } = decodeBuffer(bytes, { source: blob, block: `blocks-${done + 1}-${done + blocks.length}` });
      const unit = {
        checkpoint: { source: 'emulated', blob, lastBlockId: `b${done + blocks.length}`, blockCount: done + blocks.length, byteOffset: 0, etag: null, updatedAt: new Date(0).toISOString() },
        tuples: batches,
        derived: batches.flatMap((b) => analyze(b, ctx)),
      };
      await duck.commit(unit);
      await ch.commit(unit);
      committed.set(blob, done + blocks.length);
      pending.set(blob, []);
    }
  };
  for (const minute of emulateMinutes(loaded.scenario, { duration: '60m' }, { serviceTags: loaded.serviceTags })) {
    for (const block of minute.blocks) {
      const key = `${block.container}/${block.blobName}`;
      const list = pending.get(key) ?? [];
      list.push(block.bytes);
      pending.set(key, list);
    }
    if (minute.minute % 10 === 9) await flush();
  }
  await flush();
}, 900_000);

afterAll(async () => {
  await duck?.close();
  await ch?.close();
  await cluster?.stop();
});

describe('an emulated hour of hub-spoke: DuckDB and two-shard ClickHouse answer alike', () => {
  for (const [name, sql] of Object.entries(QUERIES)) {
    it(name, async () => {
      const a = (await duck.query(sql)).rows;
      const b = (await ch.query(sql)).rows;
      expect(a.length).toBeGreaterThan(0);
      expect(b).toEqual(a);
    });
  }

  it('holds both VNet (v4) and NSG (v2) flow log tuples', async () => {
    const versions = (await duck.query('SELECT DISTINCT version FROM FlowTuples ORDER BY version')).rows.map((r) => r[0]);
    expect(versions).toEqual([2, 4]);
  });
});
