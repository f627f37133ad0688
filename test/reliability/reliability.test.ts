/**
 * `npm run test:reliability` (also part of `npm test`): hostile input, fuzzing, faults during
 * ingestion and load, in one file so that every scenario adds its row to one table, printed at
 * the end. Bounded by default; `npm run test:reliability -- --mode long` or
 * FLOWLENS_RELIABILITY_LONG=1 selects the long form (see support/mode.ts).
 */
import { afterAll } from 'vitest';
import { formatTable, recorded } from './support/report.js';
import { LONG } from './support/mode.js';
import './hostile.js';
import './hostile-query.js';
import './fuzz.js';
import './faults.js';
import './load.js';
import './big-blob.js';
import './clickhouse-fault.js';
import './load-live.js';

afterAll(() => {
  const table = formatTable(recorded());
  process.stdout.write(`\nflowlens reliability (${LONG ? 'long' : 'bounded'} form)\n${table}\n`);
});
