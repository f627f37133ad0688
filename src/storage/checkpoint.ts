import type { BlobCheckpoint } from '../store/types.js';
import type { DeltaChunk } from './source.js';

/**
 * Checkpoints live in the store, next to the rows they cover (one transaction per chunk), so a crash
 * either keeps both or neither. This module only builds them.
 */
export function checkpointAfter(source: string, chunk: DeltaChunk, now: Date = new Date()): BlobCheckpoint {
  return {
    source,
    blob: chunk.blob,
    lastBlockId: chunk.after.lastBlockId,
    blockCount: chunk.after.blockCount,
    byteOffset: chunk.after.byteOffset,
    etag: chunk.after.etag,
    updatedAt: now.toISOString(),
  };
}

/** Key for maps of checkpoints across sources. */
export function checkpointKey(source: string, blob: string): string {
  return `${source}\u0000${blob}`;
}
