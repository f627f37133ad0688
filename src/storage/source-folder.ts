import { open, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { BlobCheckpoint } from '../store/types.js';
import { framedDelta } from './source-framed.js';
import {
  DEFAULT_MAX_CHUNK_BYTES,
  FLOW_LOG_BLOB_NAME,
  FLOW_LOG_CONTAINERS,
  countRequest,
  mayHoldRange,
  newStats,
  type BlobInfo,
  type BlobSource,
  type DeltaChunk,
  type ListOptions,
  type ReadDeltaOptions,
} from './source.js';

/**
 * A folder laid out like a flow-log container: `flowLogResourceID=/…/PT1H.json` (VNet) or
 * `resourceId=/…/PT1H.json` (NSG), walked recursively. Blob names are folder-relative with `/`,
 * so they equal the blob names of the same files uploaded to a container.
 * Deltas are framed per record (see `source-framed.ts`).
 */
export function openFolderSource(dir: string): BlobSource {
  const root = resolve(dir);
  const stats = newStats();

  async function* walk(relative: string[], options: ListOptions): AsyncGenerator<BlobInfo> {
    const abs = join(root, ...relative);
    countRequest(stats, 'readdir');
    const entries = await readdir(abs, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const segments = [...relative, entry.name];
      if (entry.isDirectory()) {
        if (mayHoldRange(segments, options)) yield* walk(segments, options);
      } else if (entry.isFile() && entry.name === FLOW_LOG_BLOB_NAME) {
        const info = await stat(join(abs, entry.name));
        yield { name: segments.join('/'), size: info.size, etag: null, lastModified: info.mtime };
      }
    }
  }

  async function readDelta(
    blob: BlobInfo,
    cursor: BlobCheckpoint | null,
    options: ReadDeltaOptions = {},
  ): Promise<AsyncGenerator<DeltaChunk>> {
    const handle = await open(join(root, ...blob.name.split('/')), 'r');
    const size = (await handle.stat()).size;
    const read = async (offset: number, count: number): Promise<Buffer> => {
      countRequest(stats, 'read');
      // A buffer of its own (never Node's shared pool for small reads), so chunks can be
      // transferred; not zero-filled, the read overwrites it (2,600 hour files: ~0.05 s, against
      // ~1 s for zero-filled ArrayBuffers).
      const buffer = Buffer.allocUnsafeSlow(count);
      let done = 0;
      while (done < count) {
        const { bytesRead } = await handle.read(buffer, done, count - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      stats.bytesRead += done;
      return done === count ? buffer : buffer.subarray(0, done);
    };
    const inner = framedDelta(
      read,
      size,
      blob.name,
      cursor,
      options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES,
    );
    return (async function* () {
      try {
        for await (const chunk of inner) yield { ...chunk, transferable: true };
      } finally {
        await handle.close();
      }
    })();
  }

  return {
    id: root,
    kind: 'folder',
    stats,
    list: (options = {}) => walk([], options),
    readDelta: (blob, cursor, options) => ({
      async *[Symbol.asyncIterator]() {
        yield* await readDelta(blob, cursor, options);
      },
    }),
    close: async () => {},
  };
}

/**
 * Opens the sources a folder holds: each `insights-logs-*` container folder inside it, or the
 * folder itself when it is a container.
 */
export async function openFolderSources(dir: string): Promise<BlobSource[]> {
  const root = resolve(dir);
  let info;
  try {
    info = await stat(root);
  } catch {
    throw new UsageError(`folder ${root} does not exist`);
  }
  if (!info.isDirectory()) throw new UsageError(`${root} is not a folder`);
  const entries = await readdir(root, { withFileTypes: true });
  const containers = entries
    .filter((e) => e.isDirectory() && (FLOW_LOG_CONTAINERS as readonly string[]).includes(e.name))
    .map((e) => e.name)
    .sort();
  if (containers.length === 0) return [openFolderSource(root)];
  return containers.map((name) => openFolderSource(join(root, name)));
}
