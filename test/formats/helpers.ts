import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rowsOf, type FlowBatch, type FlowRow } from '../../src/formats/index.js';

export const testdataDir = join(dirname(fileURLToPath(import.meta.url)), 'testdata');

/** A spec sample, byte for byte as copied from azure-flowlogs-spec.md. */
export function sample(name: string): Buffer {
  return readFileSync(join(testdataDir, name));
}

export function allRows(batches: readonly FlowBatch[]): FlowRow[] {
  return batches.flatMap((batch) => [...rowsOf(batch)]);
}

/** Catches and returns what `fn` throws (fails the test if nothing is thrown). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error, none was thrown');
}
