import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { HEAD_BLOCK, TAIL_BLOCK, encodeBlock } from '../../../src/formats/index.js';
import { recordFor, type TestLogSpec } from '../../ingest/support/writer.js';

export interface BigBlob {
  path: string;
  bytes: number;
  records: number;
  tuples: number;
  /** Sum of the four counters over every tuple, from the tuple text (not from our decoder). */
  counterSum: number;
}

function counterSumOf(record: ReturnType<typeof recordFor>): number {
  let sum = 0;
  for (const flow of record.flowRecords.flows)
    for (const group of flow.flowGroups)
      for (const tuple of group.flowTuples) for (const f of tuple.split(',').slice(9, 13)) sum += f === '' ? 0 : Number(f);
  return sum;
}

/**
 * Streams a VNet flow-log (v4) `PT1H.json` of at least `minBytes` to `path`, through the formats
 * encoder: head block, then records cycled from a pool of distinct encoded records (each a block
 * with its leading comma, as Azure appends them), then the tail block. Never holds more than the
 * pool and one write buffer in memory, so a 2 GB blob costs the test process nothing.
 */
export async function writeBigBlob(path: string, minBytes: number, tuplesPerRecord = 200): Promise<BigBlob> {
  const POOL = 60;
  const spec: TestLogSpec = { blobs: 1, tuplesPerRecord, seed: 2026 };
  const records0 = Array.from({ length: POOL }, (_, m) => recordFor(spec, 0, m));
  const pool = records0.map((r) => Buffer.from(encodeBlock(r, false)));
  const sums = records0.map(counterSumOf);
  const first = Buffer.from(encodeBlock(records0[0], true));
  let counterSum = sums[0];
  const out = createWriteStream(path, { highWaterMark: 4 << 20 });
  let bytes = 0;
  const write = async (chunk: Buffer) => {
    bytes += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  };
  await write(Buffer.from(HEAD_BLOCK));
  await write(first);
  let records = 1;
  const budget = minBytes - TAIL_BLOCK.length;
  // Group pool blocks into ~4 MB writes: one syscall per group instead of per record.
  const group: Buffer[] = [];
  let groupBytes = 0;
  while (bytes + groupBytes < budget) {
    const block = pool[records % POOL];
    group.push(block);
    counterSum += sums[records % POOL];
    groupBytes += block.length;
    records++;
    if (groupBytes >= 4 << 20) {
      await write(Buffer.concat(group));
      group.length = 0;
      groupBytes = 0;
    }
  }
  if (group.length > 0) await write(Buffer.concat(group));
  await write(Buffer.from(TAIL_BLOCK));
  out.end();
  await once(out, 'close');
  return { path, bytes, records, tuples: records * tuplesPerRecord, counterSum };
}
