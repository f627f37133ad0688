import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite, type AzuriteHandle } from '../support/azurite.js';
import { startClickHouseCluster, type ClickHouseCluster } from '../support/clickhouse.js';
import { openAzureSource, leaseClaims } from '../../src/storage/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { runIngest } from '../../src/ingest/index.js';
import { appendContainer, type TestLogSpec } from './support/writer.js';
import { spawnCli } from './support/cli.js';

const spec: TestLogSpec = { blobs: 24, tuplesPerRecord: 4, seed: 3 };
const MINUTES = 6;
const CONTAINER = 'insights-logs-flowlogflowevent';

/** Every raw tuple, as text, in a fixed order: comparable across DuckDB and ClickHouse. */
async function tupleRows(store: Store): Promise<string[]> {
  const r = await store.query(
    `SELECT blob, block, time_ms, src_ip, dst_ip, src_port, dst_port, protocol, direction, state, decision, encryption,
            packets_s2d, bytes_s2d, packets_d2s, bytes_d2s, rule, acl_id, mac, flow_log_id, record_time
     FROM FlowTuples`,
  );
  return r.rows.map((row) => row.map((v) => (v === null ? '∅' : String(v))).join('|')).sort();
}

describe('scale-out: several ingest processes share one container through blob leases', () => {
  let azurite: AzuriteHandle;
  let container: ContainerClient;
  let dir: string;
  let clickhouse: ClickHouseCluster;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flowlens-scale-'));
    azurite = await startAzurite();
    container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      CONTAINER,
    );
    await appendContainer(container, spec, 0, MINUTES);
    clickhouse = await startClickHouseCluster({ shards: 1 });
  });
  afterAll(async () => {
    await clickhouse?.stop();
    await azurite?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a held lease keeps other workers off a blob until it is released', async () => {
    const a = leaseClaims(container, { prefix: 'test-claims/' });
    const b = leaseClaims(container, { prefix: 'test-claims/' });
    const claim = await a.claim('x/PT1H.json');
    expect(claim).not.toBeNull();
    expect(await b.claim('x/PT1H.json')).toBeNull();
    expect(await claim!.confirm()).toBe(true);
    await claim!.release();
    const again = await b.claim('x/PT1H.json');
    expect(again).not.toBeNull();
    await again!.release();
  });

  it('two concurrent `flowlens ingest` processes on one Azurite container produce the same store as one process', async () => {
    // One process, DuckDB.
    const single = await openStore({ db: join(dir, 'single.duckdb') });
    const one = await runIngest({
      sources: [openAzureSource({ connectionString: azurite.connectionString, container: CONTAINER })],
      store: single,
      workers: 1,
      log: () => {},
    });
    expect(one.blocks).toBe(spec.blobs * MINUTES);

    // Two processes at once, sharing a ClickHouse store (the scale-out store) and the container.
    const args = [
      'ingest',
      '--connection-string',
      azurite.connectionString,
      '--container',
      CONTAINER,
      '--clickhouse',
      clickhouse.urls[0],
      '--database',
      'flowlens_scaleout',
      '--workers',
      '1',
      '--geo',
      'none',
      '--no-progress',
      '--json',
      '--concurrency',
      '4',
    ];
    // Create the schema once first: two processes running the store's DDL at the same instant
    // race in ClickHouse (reported to the store owner); ingestion itself is what this tests.
    await (await openStore({ clickhouse: [clickhouse.urls[0]], database: 'flowlens_scaleout' })).close();
    const runs = await Promise.all([spawnCli(args).done, spawnCli(args).done]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const summaries = runs.map(
      (r) => JSON.parse(r.stdout.trim().split('\n').pop()!) as { blocks: number; claimedElsewhere: number },
    );
    // Every block ingested exactly once between the two.
    expect(summaries[0].blocks + summaries[1].blocks).toBe(spec.blobs * MINUTES);

    const shared = await openStore({ clickhouse: [clickhouse.urls[0]], database: 'flowlens_scaleout' });
    const expected = await tupleRows(single);
    expect(expected).toHaveLength(spec.blobs * MINUTES * spec.tuplesPerRecord);
    expect(await tupleRows(shared)).toEqual(expected);
    console.log(
      `scale-out: blocks per process ${summaries.map((s) => s.blocks).join(' + ')}, claims skipped ${summaries.map((s) => s.claimedElsewhere).join(' + ')}`,
    );
    await shared.close();
    await single.close();
  }, 180_000);
});
