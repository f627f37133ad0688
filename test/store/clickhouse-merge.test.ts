import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowBatchFromRows } from '../../src/formats/flowbatch.js';
import { openStore, type Store } from '../../src/store/index.js';
import { startClickHouseCluster, type ClickHouseCluster } from '../support/clickhouse.js';
import { tuple } from '../analytics/helpers.js';

let cluster: ClickHouseCluster;
let store: Store;
beforeAll(async () => {
  cluster = await startClickHouseCluster({ shards: 1 });
  store = await openStore({ clickhouse: cluster.urls, database: 'flowlens_merge_test' });
});
afterAll(async () => {
  await store?.close();
  await cluster?.stop();
});

async function sql(query: string): Promise<string> {
  const res = await fetch(`${cluster.urls[0]}/?query=${encodeURIComponent(query)}`, { method: 'POST' });
  const text = await res.text();
  if (!res.ok) throw new Error(text);
  return text.trim();
}

describe('ClickHouse single server: commits survive background merges', () => {
  it('finished commits are never mistaken for orphans after the checkpoint log merges', async () => {
    for (let n = 1; n <= 4; n++) {
      await store.commit({
        checkpoint: { source: 's', blob: 'b', lastBlockId: `k${n}`, blockCount: n, byteOffset: n, etag: null, updatedAt: `t${n}` },
        tuples: [flowBatchFromRows([tuple({ blob: 'b', src_port: n })])],
      });
    }
    // force every merge ClickHouse could ever do on the metadata and data tables
    await sql('OPTIMIZE TABLE flowlens_merge_test.checkpoints FINAL');
    await sql('OPTIMIZE TABLE flowlens_merge_test.commit_intents FINAL');
    await sql('OPTIMIZE TABLE flowlens_merge_test.flow_tuples FINAL');
    await store.commit({
      checkpoint: { source: 's', blob: 'b', lastBlockId: 'k5', blockCount: 5, byteOffset: 5, etag: null, updatedAt: 't5' },
      tuples: [flowBatchFromRows([tuple({ blob: 'b', src_port: 5 })])],
    });
    expect((await store.query(`SELECT src_port FROM FlowTuples WHERE blob = 'b' ORDER BY src_port`)).rows).toEqual([[1], [2], [3], [4], [5]]);
    expect(await store.getCheckpoint('s', 'b')).toMatchObject({ lastBlockId: 'k5', blockCount: 5 });
    // single server: plain tables, no Distributed layer
    expect(await sql(`SELECT engine FROM system.tables WHERE database = 'flowlens_merge_test' AND name = 'flow_tuples'`)).toBe('MergeTree');
  });
});

describe('ClickHouse topology snapshot', () => {
  it('replaceTopology swaps the snapshot shown by NTATopologyDetails', async () => {
    const snap = (names: string[]) => ({
      table: 'ta_topology',
      length: names.length,
      columns: Object.fromEntries([
        ['processed_ms', names.map(() => Date.UTC(2026, 0, 1))],
        ['name', names],
        ...['resource_type', 'subscription', 'resource_group', 'region', 'address_prefixes', 'private_ips', 'public_ips', 'mac', 'virtual_machine', 'virtual_network', 'subnetwork', 'nsg'].map(
          (c) => [c, names.map(() => (c === 'resource_type' ? 'NetworkInterface' : ''))],
        ),
      ]),
    });
    await store.replaceTopology(snap(['rg/a-nic', 'rg/b-nic']));
    await store.replaceTopology(snap(['rg/c-nic']));
    expect((await store.query('SELECT Name, AzureResourceType FROM NTATopologyDetails')).rows).toEqual([['rg/c-nic', 'NetworkInterface']]);
  });
});
