import type { BlobCheckpoint } from '../store/types.js';
import { findHeadEnd, fingerprint, frameRecords, type DataBlock } from './blocks.js';
import type { DeltaChunk } from './source.js';

/**
 * Deltas for a blob that has no block list: a folder file (the folder sink stores the committed
 * content, `{"records":[` + records + `]}`) or an Azure blob uploaded in one piece.
 *
 * Choice (documented for users): each record is one delta unit, with the synthetic block ID
 * `@<byte offset>` (the offset of its leading separator, exactly where Azure's minute block for it
 * starts). The checkpoint keeps the last record's ID, the byte offset just past it, and, in `etag`,
 * a fingerprint of that record's bytes. A later read re-reads only that record to confirm the file
 * still holds it (otherwise the file was rewritten: re-read it whole and replace its rows), then
 * reads from the checkpoint offset to the end of the file and frames the complete records found.
 * The tail and any record still being written are left for the next read.
 */
export type RangeReader = (offset: number, count: number) => Promise<Buffer>;

const HEAD_PROBE_BYTES = 256;

function parseOffsetId(id: string | null): number | null {
  if (id === null || !id.startsWith('@')) return null;
  const n = Number(id.slice(1));
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

async function stillHolds(read: RangeReader, size: number, cursor: BlobCheckpoint): Promise<boolean> {
  const last = parseOffsetId(cursor.lastBlockId);
  if (last === null || cursor.byteOffset > size || last >= cursor.byteOffset) return false;
  const bytes = await read(last, cursor.byteOffset - last);
  return fingerprint(bytes) === cursor.etag;
}

export async function* framedDelta(
  read: RangeReader,
  size: number,
  blob: string,
  cursor: BlobCheckpoint | null,
  maxChunkBytes: number,
): AsyncGenerator<DeltaChunk> {
  let replace = false;
  let position: number;
  let blockCount: number;
  const resumable = cursor !== null && cursor.lastBlockId !== null && cursor.blockCount > 0;
  if (resumable && (await stillHolds(read, size, cursor))) {
    position = cursor.byteOffset;
    blockCount = cursor.blockCount;
  } else {
    replace = resumable;
    if (size === 0) return;
    const head = await read(0, Math.min(size, HEAD_PROBE_BYTES));
    const headEnd = findHeadEnd(head, blob);
    if (headEnd < 0) return;
    position = headEnd;
    blockCount = 0;
    if (replace && size <= headEnd) {
      yield {
        blob,
        replace,
        blocks: [],
        bytes: Buffer.alloc(0),
        after: { lastBlockId: null, blockCount: 0, byteOffset: headEnd, etag: null },
      };
      return;
    }
  }
  let window = maxChunkBytes;
  let emitted = false;
  while (position < size) {
    const count = Math.min(size - position, window);
    const bytes = await read(position, count);
    const framed = frameRecords(bytes, position, blob);
    if (framed.blocks.length === 0) {
      // A record larger than the window: widen it; otherwise the rest is the tail or a partial record.
      if (!framed.reachedTail && position + count < size) {
        window *= 2;
        continue;
      }
      break;
    }
    window = maxChunkBytes;
    const blocks: DataBlock[] = framed.blocks;
    const last = blocks[blocks.length - 1];
    blockCount += blocks.length;
    const chunkBytes = bytes.subarray(0, framed.consumed);
    yield {
      blob,
      replace: replace && !emitted,
      blocks,
      bytes: chunkBytes,
      after: {
        lastBlockId: last.id,
        blockCount,
        byteOffset: last.offset + last.size,
        etag: fingerprint(chunkBytes.subarray(last.offset - position)),
      },
    };
    emitted = true;
    position += framed.consumed;
    if (framed.reachedTail) break;
  }
  if (replace && !emitted) {
    yield {
      blob,
      replace,
      blocks: [],
      bytes: Buffer.alloc(0),
      after: { lastBlockId: null, blockCount: 0, byteOffset: position, etag: null },
    };
  }
}
