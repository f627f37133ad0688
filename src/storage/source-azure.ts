import {
  AnonymousCredential,
  BlobServiceClient,
  ContainerClient,
  type BlockBlobClient,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import { DefaultAzureCredential } from '@azure/identity';
import { UsageError } from '../errors.js';
import type { BlobCheckpoint } from '../store/types.js';
import { chunkBlocks, layoutBlocks, planDelta, rangeOf, type BlobLayout, type DataBlock } from './blocks.js';
import { framedDelta } from './source-framed.js';
import {
  BlobChangedError,
  DEFAULT_MAX_CHUNK_BYTES,
  FLOW_LOG_BLOB_NAME,
  FLOW_LOG_PREFIXES,
  countRequest,
  isHourSegment,
  mayHoldRange,
  newStats,
  type BlobInfo,
  type BlobSource,
  type DeltaChunk,
  type ListOptions,
  type ReadDeltaOptions,
} from './source.js';

/** How to reach a container. Exactly one way. */
export type AzureContainerTarget =
  | { connectionString: string; container: string }
  /** A container URL; with a SAS query string it is used as is, otherwise DefaultAzureCredential signs in. */
  | { containerUrl: string }
  | { accountUrl: string; container: string };

export interface AzureSourceOptions {
  /** Listing prefixes; default both flow-log layouts (`flowLogResourceID=/`, `resourceId=/`). */
  prefixes?: readonly string[];
  /** Passed to the SDK pipeline (retries, proxies, a custom HTTP client for request accounting). */
  pipeline?: StoragePipelineOptions;
}

export function containerClientFor(
  target: AzureContainerTarget,
  pipeline: StoragePipelineOptions = {},
): ContainerClient {
  if ('connectionString' in target) {
    return BlobServiceClient.fromConnectionString(target.connectionString, pipeline).getContainerClient(
      target.container,
    );
  }
  if ('accountUrl' in target) {
    return new BlobServiceClient(
      target.accountUrl,
      new DefaultAzureCredential(),
      pipeline,
    ).getContainerClient(target.container);
  }
  let url: URL;
  try {
    url = new URL(target.containerUrl);
  } catch {
    throw new UsageError(`not a container URL: ${target.containerUrl}`);
  }
  if (url.searchParams.has('sig'))
    return new ContainerClient(target.containerUrl, new AnonymousCredential(), pipeline);
  return new ContainerClient(target.containerUrl, new DefaultAzureCredential(), pipeline);
}

/** The container URL without query string: the source identity stored in checkpoints (no secrets). */
export function containerIdentity(client: ContainerClient): string {
  const url = new URL(client.url);
  url.search = '';
  return url.toString().replace(/\/$/, '');
}

/** Listings give ETags bare (`0x8D…`), response headers quoted (`"0x8D…"`): compare them bare. */
export function normalizeEtag(etag: string | undefined | null): string | null {
  if (!etag) return null;
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

async function readBody(stream: NodeJS.ReadableStream | undefined, expected: number): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  let length = 0;
  for await (const part of stream) {
    const buffer = typeof part === 'string' ? Buffer.from(part) : (part as Buffer);
    parts.push(buffer);
    length += buffer.length;
  }
  const body = parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
  if (body.length !== expected) throw new Error(`short read: expected ${expected} bytes, got ${body.length}`);
  return body;
}

export function openAzureSource(
  target: AzureContainerTarget,
  options: AzureSourceOptions = {},
): BlobSource & {
  readonly container: ContainerClient;
} {
  const container = containerClientFor(target, options.pipeline);
  const prefixes = options.prefixes ?? FLOW_LOG_PREFIXES;
  const stats = newStats();

  function infoOf(item: {
    name: string;
    properties: { contentLength?: number; etag?: string; lastModified?: Date };
  }): BlobInfo {
    return {
      name: item.name,
      size: item.properties.contentLength ?? 0,
      etag: normalizeEtag(item.properties.etag),
      lastModified: item.properties.lastModified ?? null,
    };
  }

  async function* listFlat(prefix: string): AsyncGenerator<BlobInfo> {
    for await (const page of container.listBlobsFlat({ prefix }).byPage({ maxPageSize: 5000 })) {
      countRequest(stats, 'list');
      for (const item of page.segment.blobItems) {
        if (item.name.endsWith(FLOW_LOG_BLOB_NAME)) yield infoOf(item);
      }
    }
  }

  /** Walks `/`-delimited levels, pruning `y=/m=/d=/h=` partitions outside the range, then lists the hour flat. */
  async function* listPruned(prefix: string, range: ListOptions): AsyncGenerator<BlobInfo> {
    for await (const page of container.listBlobsByHierarchy('/', { prefix }).byPage({ maxPageSize: 5000 })) {
      countRequest(stats, 'list');
      for (const item of page.segment.blobItems) {
        if (item.name.endsWith(FLOW_LOG_BLOB_NAME)) yield infoOf(item);
      }
      for (const sub of page.segment.blobPrefixes ?? []) {
        const segments = sub.name.split('/').filter((s) => s.length > 0);
        if (!mayHoldRange(segments, range)) continue;
        if (isHourSegment(segments[segments.length - 1])) yield* listFlat(sub.name);
        else yield* listPruned(sub.name, range);
      }
    }
  }

  async function* list(range: ListOptions = {}): AsyncGenerator<BlobInfo> {
    for (const prefix of prefixes) {
      if (range.since || range.until) yield* listPruned(prefix, range);
      else yield* listFlat(prefix);
    }
  }

  async function blockLayout(
    client: BlockBlobClient,
  ): Promise<{ layout: BlobLayout; etag: string | null; size: number }> {
    countRequest(stats, 'getBlockList');
    const list = await client.getBlockList('committed');
    const layout = layoutBlocks((list.committedBlocks ?? []).map((b) => ({ id: b.name, size: b.size })));
    return { layout, etag: normalizeEtag(list.etag), size: list.blobContentLength ?? layout.size };
  }

  async function download(
    client: BlockBlobClient,
    offset: number,
    count: number,
    etag: string | null,
  ): Promise<Buffer> {
    countRequest(stats, 'download');
    const response = await client.download(
      offset,
      count,
      etag ? { conditions: { ifMatch: `"${etag}"` } } : {},
    );
    const body = await readBody(response.readableStreamBody, count);
    stats.bytesRead += body.length;
    return body;
  }

  function sameBlocks(layout: BlobLayout, blocks: readonly DataBlock[], firstIndex: number): boolean {
    return blocks.every((b, k) => {
      const now = layout.data[firstIndex + k];
      return now !== undefined && now.id === b.id && now.offset === b.offset && now.size === b.size;
    });
  }

  async function* readDelta(
    blob: BlobInfo,
    cursor: BlobCheckpoint | null,
    options: ReadDeltaOptions = {},
  ): AsyncGenerator<DeltaChunk> {
    const maxChunkBytes = options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES;
    const client = container.getBlockBlobClient(blob.name);
    let listed: Awaited<ReturnType<typeof blockLayout>>;
    try {
      listed = await blockLayout(client);
    } catch (err) {
      if (statusOf(err) === 404) return;
      throw err;
    }
    let { layout } = listed;
    /** ETag the plan was made at: what the checkpoint records (so a later listing ETag that differs means "look again"). */
    const planEtag = listed.etag;
    /** ETag downloads are conditioned on; moves forward when an append re-commits the list mid-read. */
    let readEtag = listed.etag;
    if (layout.head === null) {
      // Uploaded in one piece (no block list): frame records like a folder file.
      if (listed.size === 0) return;
      const read = (offset: number, count: number) => download(client, offset, count, null);
      yield* framedDelta(read, listed.size, blob.name, cursor, maxChunkBytes);
      return;
    }
    const plan = planDelta(layout, cursor);
    if (plan.replace && plan.blocks.length === 0) {
      const headEnd = layout.head.offset + layout.head.size;
      yield {
        blob: blob.name,
        replace: true,
        blocks: [],
        bytes: Buffer.alloc(0),
        after: { lastBlockId: null, blockCount: 0, byteOffset: headEnd, etag: planEtag },
      };
      return;
    }
    let index = plan.firstIndex;
    let first = true;
    for (const blocks of chunkBlocks(plan.blocks, maxChunkBytes)) {
      const { start, end } = rangeOf(blocks);
      let bytes: Buffer | null = null;
      for (let attempt = 0; bytes === null; attempt++) {
        try {
          bytes = await download(client, start, end - start, readEtag);
        } catch (err) {
          // 412: the blob was re-committed since the block list was read. Appends keep earlier
          // blocks where they were, so continue if ours are still in place; otherwise try next pass.
          if (statusOf(err) !== 412 || attempt >= 3) {
            if (statusOf(err) === 412 || statusOf(err) === 404) throw new BlobChangedError(blob.name);
            throw err;
          }
          ({ layout, etag: readEtag } = await blockLayout(client));
          if (!sameBlocks(layout, blocks, index)) throw new BlobChangedError(blob.name);
        }
      }
      index += blocks.length;
      const last = blocks[blocks.length - 1];
      yield {
        blob: blob.name,
        replace: plan.replace && first,
        blocks,
        bytes,
        after: {
          lastBlockId: last.id,
          blockCount: index,
          byteOffset: last.offset + last.size,
          etag: planEtag,
        },
      };
      first = false;
    }
  }

  return {
    id: containerIdentity(container),
    kind: 'azure',
    stats,
    container,
    list,
    readDelta,
    close: async () => {},
  };
}
