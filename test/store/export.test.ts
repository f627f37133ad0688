import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { analyze, createAnalyticsContext } from '../../src/analytics/index.js';
import { flowBatchFromRows } from '../../src/formats/flowbatch.js';
import { exportTable, openStore, parseSince, type Store } from '../../src/store/index.js';
import { buildProgram } from '../../src/cli/index.js';
import { tuple } from '../analytics/helpers.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function filled(): Promise<{ store: Store; dir: string; db: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-export-'));
  dirs.push(dir);
  const db = join(dir, 'x.duckdb');
  const store = await openStore({ db });
  const early = Date.UTC(2026, 0, 1, 10, 0, 0);
  const late = Date.UTC(2026, 0, 1, 12, 0, 0);
  const batch = flowBatchFromRows([
    tuple({ time_ms: early, src_port: 1, state: 'E', bytes_s2d: 10 }),
    tuple({ time_ms: late, src_port: 2, state: 'E', bytes_s2d: 20 }),
    tuple({ time_ms: late + 1000, src_port: 3, state: 'E', bytes_s2d: 30 }),
  ]);
  await store.commit({
    checkpoint: { source: 's', blob: 'blob-1', lastBlockId: 'b', blockCount: 1, byteOffset: 1, etag: null, updatedAt: '' },
    tuples: [batch],
    derived: analyze(batch, createAnalyticsContext()),
  });
  return { store, dir, db };
}

describe('flowlens export', () => {
  it('writes Parquet that DuckDB reads back with the same rows, and honours --since', async () => {
    const { store, dir } = await filled();
    stores.push(store);
    const out = join(dir, 'tuples.parquet');
    const all = await exportTable(store, { table: 'FlowTuples', format: 'parquet', out });
    expect(all.rows).toBe(3);
    const since = await exportTable(store, { table: 'flowtuples', format: 'parquet', out: join(dir, 'late.parquet'), since: '2026-01-01T11:00:00Z' });
    expect(since.rows).toBe(2);
    const reader = await (await DuckDBInstance.create(':memory:')).connect();
    const r = await reader.runAndReadAll(`SELECT src_port, bytes_s2d, direction FROM read_parquet('${join(dir, 'late.parquet')}') ORDER BY src_port`);
    expect(r.getRowsJS()).toEqual([
      [2, 20n, 'O'],
      [3, 30n, 'O'],
    ]);
    reader.closeSync();
  });

  it('writes CSV with a header, for the Traffic Analytics tables too', async () => {
    const { store, dir } = await filled();
    stores.push(store);
    const out = join(dir, 'nta.csv');
    const res = await exportTable(store, { table: 'NTANetAnalytics', format: 'csv', out });
    expect(res.rows).toBe(2); // two 10-minute intervals
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0].split(',').slice(0, 4)).toEqual(['TimeGenerated', 'TimeProcessed', 'SubType', 'FaSchemaVersion']);
    expect(lines).toHaveLength(3);
  });

  it('rejects unknown tables and formats, and parses relative --since', async () => {
    const { store } = await filled();
    stores.push(store);
    await expect(exportTable(store, { table: 'Nope', format: 'csv' })).rejects.toThrow(/unknown table "Nope"/);
    await expect(exportTable(store, { table: 'FlowTuples', format: 'xlsx' })).rejects.toThrow(/parquet or csv/);
    expect(parseSince('2h', Date.UTC(2026, 0, 1, 12)).toISOString()).toBe('2026-01-01T10:00:00.000Z');
    expect(() => parseSince('yesterday-ish')).toThrow(/--since/);
  });

  it('runs as a CLI command against a DuckDB file', async () => {
    const { store, dir, db } = await filled();
    await store.close();
    const out = join(dir, 'cli.csv');
    const written: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (written.push(String(s)), true)) as typeof process.stdout.write;
    try {
      await buildProgram().parseAsync(['node', 'flowlens', 'export', '--table', 'FlowTuples', '--format', 'csv', '--db', db, '--out', out]);
    } finally {
      process.stdout.write = write;
    }
    expect(written.join('')).toMatch(/exported 3 rows of FlowTuples/);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(4);
  });
});
