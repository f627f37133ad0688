/**
 * The writing side of storage: a `BlobSink` grows block blobs the way Azure grows `PT1H.json`
 * (spec §1.11). Every blob is `[head, data1 … dataN, tail]`; a data block is staged per record
 * and the whole list is re-committed, so the committed blob is valid JSON after every commit.
 * The sink never looks inside a block: encoding (and the leading comma of later blocks) is the
 * caller's job, through the formats library.
 */
import { createHash } from 'node:crypto';

export interface BlobSinkOptions {
  /** Bytes of the first block (`{"records":[`, 12 bytes for flow logs). */
  head: Uint8Array;
  /** Bytes of the last block (`]}`, 2 bytes for flow logs). */
  tail: Uint8Array;
}

export interface SinkCommitSummary {
  /** Blobs whose block list was (re)committed. */
  blobs: number;
  /** Data blocks made durable by this commit. */
  blocks: number;
  /** Data bytes made durable by this commit. */
  bytes: number;
}

export interface BlobSink {
  /** Human-readable target, e.g. a folder path or an account URL. */
  readonly target: string;
  /**
   * Stages one data block for `container/blobName`; the head and tail blocks are created with the
   * blob. Nothing is visible to readers until `commit()`.
   */
  stage(container: string, blobName: string, block: Uint8Array): void;
  /** Data blocks staged so far for this blob, committed or not (0 for a blob never staged). */
  dataBlockCount(container: string, blobName: string): number;
  /** Commits the block lists of every blob staged since the last commit. */
  commit(): Promise<SinkCommitSummary>;
  /**
   * Optional: a commit that takes the staged blocks at the moment it is called and writes them in
   * the background, so the caller may go on staging (for the next commit) while its promise is
   * pending. The caller must await it before `forget`, `close`, reusing the committed blocks'
   * memory, or relying on the content. `commit()` waits for it too.
   */
  commitInBackground?(): Promise<SinkCommitSummary>;
  /** Bytes staged and not yet committed (callers commit early when this grows too large). */
  pendingBytes(): number;
  /** Stops tracking blobs that will receive no more blocks (e.g. a finished hour). */
  forget(predicate: (container: string, blobName: string) => boolean): void;
  close(): Promise<void>;
}

/**
 * Block IDs are base64 of 32 lowercase hex characters, as in the block list Microsoft's
 * block-reader doc shows. UNCONFIRMED how Azure derives them; ours are the MD5 of the blob's
 * name and the block's position, so reruns with the same seed produce identical block lists.
 */
export function blockIdFor(container: string, blobName: string, position: 'head' | 'tail' | number): string {
  const hex = createHash('md5').update(`${container}/${blobName}#${position}`).digest('hex');
  return Buffer.from(hex, 'ascii').toString('base64');
}

/** The committed block list of a blob with `dataBlocks` data blocks. */
export function blockListFor(container: string, blobName: string, dataBlocks: number): string[] {
  const ids = [blockIdFor(container, blobName, 'head')];
  for (let i = 0; i < dataBlocks; i++) ids.push(blockIdFor(container, blobName, i));
  ids.push(blockIdFor(container, blobName, 'tail'));
  return ids;
}

/** Per-blob bookkeeping shared by the sinks: counts and pending blocks, no committed data. */
export interface StagedBlob {
  container: string;
  blobName: string;
  /** Data blocks committed so far. */
  committed: number;
  /** Bytes of the committed blob (head + data + tail), 0 if never committed. */
  committedBytes: number;
  pending: Uint8Array[];
}

export function createStagingArea() {
  // By container, then name: a caller staging the same name strings again looks them up by
  // their cached hashes instead of hashing a new concatenated key per block.
  const blobs = new Map<string, Map<string, StagedBlob>>();
  const dirty = new Set<StagedBlob>();
  let pendingBytes = 0;
  return {
    stage(container: string, blobName: string, block: Uint8Array): void {
      let inContainer = blobs.get(container);
      if (!inContainer) blobs.set(container, (inContainer = new Map()));
      let blob = inContainer.get(blobName);
      if (!blob) {
        blob = { container, blobName, committed: 0, committedBytes: 0, pending: [] };
        inContainer.set(blobName, blob);
      }
      blob.pending.push(block);
      pendingBytes += block.length;
      dirty.add(blob);
    },
    count(container: string, blobName: string): number {
      const blob = blobs.get(container)?.get(blobName);
      return blob ? blob.committed + blob.pending.length : 0;
    },
    /** Dirty blobs in staging order; the caller commits them and then calls `settle`. */
    dirty(): StagedBlob[] {
      return [...dirty];
    },
    settle(blob: StagedBlob, committedBytes: number): void {
      for (const b of blob.pending) pendingBytes -= b.length;
      blob.committed += blob.pending.length;
      blob.pending = [];
      blob.committedBytes = committedBytes;
      dirty.delete(blob);
    },
    pendingBytes: () => pendingBytes,
    forget(predicate: (container: string, blobName: string) => boolean): void {
      for (const inContainer of blobs.values()) {
        for (const [name, blob] of inContainer) {
          if (blob.pending.length === 0 && predicate(blob.container, blob.blobName)) inContainer.delete(name);
        }
      }
    },
  };
}
