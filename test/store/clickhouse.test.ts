import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowBatchFromRows, type FlowRow } from '../../src/formats/flowbatch.js';
import { openStore, type BlobCheckpoint, type Store } from '../../src/store/index.js';
import { startClickHouseCluster, type ClickHouseCluster } from '../support/clickhouse.js';
import { tuple } from '../analytics/helpers.js';

const cp = (blob: string, n: number): BlobCheckpoint => ({
  source: 'src',
  blob,
  lastBlockId: `b${n}`,
  blockCount: n,
  byteOffset: n * 10,
  etag: 'e',
  updatedAt: `2026-11-26T22:0${n}:00.000Z`,
});

let cluster: ClickHouseCluster;
let store: Store;

beforeAll(async () => {
  cluster = await startClickHouseCluster({ shards: 2 });
  store = await openStore({ clickhouse: cluster.urls, cluster: cluster.cluster, database: 'flowlens_store_test' });
});
afterAll(async () => {
  await store?.close();
  await cluster?.stop();
});

describe('ClickHouse store on a two-shard cluster (Debian clickhouse-server)', () => {
  it('stores tuples on the blob’s shard and reads them back through the Distributed table', async () => {
    const rows: FlowRow[] = [];
    for (let b = 0; b < 6; b++) rows.push(tuple({ blob: `blob-${b}`, src_port: 1000 + b, bytes_s2d: b * 100, state: 'E' }));
    for (let b = 0; b < 6; b++) {
      await store.commit({ checkpoint: cp(`blob-${b}`, 1), tuples: [flowBatchFromRows([rows[b]])] });
    }
    const r = await store.query('SELECT blob, src_port, bytes_s2d, state, direction, src_ip, acl_id FROM FlowTuples ORDER BY blob');
    expect(r.rows).toEqual(rows.map((x) => [x.blob, x.src_port, x.bytes_s2d, 'E', 'O', '10.0.0.6', x.acl_id]));
    // both shards hold some of the blobs (rows of one blob stay on one shard)
    const perShard = [];
    for (const url of cluster.urls) {
      const res = await fetch(`${url}/?query=${encodeURIComponent('SELECT count() FROM flowlens_store_test.flow_tuples_local')}`);
      perShard.push(Number((await res.text()).trim()));
    }
    expect(perShard.reduce((a, b) => a + b, 0)).toBe(6);
    expect(perShard.every((n) => n > 0)).toBe(true);
    expect((await store.getCheckpoint('src', 'blob-3'))?.blockCount).toBe(1);
  });

  it('keeps NULL counters and NSG v1 tuples without state', async () => {
    await store.commit({
      checkpoint: cp('nulls', 1),
      tuples: [flowBatchFromRows([tuple({ blob: 'nulls', version: 1, state: null, packets_s2d: null, bytes_s2d: null, packets_d2s: null, bytes_d2s: null, encryption: null })])],
    });
    const r = await store.query(`SELECT version, state, packets_s2d, bytes_d2s, encryption FROM FlowTuples WHERE blob = 'nulls'`);
    expect(r.rows).toEqual([[1, null, null, null, null]]);
  });

  it('a commit that dies half-way leaves orphans that the next commit of the blob removes', async () => {
    await store.commit({ checkpoint: cp('crashy', 1), tuples: [flowBatchFromRows([tuple({ blob: 'crashy', src_port: 1 })])] });
    // tuples are inserted, then the derived rows fail: no checkpoint is written
    await expect(
      store.commit({
        checkpoint: cp('crashy', 2),
        tuples: [flowBatchFromRows([tuple({ blob: 'crashy', src_port: 2 })])],
        derived: [{ table: 'ta_ip_partials', length: 1, columns: {} }],
      }),
    ).rejects.toThrow(/lack column/);
    expect((await store.getCheckpoint('src', 'crashy'))?.blockCount).toBe(1);
    expect((await store.query(`SELECT count() FROM FlowTuples WHERE blob = 'crashy'`)).rows[0][0]).toBe(2);
    // the retry of block 2 cleans the orphan first: exactly one copy of each tuple
    await store.commit({ checkpoint: cp('crashy', 2), tuples: [flowBatchFromRows([tuple({ blob: 'crashy', src_port: 2 })])] });
    const r = await store.query(`SELECT src_port FROM FlowTuples WHERE blob = 'crashy' ORDER BY src_port`);
    expect(r.rows).toEqual([[1], [2]]);
    expect((await store.getCheckpoint('src', 'crashy'))?.blockCount).toBe(2);
  });

  it('replaceBlob drops the earlier rows of a recreated blob', async () => {
    await store.commit({ checkpoint: cp('again', 1), tuples: [flowBatchFromRows([tuple({ blob: 'again', src_port: 5 }), tuple({ blob: 'again', src_port: 6 })])] });
    await store.commit({ checkpoint: cp('again', 1), tuples: [flowBatchFromRows([tuple({ blob: 'again', src_port: 7 })])], replaceBlob: true });
    expect((await store.query(`SELECT src_port FROM FlowTuples WHERE blob = 'again'`)).rows).toEqual([[7]]);
  });

  it('records and clears ingest errors, lists checkpoints, and refuses writes through query()', async () => {
    await store.recordIngestError({ source: 'src', blob: 'bad', block: 'QQ==', error: 'not JSON', time: '2026-11-26T22:00:00Z' });
    expect(await store.listIngestErrors('src')).toEqual([{ source: 'src', blob: 'bad', block: 'QQ==', error: 'not JSON', time: '2026-11-26T22:00:00Z' }]);
    await store.clearIngestErrors('src', 'bad');
    expect(await store.listIngestErrors('src')).toEqual([]);
    expect((await store.listCheckpoints('src')).map((c) => c.blob)).toContain('again');
    await expect(store.query('DROP TABLE flow_tuples')).rejects.toThrow(/read-only/);
    await expect(store.query('INSERT INTO flow_tuples_local SELECT * FROM flow_tuples_local')).rejects.toThrow(/read-only/);
  });
});
