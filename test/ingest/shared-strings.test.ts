import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flowBatchFromRows, rowAt, type FlowBatch } from '../../src/formats/flowbatch.js';
import {
  adoptStrings,
  createSharedStringTable,
  createStringTableCopy,
  shareStrings,
} from '../../src/ingest/shared-strings.js';
import {
  createStringDictionary,
  globalIdOf,
  remapTable,
  rollbackDictionary,
} from '../../src/store/duckdb/bulk.js';
import type { DictColumn, TableRows } from '../../src/store/types.js';
import { tuple } from '../analytics/helpers.js';
import { analyticsRows, digestStore } from './support/digest.js';
import { emulateHubSpoke, ingestHubSpoke } from './support/hubspoke.js';

/** A batch of `n` rows whose strings differ per batch `k` (record times, lineages) and repeat (IPs). */
function batchOf(k: number, n: number): FlowBatch {
  const rows = [];
  for (let i = 0; i < n; i++) {
    rows.push({
      ...tuple({ src_ip: `10.0.0.${i % 7}`, dst_ip: `10.1.${k}.${i % 3}` }),
      record_time: `2026-11-27T06:${String(k).padStart(2, '0')}:00.${i}Z`,
      blob: `blob-${k % 2}`,
      block: `@${k * 1000 + i}`,
      encryption: i % 4 === 0 ? null : 'NX',
    });
  }
  return flowBatchFromRows(rows);
}

/** Derived rows with one string list shared by two dictionary columns, as analytics makes them. */
function derivedOf(k: number): TableRows {
  const strings = [`nic-${k}`, 'shared', `sub-${k % 2}`];
  const refs = (values: number[]): DictColumn => ({ kind: 'dict', refs: Uint32Array.from(values), strings });
  return {
    table: 'ta_flow_partials',
    length: 3,
    columns: { src_nic: refs([0, 1, 2]), dest_nic: refs([2, 2, 1]), dst_port: Uint16Array.from([1, 2, 3]) },
  };
}

function derivedValues(rows: TableRows): string[][] {
  return Object.values(rows.columns)
    .filter((c): c is DictColumn => (c as DictColumn).kind === 'dict')
    .map((c) => Array.from(c.refs.subarray(0, rows.length), (r) => c.strings[r]));
}

describe('strings shared across a decoder thread’s batches', () => {
  it('the receiving copy resolves every ref to the string the batch had, across a table restart', () => {
    const table = createSharedStringTable();
    const copy = createStringTableCopy();
    const seen: Array<{ batch: FlowBatch; expected: unknown[]; derived: TableRows; values: string[][] }> = [];
    let generations = new Set<number>();
    for (let k = 0; k < 6; k++) {
      const batch = batchOf(k, 25);
      const derived = derivedOf(k);
      const expected = Array.from({ length: batch.length }, (_, i) => rowAt(batch, i));
      const values = derivedValues(derived);
      // a tiny limit: the table starts over (a new generation) every few batches
      const delta = shareStrings(table, [batch], [derived], 150);
      expect(batch.strings).toEqual([]);
      generations.add(delta.generation);
      // each distinct string crosses once per generation: repeats are not in the delta
      expect(new Set(delta.added).size).toBe(delta.added.length);
      adoptStrings(copy, delta, [batch], [derived]);
      seen.push({ batch, expected, derived, values });
    }
    expect(generations.size).toBeGreaterThan(1);
    // earlier batches keep resolving after later generations replaced the copy's array
    for (const { batch, expected, derived, values } of seen) {
      expect(Array.from({ length: batch.length }, (_, i) => rowAt(batch, i))).toEqual(expected);
      expect(derivedValues(derived)).toEqual(values);
    }
    generations = new Set(seen.map((s) => (s.batch.strings === copy.strings ? 1 : 0)));
    expect(generations).toEqual(new Set([0, 1]));
  });

  it('the store remap of a growing array maps only new entries, and starts over after a rollback', () => {
    const dict = createStringDictionary([['kept', 0]]);
    const strings = ['a', 'kept'];
    const first = remapTable(dict, strings);
    expect(Array.from(first.subarray(0, 2))).toEqual([1, 0]);
    dict.pending = [];
    strings.push('b', 'c');
    const second = remapTable(dict, strings);
    expect(Array.from(second.subarray(0, 4))).toEqual([1, 0, 2, 3]);
    expect(dict.pending).toEqual(['b', 'c']);
    // the commit that added b and c rolled back: their ids are free again and must be re-taken
    rollbackDictionary(dict);
    expect(globalIdOf(dict, 'z')).toBe(2);
    const third = remapTable(dict, strings);
    expect(Array.from(third.subarray(0, 4))).toEqual([1, 0, 3, 4]);
    expect(dict.ids.get('c')).toBe(4);
  });
});

describe('ingesting with shared strings', () => {
  let dir: string;
  let logs: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flowlens-shared-strings-'));
    logs = await emulateHubSpoke(dir, { duration: '25m', start: '2025-01-06T08:00:00Z', seed: 11 });
  }, 300_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a decoder thread (shared table) and inline decoding (a dictionary per batch) give identical stores', async () => {
    const ingestInto = (file: string, workers: number) => ingestHubSpoke(logs, join(dir, file), { workers });
    const threaded = await ingestInto('threaded.duckdb', 1);
    const inline = await ingestInto('inline.duckdb', 0);
    const expected = await digestStore(inline);
    expect(expected.tuples).toBeGreaterThan(1000);
    expect(await digestStore(threaded)).toEqual(expected);
    const expectedAnalytics = await analyticsRows(inline);
    expect(expectedAnalytics.NTANetAnalytics.length).toBeGreaterThan(10);
    expect(await analyticsRows(threaded)).toEqual(expectedAnalytics);
    await threaded.close();
    await inline.close();
  }, 300_000);
});
