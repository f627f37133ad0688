/**
 * Batch reuse (`DecodeOptions.batchPool`): a decoder given a pool refills one batch's columns
 * after each `onBatch` returns and leaves them to the next decoder; rows read inside the callback
 * are exactly those of a decoder without a pool.
 */
import { describe, expect, it } from 'vitest';
import {
  createBatchPool,
  createDecoder,
  decodeBuffer,
  decodeRecords,
  encodeBlob,
  rowsOf,
  type BatchPool,
  type FlowBatch,
  type FlowRow,
} from '../../src/formats/index.js';
import { allRows, sample, VALID_SAMPLES } from './helpers.js';

/** Decodes with the pool, copying each batch's rows inside the callback; notes the batches seen. */
function decodePooled(bytes: Uint8Array, pool: BatchPool, batchSize: number, chunk = 7) {
  const rows: FlowRow[] = [];
  const seen: FlowBatch[] = [];
  const decoder = createDecoder({
    source: 's',
    batchSize,
    batchPool: pool,
    onBatch: (batch) => {
      seen.push(batch);
      rows.push(...rowsOf(batch));
    },
  });
  for (let o = 0; o < bytes.length; o += chunk) decoder.push(bytes.subarray(o, o + chunk));
  const stats = decoder.end();
  return { rows, seen, stats };
}

/** Several records (each flush comes after a record): both samples' records, three times. */
function manyRecords(): Uint8Array {
  const records = [
    ...decodeRecords(sample('nsg-2.5.2-v2.json')),
    ...decodeRecords(sample('nsg-2.5.3-block-reader.json')),
  ];
  return encodeBlob([...records, ...records, ...records]);
}

describe('batch pool', () => {
  it('gives the rows of a fresh-batch decode across many batches', () => {
    const bytes = manyRecords();
    const expected = allRows(decodeBuffer(bytes, { source: 's', batchSize: 1 }).batches);
    const pool = createBatchPool();
    expect(decodePooled(bytes, pool, 1).rows).toEqual(expected);
    expect(decodePooled(bytes, pool, 3, 64).rows).toEqual(expected);
  });

  for (const name of VALID_SAMPLES) {
    it(`gives the rows of a fresh-batch decode for ${name} (batches of 1 and 2 rows)`, () => {
      const bytes = sample(name);
      const expected = allRows(decodeBuffer(bytes, { source: 's' }).batches);
      expect(expected.length).toBeGreaterThan(0);
      const pool = createBatchPool();
      for (const batchSize of [1, 2, 65536]) {
        const { rows, stats } = decodePooled(bytes, pool, batchSize);
        expect(rows).toEqual(expected);
        expect(stats.tuples).toBe(expected.length);
      }
    });
  }

  it('refills the same columns from batch to batch and hands them to the next decoder', () => {
    const bytes = manyRecords();
    const pool = createBatchPool();
    const first = decodePooled(bytes, pool, 1);
    expect(first.seen.length).toBeGreaterThan(2);
    expect(new Set(first.seen.map((b) => b.time_ms)).size).toBe(1);
    expect(pool.spare).toBe(first.seen[0]);
    const second = decodePooled(bytes, pool, 1);
    expect(second.seen[0]).toBe(first.seen[0]);
    expect(second.rows).toEqual(first.rows);
  });

  it('without a pool every batch is new memory', () => {
    const batches = decodeBuffer(manyRecords(), { batchSize: 1 }).batches;
    expect(batches.length).toBeGreaterThan(2);
    expect(new Set(batches.map((b) => b.time_ms)).size).toBe(batches.length);
  });
});
