import { decodeBuffer } from '../formats/decode.js';
import type { FlowBatch } from '../formats/flowbatch.js';

/** A chunk of consecutive data blocks of one blob, to decode into FlowBatches. */
export interface DecodeJob {
  blob: string;
  /** Blob offset of `bytes[0]`. */
  base: number;
  bytes: Uint8Array;
  blocks: { offset: number; size: number; lineage: string }[];
  /** Index within the blob of the chunk's first record (for error locations). */
  firstRecord: number;
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
 * Decodes one chunk with the formats library's streaming decoder (strict: a bad tuple or record is
 * a located FlowLogFormatError, which quarantines the blob). Every row gets `blob` = the blob name
 * and `block` = the lineage of the block holding its record.
 */
export function decodeJob(job: DecodeJob): FlowBatch[] {
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
    block: blocks.length === 1 ? blocks[0].lineage : lineageAt,
    baseOffset: job.base,
    firstRecordIndex: job.firstRecord,
  });
  return batches.filter((b) => b.length > 0);
}
