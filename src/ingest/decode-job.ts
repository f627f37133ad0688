import { FlowLogFormatError } from '../errors.js';
import { allocateFlowBatch, createInterner, pushRow, type FlowBatch, type FlowRow } from '../formats/flowbatch.js';

/** A chunk of consecutive data blocks of one blob, to decode into FlowBatches. */
export interface DecodeJob {
  blob: string;
  /** Blob offset of `bytes[0]`. */
  base: number;
  bytes: Uint8Array;
  blocks: { offset: number; size: number; lineage: string }[];
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
 * Interim decoder (JSON.parse per record) until the formats library's streaming decoder lands;
 * it is swapped for `formats` in decodeJob below. Never a place for format rules to grow.
 */
function interimDecodeBlock(text: string, blob: string, block: string, rows: FlowRow[]): void {
  const trimmed = text.replace(/^[\s,]+/, '');
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(trimmed) as Record<string, unknown>;
  } catch (err) {
    throw new FlowLogFormatError(`record is not valid JSON: ${(err as Error).message}`, { source: blob, block });
  }
  const flowRecords = record.flowRecords as { flows?: { aclID: string; flowGroups: { rule: string; flowTuples: string[] }[] }[] } | undefined;
  if (!flowRecords || !Array.isArray(flowRecords.flows)) {
    throw new FlowLogFormatError('record has no flowRecords.flows', { source: blob, block });
  }
  let tupleIndex = 0;
  for (const flow of flowRecords.flows) {
    for (const group of flow.flowGroups) {
      for (const tuple of group.flowTuples) {
        const f = tuple.split(',');
        if (f.length !== 13) throw new FlowLogFormatError(`tuple has ${f.length} fields, expected 13`, { source: blob, block, tuple: tupleIndex });
        const num = (s: string) => (s === '' ? null : Number(s));
        rows.push({
          time_ms: Number(f[0]),
          record_time: String(record.time),
          version: 4,
          mac: String(record.macAddress),
          flow_log_id: String(record.flowLogResourceID ?? record.resourceId ?? ''),
          target_resource_id: (record.targetResourceID as string | undefined) ?? null,
          acl_id: flow.aclID,
          rule: group.rule,
          src_ip: f[1],
          dst_ip: f[2],
          src_port: Number(f[3]),
          dst_port: Number(f[4]),
          protocol: Number(f[5]),
          direction: f[6] as 'I' | 'O',
          state: f[7] as 'B' | 'C' | 'E' | 'D',
          decision: f[7] === 'D' ? 'D' : 'A',
          encryption: f[8],
          packets_s2d: num(f[9]),
          bytes_s2d: num(f[10]),
          packets_d2s: num(f[11]),
          bytes_d2s: num(f[12]),
          blob,
          block,
        });
        tupleIndex++;
      }
    }
  }
}

export function decodeJob(job: DecodeJob): FlowBatch[] {
  const rows: FlowRow[] = [];
  const decoder = new TextDecoder();
  for (const block of job.blocks) {
    const start = block.offset - job.base;
    interimDecodeBlock(decoder.decode(job.bytes.subarray(start, start + block.size)), job.blob, block.lineage, rows);
  }
  if (rows.length === 0) return [];
  const batch = allocateFlowBatch(rows.length);
  const interner = createInterner(batch.strings);
  for (const row of rows) pushRow(batch, interner, row);
  return [batch];
}
