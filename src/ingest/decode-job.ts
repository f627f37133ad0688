import { decodeBuffer, type DecoderCache } from '../formats/decode.js';
import type { FlowBatch } from '../formats/flowbatch.js';
import type { TableRows } from '../store/types.js';

/** A chunk of consecutive data blocks of one blob, to decode into FlowBatches. */
export interface DecodeJob {
  blob: string;
  /** Blob offset of `bytes[0]`. */
  base: number;
  bytes: Uint8Array;
  blocks: { offset: number; size: number; lineage: string }[];
  /** Index within the blob of the chunk's first record (for error locations). */
  firstRecord: number;
  /** Move `bytes`' ArrayBuffer to the decoder thread instead of copying it (see DeltaChunk.transferable). */
  transfer?: boolean;
}

/** Buffers to transfer (not copy) when batches cross a thread boundary. */
export function batchTransferList(batches: readonly FlowBatch[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const batch of batches) {
    for (const value of Object.values(batch)) {
      if (ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer) out.add(value.buffer);
    }
  }
  return [...out];
}

/**
 * Rows to size the decoder's batch for: a chunk's rows estimated from its bytes (VNet tuples take
 * ~110 bytes of JSON each with their record's share). The decoder's default (4,096-row columns,
 * ~370 kB, allocated twice per decoder) costs more than decoding a one-minute block of ~20 tuples,
 * and most chunks are a few blocks; an underestimate only splits the chunk into more batches.
 */
export function batchSizeFor(bytes: number): number {
  return Math.max(64, Math.min(65_536, Math.ceil(bytes / 96)));
}

/**
 * Decodes one chunk with the formats library's streaming decoder (strict: a bad tuple or record is
 * a located FlowLogFormatError, which quarantines the blob). Every row gets `blob` = the blob name
 * and `block` = the lineage of the block holding its record. A decoder thread passes its `cache`,
 * so the strings of one chunk are not made again for the next.
 */
export function decodeJob(job: DecodeJob, cache?: DecoderCache): FlowBatch[] {
  const blocks = job.blocks;
  const lineageAt = (offset: number): string | null => {
    let lo = 0;
    let hi = blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (blocks[mid].offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return blocks[lo]?.lineage ?? null;
  };
  const { batches } = decodeBuffer(job.bytes, {
    source: job.blob,
    batchSize: batchSizeFor(job.bytes.length),
    block: blocks.length === 1 ? blocks[0].lineage : lineageAt,
    baseOffset: job.base,
    firstRecordIndex: job.firstRecord,
    ...(cache ? { cache } : {}),
  });
  return batches.filter((b) => b.length > 0);
}

/** Buffers of derived rows (typed-array columns, dictionary refs, list offsets and values). */
export function tableRowsTransferList(rows: readonly TableRows[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (value: unknown) => {
    if (ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer) out.add(value.buffer);
  };
  for (const table of rows) {
    for (const column of Object.values(table.columns)) {
      add(column);
      if (column && typeof column === 'object' && 'kind' in column) {
        for (const part of Object.values(column)) add(part);
      }
    }
  }
  return [...out];
}
