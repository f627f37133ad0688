import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite, type AzuriteHandle } from '../support/azurite.js';
import {
  checkpointAfter,
  mayHoldRange,
  openAzureSource,
  openFolderSource,
  openFolderSources,
  type BlobSource,
  type DeltaChunk,
} from '../../src/storage/index.js';
import type { BlobCheckpoint } from '../../src/store/types.js';
import {
  appendContainer,
  blobNameFor,
  dataBlocksFor,
  writeFolder,
  type TestLogSpec,
} from '../ingest/support/writer.js';

async function collect(source: BlobSource, cursors: Map<string, BlobCheckpoint>, maxChunkBytes?: number) {
  const chunks: DeltaChunk[] = [];
  for await (const blob of source.list()) {
    for await (const chunk of source.readDelta(blob, cursors.get(blob.name) ?? null, { maxChunkBytes })) {
      chunks.push(chunk);
      cursors.set(blob.name, checkpointAfter(source.id, chunk));
    }
  }
  return chunks;
}

function lineage(chunks: DeltaChunk[]): string[] {
  return chunks.flatMap((c) => c.blocks.map((b) => `${c.blob}${b.offset}:${b.size}`));
}

const spec: TestLogSpec = { blobs: 3, tuplesPerRecord: 4 };

describe('partition pruning', () => {
  const since = new Date(Date.UTC(2026, 10, 26, 9, 30));
  const until = new Date(Date.UTC(2026, 10, 26, 11));
  it('keeps the hours overlapping [since, until) and prunes others at every level', () => {
    const base = ['flowLogResourceID=', 'SUB_RG', 'NW_FL'];
    expect(mayHoldRange([...base, 'y=2026'], { since, until })).toBe(true);
    expect(mayHoldRange([...base, 'y=2025'], { since, until })).toBe(false);
    expect(mayHoldRange([...base, 'y=2026', 'm=10'], { since, until })).toBe(false);
    expect(mayHoldRange([...base, 'y=2026', 'm=11', 'd=25'], { since, until })).toBe(false);
    expect(mayHoldRange([...base, 'y=2026', 'm=11', 'd=26', 'h=08'], { since, until })).toBe(false);
    expect(mayHoldRange([...base, 'y=2026', 'm=11', 'd=26', 'h=09'], { since, until })).toBe(true);
    expect(mayHoldRange([...base, 'y=2026', 'm=11', 'd=26', 'h=10', 'm=00'], { since, until })).toBe(true);
    expect(mayHoldRange([...base, 'y=2026', 'm=11', 'd=26', 'h=11'], { since, until })).toBe(false);
    expect(mayHoldRange(base, { since, until })).toBe(true);
  });
});

describe('folder source', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flowlens-src-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('frames one block per record and, after the file grows, reads only the new records', async () => {
    await writeFolder(dir, spec, 10);
    const source = openFolderSource(dir);
    const cursors = new Map<string, BlobCheckpoint>();
    const first = await collect(source, cursors);
    expect(lineage(first)).toHaveLength(30);
    const readAfterFirst = source.stats.bytesRead;
    const confirmBytes = [...cursors.values()].reduce(
      (s, c) => s + c.byteOffset - Number(c.lastBlockId!.slice(1)),
      0,
    );

    await writeFolder(dir, spec, 60);
    const second = await collect(source, cursors);
    expect(lineage(second)).toHaveLength(150);
    expect(second.every((c) => !c.replace)).toBe(true);
    // New records, the 2-byte tail after them, and one re-read of each checkpoint record that
    // confirms the file still holds it: nothing before the checkpoint is read again.
    const newBytes = second.reduce((s, c) => s + c.bytes.length, 0);
    expect(source.stats.bytesRead - readAfterFirst).toBe(newBytes + 3 * 2 + confirmBytes);

    const fresh = await collect(openFolderSource(dir), new Map(), 4096);
    expect(lineage([...first, ...second]).sort()).toEqual(lineage(fresh).sort());
  });

  it('re-reads a rewritten file whole and marks it for replacement', async () => {
    const source = openFolderSource(dir);
    const cursors = new Map<string, BlobCheckpoint>();
    await collect(source, cursors);
    const name = blobNameFor(spec, 0);
    // Same path, different content: another seed.
    await writeFolder(dir, { ...spec, seed: 99 }, 5);
    const again = await collect(source, cursors);
    const replaced = again.filter((c) => c.replace);
    expect(replaced.map((c) => c.blob).sort()).toEqual([0, 1, 2].map((n) => blobNameFor(spec, n)).sort());
    expect(again.filter((c) => c.blob === name).flatMap((c) => c.blocks)).toHaveLength(5);
  });

  it('finds both container folders inside a parent folder', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'flowlens-parent-'));
    await writeFolder(join(parent, 'insights-logs-flowlogflowevent'), spec, 1);
    await writeFile(join(parent, 'notes.txt'), 'x');
    const sources = await openFolderSources(parent);
    expect(sources.map((s) => s.id)).toEqual([join(parent, 'insights-logs-flowlogflowevent')]);
    const names: string[] = [];
    for await (const b of sources[0].list()) names.push(b.name);
    expect(names).toHaveLength(3);
    expect(names[0].startsWith('flowLogResourceID=/')).toBe(true);
    await rm(parent, { recursive: true, force: true });
  });
});

describe('Azure source (Azurite)', () => {
  let azurite: AzuriteHandle;
  let container: ContainerClient;
  beforeAll(async () => {
    azurite = await startAzurite();
    container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      'insights-logs-flowlogflowevent',
    );
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('downloads only new data blocks, never the tail, and matches the folder framing', async () => {
    await appendContainer(container, spec, 0, 10);
    const source = openAzureSource({
      connectionString: azurite.connectionString,
      container: container.containerName,
    });
    const cursors = new Map<string, BlobCheckpoint>();
    const first = await collect(source, cursors);
    expect(lineage(first)).toHaveLength(30);
    const downloadsBefore = source.stats.requests.download ?? 0;
    const bytesBefore = source.stats.bytesRead;

    await appendContainer(container, spec, 10, 60);
    const second = await collect(source, cursors, 1 << 30);
    const expectedNew = [0, 1, 2].reduce(
      (s, nic) =>
        s +
        dataBlocksFor(spec, nic, 60)
          .slice(10)
          .reduce((t, b) => t + b.length, 0),
      0,
    );
    expect(source.stats.bytesRead - bytesBefore).toBe(expectedNew);
    expect((source.stats.requests.download ?? 0) - downloadsBefore).toBe(3);

    const dir = await mkdtemp(join(tmpdir(), 'flowlens-cmp-'));
    await writeFolder(dir, spec, 60);
    const folder = await collect(openFolderSource(dir), new Map());
    expect(lineage([...first, ...second]).sort()).toEqual(lineage(folder).sort());
    expect(Buffer.concat(second.filter((c) => c.blob === blobNameFor(spec, 1)).map((c) => c.bytes))).toEqual(
      Buffer.concat(dataBlocksFor(spec, 1, 60).slice(10)),
    );
    await rm(dir, { recursive: true, force: true });
  });

  it('notices a recreated blob (checkpoint block gone) and replaces it', async () => {
    const source = openAzureSource({
      connectionString: azurite.connectionString,
      container: container.containerName,
    });
    const cursors = new Map<string, BlobCheckpoint>();
    await collect(source, cursors);
    const name = blobNameFor(spec, 2);
    await container.getBlockBlobClient(name).delete();
    await appendContainer(container, { ...spec, blobs: 3, seed: 5 }, 0, 2);
    const again = await collect(source, cursors);
    const chunk = again.find((c) => c.blob === name);
    expect(chunk?.replace).toBe(true);
    expect(again.filter((c) => c.blob === name).flatMap((c) => c.blocks)).toHaveLength(2);
  });

  it('prunes listing by y=/m=/d=/h= partitions', async () => {
    const other = { ...spec, blobs: 1, hourStart: Date.UTC(2026, 10, 25, 3) };
    await appendContainer(container, other, 0, 1);
    const source = openAzureSource({
      connectionString: azurite.connectionString,
      container: container.containerName,
    });
    const all: string[] = [];
    for await (const b of source.list()) all.push(b.name);
    const pruned: string[] = [];
    for await (const b of source.list({ since: new Date(Date.UTC(2026, 10, 26)) })) pruned.push(b.name);
    expect(all).toContain(blobNameFor(other, 0));
    expect(pruned).not.toContain(blobNameFor(other, 0));
    expect(pruned).toHaveLength(all.length - 1);
  });
});

describe('Azure targets', () => {
  let azurite: AzuriteHandle;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('reads a container through a SAS URL (no account key in the source identity)', async () => {
    const { openTarget } = await import('../../src/ingest/targets.js');
    const { ContainerSASPermissions } = await import('@azure/storage-blob');
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      'insights-logs-flowlogflowevent',
    );
    await appendContainer(container, spec, 0, 2);
    const sasUrl = await container.generateSasUrl({
      permissions: ContainerSASPermissions.parse('racwdl'),
      expiresOn: new Date(Date.now() + 3_600_000),
    });
    const opened = await openTarget({ target: sasUrl });
    const source = opened.sources[0];
    expect(source.kind).toBe('azure');
    expect(source.id).toBe(container.url);
    expect(source.id).not.toContain('sig=');
    const chunks = await collect(source, new Map());
    expect(lineage(chunks)).toHaveLength(spec.blobs * 2);
    // Leases work through the SAS too.
    const claim = await opened.claims.get(source.id)!.claim(blobNameFor(spec, 0));
    expect(claim).not.toBeNull();
    await claim!.release();
    await opened.close();
  });
});
