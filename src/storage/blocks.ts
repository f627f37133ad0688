import { FlowLogFormatError } from '../errors.js';

/**
 * Committed-block-list deltas: which bytes of a `PT1H.json` block blob are new since a checkpoint.
 *
 * Azure writes a flow-log blob as `[head, data1 … dataN, tail]` and, every minute, stages one more
 * data block and re-commits the list as `[head, data1 … dataN, dataN+1, tail]` (spec §1.11). So the
 * byte offset of every data block is stable while the hour grows, and only the blocks after the
 * checkpoint's last block are new. The tail (`]}`) is never read: it moves every minute.
 *
 * This module is pure (no I/O): it turns a block list into a layout, a layout plus a checkpoint into
 * a plan, and frames the records of a blob that has no block list (a folder file, or a blob that was
 * uploaded whole) so that both kinds of source hand the decoder the same units.
 */

/** One entry of a committed block list, as Azure reports it. */
export interface CommittedBlock {
  /** Block ID, base64 as the service returns it. */
  id: string;
  size: number;
}

/** A data block located within the blob. */
export interface DataBlock {
  /** Block ID (base64) for block blobs; `@<offset>` for framed blobs (see `frameRecords`). */
  id: string;
  offset: number;
  size: number;
}

export interface BlobLayout {
  head: DataBlock | null;
  data: DataBlock[];
  tail: DataBlock | null;
  /** Committed length of the blob in bytes. */
  size: number;
}

/**
 * Splits a committed block list into head, data blocks and tail.
 *
 * The first block is the head and the last the tail whenever there are at least two (spec §1.11:
 * "Each block blob contains at least two blocks"). A blob with a single committed block is treated
 * as a head still waiting for its first data block: nothing in it is data yet.
 */
export function layoutBlocks(blocks: readonly CommittedBlock[]): BlobLayout {
  let offset = 0;
  const located = blocks.map((b) => {
    const block: DataBlock = { id: b.id, offset, size: b.size };
    offset += b.size;
    return block;
  });
  if (located.length === 0) return { head: null, data: [], tail: null, size: 0 };
  if (located.length === 1) return { head: located[0], data: [], tail: null, size: offset };
  return {
    head: located[0],
    data: located.slice(1, -1),
    tail: located[located.length - 1],
    size: offset,
  };
}

/** The part of a checkpoint that decides what is new. */
export interface DeltaCursor {
  lastBlockId: string | null;
  blockCount: number;
  byteOffset: number;
}

export interface DeltaPlan {
  /**
   * The checkpoint's last block is gone (or sits at another offset): the blob was recreated, so
   * its rows must be replaced and it is read from the first data block again.
   */
  replace: boolean;
  /** Data blocks to read, in blob order. */
  blocks: DataBlock[];
  /** Index (among data blocks) of `blocks[0]`; the checkpoint's blockCount after k blocks is firstIndex + k. */
  firstIndex: number;
}

/**
 * Decides which data blocks are new. The checkpoint block must be found at the same position
 * and byte offset; anything else means the blob was recreated.
 */
export function planDelta(layout: BlobLayout, cursor: DeltaCursor | null): DeltaPlan {
  if (cursor === null || cursor.lastBlockId === null || cursor.blockCount === 0) {
    return { replace: false, blocks: layout.data, firstIndex: 0 };
  }
  const index = cursor.blockCount - 1;
  const at = layout.data[index];
  if (at !== undefined && at.id === cursor.lastBlockId && at.offset + at.size === cursor.byteOffset) {
    return { replace: false, blocks: layout.data.slice(index + 1), firstIndex: index + 1 };
  }
  return { replace: true, blocks: layout.data, firstIndex: 0 };
}

/**
 * Groups consecutive blocks into chunks of at most `maxBytes` (a single larger block is its own
 * chunk). Each chunk is downloaded with one ranged GET and committed with its own checkpoint, which
 * bounds memory for 100 MB blobs and keeps the work lost to a crash small.
 */
export function chunkBlocks(blocks: readonly DataBlock[], maxBytes: number): DataBlock[][] {
  const chunks: DataBlock[][] = [];
  let current: DataBlock[] = [];
  let bytes = 0;
  for (const block of blocks) {
    if (current.length > 0 && bytes + block.size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(block);
    bytes += block.size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Byte range `[start, end)` covered by consecutive blocks. */
export function rangeOf(blocks: readonly DataBlock[]): { start: number; end: number } {
  if (blocks.length === 0) return { start: 0, end: 0 };
  const last = blocks[blocks.length - 1];
  return { start: blocks[0].offset, end: last.offset + last.size };
}

/** The synthetic ID of a framed block: its byte offset within the blob. */
export function offsetBlockId(offset: number): string {
  return `@${offset}`;
}

/**
 * Row lineage for a block. We use the byte offset of the block within the blob for every source:
 * it is stable while the hour grows, and the same whether the blob is read from a folder (no block
 * IDs there) or from Azure, so a folder and the same blobs in a container give identical stores.
 * The Azure block ID is kept in the checkpoint, where recreation detection needs it.
 */
export function lineageOf(block: DataBlock): string {
  return offsetBlockId(block.offset);
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Finds the end of the head (`{"records":[`) at the start of a blob: returns the offset just past
 * the `[`, or -1 when the bytes seen so far are too short to tell.
 */
export function findHeadEnd(bytes: Uint8Array, source: string): number {
  const limit = Math.min(bytes.length, 256);
  let i = 0;
  while (i < limit && isSpace(bytes[i])) i++;
  if (i >= limit) return -1;
  if (bytes[i] !== OPEN_BRACE) {
    throw new FlowLogFormatError('blob does not start with {"records":[', { source, offset: i });
  }
  for (let j = i + 1; j < limit; j++) {
    if (bytes[j] === OPEN_BRACKET) {
      const key = Buffer.from(bytes.subarray(i + 1, j)).toString('latin1');
      if (!/^\s*"records"\s*:\s*$/.test(key)) {
        throw new FlowLogFormatError('blob does not start with {"records":[', { source, offset: i });
      }
      return j + 1;
    }
  }
  if (limit === 256)
    throw new FlowLogFormatError('blob does not start with {"records":[', { source, offset: i });
  return -1;
}

export interface FramedRecords {
  /** One block per complete record, tiling `[baseOffset, baseOffset + consumed)`. */
  blocks: DataBlock[];
  /** Bytes covered by `blocks`; a trailing incomplete record is left for the next read. */
  consumed: number;
  /** True when the closing `]` of the records array was reached. */
  reachedTail: boolean;
}

/**
 * Frames the records of a blob region that starts at a block boundary (just after the head, or at
 * the separator before a record). Each record becomes one block that also owns the separator
 * before it, so blocks tile the region exactly as Azure's `,{…}` minute blocks do, and a record's
 * block offset equals the Azure data block offset for blobs written one record per block.
 *
 * This is framing only (brackets, strings, escapes); the decoder parses the records.
 */
export function frameRecords(bytes: Uint8Array, baseOffset: number, source: string): FramedRecords {
  const blocks: DataBlock[] = [];
  let blockStart = 0;
  let i = 0;
  const n = bytes.length;
  for (;;) {
    // Between records: separators and whitespace, then `{` (a record) or `]` (the tail).
    while (i < n && (isSpace(bytes[i]) || bytes[i] === COMMA)) i++;
    if (i >= n) return { blocks, consumed: blockStart, reachedTail: false };
    const c = bytes[i];
    if (c === CLOSE_BRACKET) return { blocks, consumed: blockStart, reachedTail: true };
    if (c !== OPEN_BRACE) {
      throw new FlowLogFormatError(
        `expected a record or the end of "records", found ${JSON.stringify(String.fromCharCode(c))}`,
        {
          source,
          block: offsetBlockId(baseOffset + blockStart),
          offset: baseOffset + i,
        },
      );
    }
    let depth = 0;
    let end = -1;
    for (; i < n; i++) {
      const b = bytes[i];
      if (b === QUOTE) {
        // Most of a record's bytes are inside strings (the flow tuples): jump to the closing
        // quote with a native search, then make sure it is not escaped (odd run of backslashes).
        let close = bytes.indexOf(QUOTE, i + 1);
        for (;;) {
          if (close < 0) break;
          let slashes = 0;
          while (bytes[close - 1 - slashes] === BACKSLASH) slashes++;
          if ((slashes & 1) === 0) break;
          close = bytes.indexOf(QUOTE, close + 1);
        }
        // an unterminated string: the record is incomplete (end stays -1)
        if (close < 0) break;
        i = close;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) {
          end = i + 1;
          break;
        }
      }
    }
    if (end < 0) return { blocks, consumed: blockStart, reachedTail: false };
    blocks.push({
      id: offsetBlockId(baseOffset + blockStart),
      offset: baseOffset + blockStart,
      size: end - blockStart,
    });
    blockStart = end;
    i = end;
  }
}

/** FNV-1a over a block's bytes: the folder stand-in for an ETag, to notice a rewritten file. */
export function fingerprint(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return `fnv1a:${bytes.length}:${(h >>> 0).toString(16).padStart(8, '0')}`;
}
