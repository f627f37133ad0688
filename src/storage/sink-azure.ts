/**
 * Azure Blob Storage (or Azurite) as the target: each data block goes up with `stageBlock`, then
 * `commitBlockList([head, data…, tail])` re-commits the blob, exactly as Azure grows `PT1H.json`.
 * The head and tail blocks are staged once, when the blob is created, and referenced again by
 * every later commit.
 */
import { DefaultAzureCredential } from '@azure/identity';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { UsageError } from '../errors.js';
import {
  blockIdFor,
  blockListFor,
  createStagingArea,
  type BlobSink,
  type BlobSinkOptions,
  type SinkCommitSummary,
  type StagedBlob,
} from './sink.js';

export interface AzureSinkOptions extends BlobSinkOptions {
  /** Parallel blob commits (each is 1–3 requests). */
  concurrency?: number;
}

/**
 * Accepts a connection string, an account SAS URL (`https://acct.blob.core.windows.net/?sv=…`),
 * or a bare account URL (then DefaultAzureCredential signs the requests).
 */
export function blobServiceFrom(target: string): BlobServiceClient {
  const t = target.trim();
  if (/^https?:\/\//i.test(t)) {
    const url = new URL(t);
    const path = url.pathname.replace(/^\/+|\/+$/g, '');
    // Azurite-style URLs carry the account name as the first path segment.
    const isAzuritePath = /^(127\.0\.0\.1|localhost)$/.test(url.hostname) && path.split('/').length === 1;
    if (path !== '' && !isAzuritePath) {
      throw new UsageError(
        `--blob needs an account-level URL (flow logs write to two containers), not a container or blob URL: ${url.origin}/${path}`,
      );
    }
    return url.search ? new BlobServiceClient(t) : new BlobServiceClient(t, new DefaultAzureCredential());
  }
  if (!/AccountName=|BlobEndpoint=|UseDevelopmentStorage=/i.test(t)) {
    throw new UsageError('--blob expects a storage connection string or an https account URL (optionally with a SAS)');
  }
  return BlobServiceClient.fromConnectionString(t);
}

export function createAzureBlobSink(service: BlobServiceClient, options: AzureSinkOptions): BlobSink {
  const staging = createStagingArea();
  const containers = new Map<string, Promise<ContainerClient>>();
  const concurrency = options.concurrency ?? 16;
  const head = Buffer.from(options.head);
  const tail = Buffer.from(options.tail);

  const container = (name: string): Promise<ContainerClient> => {
    let p = containers.get(name);
    if (!p) {
      const client = service.getContainerClient(name);
      p = client.createIfNotExists().then(() => client);
      containers.set(name, p);
    }
    return p;
  };

  const commitOne = async (blob: StagedBlob): Promise<number> => {
    const client = (await container(blob.container)).getBlockBlobClient(blob.blobName);
    const uploads: Promise<unknown>[] = [];
    if (blob.committed === 0) {
      uploads.push(client.stageBlock(blockIdFor(blob.container, blob.blobName, 'head'), head, head.length));
      uploads.push(client.stageBlock(blockIdFor(blob.container, blob.blobName, 'tail'), tail, tail.length));
    }
    let bytes = 0;
    blob.pending.forEach((block, i) => {
      const buf = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
      bytes += buf.length;
      uploads.push(client.stageBlock(blockIdFor(blob.container, blob.blobName, blob.committed + i), buf, buf.length));
    });
    await Promise.all(uploads);
    await client.commitBlockList(blockListFor(blob.container, blob.blobName, blob.committed + blob.pending.length), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
    return bytes;
  };

  return {
    target: service.url,
    stage: staging.stage,
    dataBlockCount: staging.count,
    pendingBytes: staging.pendingBytes,
    forget: staging.forget,
    async commit(): Promise<SinkCommitSummary> {
      const summary: SinkCommitSummary = { blobs: 0, blocks: 0, bytes: 0 };
      const work = staging.dirty();
      let next = 0;
      const worker = async () => {
        while (next < work.length) {
          const blob = work[next++];
          const blocks = blob.pending.length;
          const bytes = await commitOne(blob);
          summary.blobs++;
          summary.blocks += blocks;
          summary.bytes += bytes;
          // committedBytes only matters to the folder sink; keep a running count anyway.
          staging.settle(blob, blob.committedBytes + bytes);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, work.length) }, worker));
      return summary;
    },
    async close(): Promise<void> {
      containers.clear();
    },
  };
}
