import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rowsOf, type FlowBatch, type FlowRow } from '../../src/formats/index.js';

export const testdataDir = join(dirname(fileURLToPath(import.meta.url)), 'testdata');

/** A spec sample, byte for byte as copied from azure-flowlogs-spec.md. */
/** Every documented sample (testdata/) that decodes without error in strict mode. */
export const VALID_SAMPLES = [
  'vnet-1.9.1-overview.json',
  'vnet-1.9.2-block-reader-record.json',
  'vnet-1.9.3-tutorial-record.json',
  'vnet-1.9.4-early-capture.json',
  'nsg-2.5.2-v2.json',
  'nsg-2.5.3-block-reader.json',
];

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
