import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { flowBatchFromRows, type FlowRow } from '../../src/formats/flowbatch.js';
import { openStore, type BlobCheckpoint, type Store } from '../../src/store/index.js';

function row(over: Partial<FlowRow>): FlowRow {
  return {
    time_ms: 1663146003637,
    record_time: '2022-09-14T09:00:52.5625085Z',
    version: 4,
    mac: '112233445566',
    flow_log_id: '/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NW/FLOWLOGS/FL',
    target_resource_id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet',
    acl_id: '00000000-1234-abcd-ef00-c1c2c3c4c5c6',
    rule: 'DefaultRule_AllowInternetOutBound',
    src_ip: '10.0.0.6',
    dst_ip: '203.0.113.17',
    src_port: 22730,
    dst_port: 443,
    protocol: 6,
    direction: 'O',
    state: 'E',
    decision: 'A',
    encryption: 'NX',
    packets_s2d: 3,
    bytes_s2d: 705,
    packets_d2s: 4,
    bytes_d2s: 4569,
    blob: 'blob-a',
    block: 'QUFB',
    ...over,
  };
}

function checkpoint(blob: string, blockCount: number): BlobCheckpoint {
  return {
    source: 'folder:/x',
    blob,
    lastBlockId: `blk${blockCount}`,
    blockCount,
    byteOffset: blockCount * 100,
    etag: 'e1',
    updatedAt: '2026-11-26T22:00:00.000Z',
  };
}

const COLS =
  'time_ms, record_time, version, mac, flow_log_id, target_resource_id, acl_id, rule, src_ip, dst_ip, src_port, dst_port, protocol, direction, state, decision, encryption, packets_s2d, bytes_s2d, packets_d2s, bytes_d2s, blob, block';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function fresh(): Promise<{ store: Store; path: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-store-'));
  dirs.push(dir);
  const path = join(dir, 'test.duckdb');
  const store = await openStore({ db: path });
  stores.push(store);
  return { store, path };
}

describe('DuckDB store', () => {
  it('stores a FlowBatch and reads the same rows back through FlowTuples', async () => {
    const { store } = await fresh();
    const input = [
      row({}),
      row({ state: 'B', packets_s2d: null, bytes_s2d: null, packets_d2s: null, bytes_d2s: null, src_port: 22732 }),
      row({ version: 1, state: null, decision: 'D', encryption: null, target_resource_id: null, acl_id: null, direction: 'I', bytes_s2d: 2 ** 40 + 7 }),
    ];
    await store.commit({ checkpoint: checkpoint('blob-a', 1), tuples: [flowBatchFromRows(input)] });
    const r = await store.query(`SELECT ${COLS} FROM FlowTuples ORDER BY src_port, version`);
    const got = r.rows.map((values) => Object.fromEntries(r.columns.map((c, i) => [c, values[i]])));
    const want = [...input].sort((a, b) => a.src_port - b.src_port || a.version - b.version);
    expect(got).toEqual(want);
  });

  it('commits rows and checkpoint atomically: a failing commit leaves nothing behind', async () => {
    const { store } = await fresh();
    await store.commit({ checkpoint: checkpoint('blob-a', 1), tuples: [flowBatchFromRows([row({})])] });
    await expect(
      store.commit({
        checkpoint: checkpoint('blob-a', 2),
        tuples: [flowBatchFromRows([row({ src_ip: 'never-stored-ip' })])],
        derived: [{ table: 'no_such_table', length: 1, columns: {} }],
      }),
    ).rejects.toThrow(/no_such_table/);
    expect((await store.getCheckpoint('folder:/x', 'blob-a'))?.blockCount).toBe(1);
    expect((await store.query('SELECT count(*) FROM FlowTuples')).rows[0][0]).toBe(1);
    // the dictionary entry of the failed commit is gone too, and a later commit still resolves
    await store.commit({ checkpoint: checkpoint('blob-a', 2), tuples: [flowBatchFromRows([row({ src_ip: '10.9.9.9' })])] });
    expect((await store.query(`SELECT src_ip FROM FlowTuples ORDER BY src_ip`)).rows).toEqual([['10.0.0.6'], ['10.9.9.9']]);
    expect((await store.query(`SELECT count(*) FROM flow_strings WHERE value = 'never-stored-ip'`)).rows[0][0]).toBe(0);
  });

  it('replaceBlob drops the blob’s earlier rows before storing the re-read', async () => {
    const { store } = await fresh();
    await store.commit({ checkpoint: checkpoint('blob-a', 1), tuples: [flowBatchFromRows([row({}), row({ src_port: 1 })])] });
    await store.commit({ checkpoint: checkpoint('blob-b', 1), tuples: [flowBatchFromRows([row({ blob: 'blob-b' })])] });
    await store.commit({
      checkpoint: checkpoint('blob-a', 1),
      tuples: [flowBatchFromRows([row({ src_port: 9 })])],
      replaceBlob: true,
    });
    const r = await store.query('SELECT blob, src_port FROM FlowTuples ORDER BY blob, src_port');
    expect(r.rows).toEqual([
      ['blob-a', 9],
      ['blob-b', 22730],
    ]);
  });

  it('commits a group of units in one transaction, each with its own checkpoint', async () => {
    const { store } = await fresh();
    await store.commitMany!([
      { checkpoint: checkpoint('blob-a', 1), tuples: [flowBatchFromRows([row({ src_port: 1 })])] },
      { checkpoint: checkpoint('blob-b', 1), tuples: [flowBatchFromRows([row({ blob: 'blob-b', src_port: 2 })])] },
      { checkpoint: checkpoint('blob-a', 2), tuples: [flowBatchFromRows([row({ src_port: 3 })])] },
    ]);
    expect((await store.getCheckpoint('folder:/x', 'blob-a'))?.blockCount).toBe(2);
    expect((await store.getCheckpoint('folder:/x', 'blob-b'))?.blockCount).toBe(1);
    expect((await store.query('SELECT src_port FROM FlowTuples ORDER BY src_port')).rows).toEqual([[1], [2], [3]]);

    // A failing unit fails the whole group: nothing of it is stored, checkpoints stay.
    await expect(
      store.commitMany!([
        { checkpoint: checkpoint('blob-b', 2), tuples: [flowBatchFromRows([row({ blob: 'blob-b', src_port: 4 })])] },
        { checkpoint: checkpoint('blob-a', 3), tuples: [], derived: [{ table: 'no_such_table', length: 1, columns: {} }] },
      ]),
    ).rejects.toThrow(/no_such_table/);
    expect((await store.getCheckpoint('folder:/x', 'blob-b'))?.blockCount).toBe(1);
    expect((await store.query('SELECT count(*) FROM FlowTuples')).rows[0][0]).toBe(3);

    // A unit that re-reads a recreated blob supersedes that blob's earlier rows, in and before the group.
    await store.commitMany!([
      { checkpoint: checkpoint('blob-a', 4), tuples: [flowBatchFromRows([row({ src_port: 5 })])] },
      { checkpoint: checkpoint('blob-a', 1), tuples: [flowBatchFromRows([row({ src_port: 6 })])], replaceBlob: true },
    ]);
    expect((await store.query(`SELECT src_port FROM FlowTuples ORDER BY src_port`)).rows).toEqual([[2], [6]]);
    expect((await store.getCheckpoint('folder:/x', 'blob-a'))?.blockCount).toBe(1);
  });

  it('keeps checkpoints, dictionary and rows across reopen', async () => {
    const { store, path } = await fresh();
    await store.commit({ checkpoint: checkpoint('blob-a', 3), tuples: [flowBatchFromRows([row({})])] });
    await store.close();
    stores.pop();
    const again = await openStore({ db: path });
    stores.push(again);
    expect(await again.getCheckpoint('folder:/x', 'blob-a')).toEqual(checkpoint('blob-a', 3));
    expect(await again.getCheckpoint('folder:/x', 'nope')).toBeNull();
    await again.commit({ checkpoint: checkpoint('blob-c', 1), tuples: [flowBatchFromRows([row({ blob: 'blob-c', mac: 'AABBCCDDEEFF' })])] });
    const r = await again.query('SELECT blob, mac, src_ip FROM FlowTuples ORDER BY blob');
    expect(r.rows).toEqual([
      ['blob-a', '112233445566', '10.0.0.6'],
      ['blob-c', 'AABBCCDDEEFF', '10.0.0.6'],
    ]);
    expect((await again.listCheckpoints('folder:/x')).map((c) => c.blob)).toEqual(['blob-a', 'blob-c']);
  });

  it('records, lists and clears ingest errors', async () => {
    const { store } = await fresh();
    await store.recordIngestError({ source: 's', blob: 'b1', block: 'x', error: 'bad json', time: '2026-01-01T00:00:00Z' });
    await store.recordIngestError({ source: 's', blob: 'b2', block: null, error: 'gone', time: '2026-01-01T00:00:01Z' });
    expect((await store.listIngestErrors('s')).map((e) => e.blob)).toEqual(['b1', 'b2']);
    await store.clearIngestErrors('s', 'b1');
    expect(await store.listIngestErrors()).toEqual([
      { source: 's', blob: 'b2', block: null, error: 'gone', time: '2026-01-01T00:00:01Z' },
    ]);
  });

  it('refuses statements that are not read-only', async () => {
    const { store } = await fresh();
    await expect(store.query('DELETE FROM flow_tuples')).rejects.toThrow(/read-only/);
    await expect(store.query('DROP TABLE flow_tuples')).rejects.toThrow(/read-only/);
  });

  it('handles a batch larger than one DuckDB chunk', async () => {
    const { store } = await fresh();
    const many: FlowRow[] = [];
    for (let i = 0; i < 5000; i++) many.push(row({ src_port: i % 60000, bytes_s2d: i, src_ip: `10.1.${i >> 8}.${i & 255}` }));
    await store.commit({ checkpoint: checkpoint('blob-a', 1), tuples: [flowBatchFromRows(many)] });
    const r = await store.query('SELECT count(*), sum(bytes_s2d), count(DISTINCT src_ip) FROM FlowTuples');
    expect(r.rows[0]).toEqual([5000, (4999 * 5000) / 2, 5000]);
  });
});
