/**
 * Run as its own process by big-blob.ts: decodes one file with `decodeFile` (the streaming path
 * behind `flowlens parse`: 1 MiB reads, batches handed on as they complete) and prints one JSON
 * line: tuples, records, counter sum and bytes. Keeps nothing of the batches but the totals.
 */
import { decodeFile } from '../../../src/formats/index.js';

const file = process.argv[2];
let tuples = 0;
let counterSum = 0;
const stats = await decodeFile(file, {
  onBatch: (batch) => {
    tuples += batch.length;
    for (const column of [batch.packets_s2d, batch.bytes_s2d, batch.packets_d2s, batch.bytes_d2s]) {
      for (let i = 0; i < batch.length; i++) if (column[i] === column[i]) counterSum += column[i];
    }
  },
});
process.stdout.write(JSON.stringify({ tuples, records: stats.records, counterSum, bytes: stats.bytes }) + '\n');
