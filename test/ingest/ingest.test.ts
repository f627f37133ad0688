import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite, type AzuriteHandle } from '../support/azurite.js';
import { openAzureSource, openFolderSource } from '../../src/storage/index.js';
import { openStore } from '../../src/store/index.js';
import { runIngest } from '../../src/ingest/index.js';
import { appendContainer, dataBlocksFor, writeFolder, type TestLogSpec } from './support/writer.js';
import { digestStore } from './support/digest.js';
import { startCountingProxy } from './support/counting-proxy.js';

const spec: TestLogSpec = { blobs: 4, tuplesPerRecord: 6 };
const CONTAINER = 'insights-logs-flowlogflowevent';

describe('ingest: folder and Azure', () => {
  let azurite: AzuriteHandle;
  let container: ContainerClient;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flowlens-ingest-'));
    azurite = await startAzurite();
    container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      CONTAINER,
    );
  });
  afterAll(async () => {
    await azurite?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('appending 10 then 50 minutes equals one full-hour ingest, the second run downloading only new blocks; folder and Azurite stores are identical', async () => {
    // Azure: 10 minutes, ingest; 50 more minutes into the same hour's blobs, ingest again.
    await appendContainer(container, spec, 0, 10);
    const counting = await startCountingProxy(azurite);
    const incremental = await openStore({ db: join(dir, 'incremental.duckdb') });
    const source = () =>
      openAzureSource({ connectionString: counting.connectionString, container: CONTAINER });
    const first = await runIngest({ sources: [source()], store: incremental, workers: 1, log: () => {} });
    expect(first.blocks).toBe(4 * 10);
    expect(first.errors).toBe(0);

    await appendContainer(container, spec, 10, 60);
    counting.requests.length = 0;
    const second = await runIngest({ sources: [source()], store: incremental, workers: 1, log: () => {} });
    expect(second.blocks).toBe(4 * 50);
    const gets = counting.requests.filter((r) => r.method === 'GET' && r.range !== undefined);
    // One ranged GET per blob, starting exactly at the first new block and ending before the tail.
    expect(gets).toHaveLength(4);
    const expectedBytes = [0, 1, 2, 3].map((nic) => {
      const blocks = dataBlocksFor(spec, nic, 60);
      const start = 12 + blocks.slice(0, 10).reduce((s, b) => s + b.length, 0);
      const end = 12 + blocks.reduce((s, b) => s + b.length, 0);
      return `bytes=${start}-${end - 1}`;
    });
    expect(gets.map((g) => g.range).sort()).toEqual(expectedBytes.sort());
    expect(second.bytes).toBe(
      [0, 1, 2, 3].reduce(
        (s, nic) =>
          s +
          dataBlocksFor(spec, nic, 60)
            .slice(10)
            .reduce((t, b) => t + b.length, 0),
        0,
      ),
    );

    // A third run with nothing new reads no blob bytes at all.
    counting.requests.length = 0;
    const third = await runIngest({ sources: [source()], store: incremental, workers: 0, log: () => {} });
    expect(third.blocks).toBe(0);
    expect(counting.requests.filter((r) => r.range !== undefined)).toHaveLength(0);
    // …and, the listing ETags matching the checkpoints', not even a block list.
    expect(counting.requests.filter((r) => r.url.includes('comp=blocklist'))).toHaveLength(0);
    // One listing per flow-log layout prefix (VNet and NSG), nothing else.
    expect(counting.requests.filter((r) => r.url.includes('comp=list'))).toHaveLength(2);
    expect(counting.requests).toHaveLength(2);

    // One ingest of the full hour (fresh store) and the same blobs from a folder.
    const full = await openStore({ db: join(dir, 'full.duckdb') });
    await runIngest({ sources: [source()], store: full, workers: 2, log: () => {} });
    await writeFolder(join(dir, 'folder'), spec, 60);
    const fromFolder = await openStore({ db: join(dir, 'folder.duckdb') });
    const folderRun = await runIngest({
      sources: [openFolderSource(join(dir, 'folder'))],
      store: fromFolder,
      workers: 0,
      log: () => {},
    });
    expect(folderRun.blocks).toBe(4 * 60);

    const a = await digestStore(incremental);
    const b = await digestStore(full);
    const c = await digestStore(fromFolder);
    expect(a.tuples).toBe(4 * 60 * 6);
    expect(a).toEqual(b);
    expect(c).toEqual(b);
    expect(Object.values(a.perBlock).every((n) => n === 6)).toBe(true);
    for (const s of [incremental, full, fromFolder]) await s.close();
    await counting.close();
  }, 240_000);
});
