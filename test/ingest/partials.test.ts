import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/index.js';
import { UsageError } from '../../src/errors.js';
import { analyticsRows } from './support/digest.js';
import { emulateHubSpoke, ingestHubSpoke } from './support/hubspoke.js';

async function partialCount(store: Store): Promise<{ rows: number; offGrid10: number }> {
  const r = await store.query(
    'SELECT count(*), count(*) FILTER (WHERE minute_ms % 600000 <> 0) FROM ta_flow_partials',
  );
  return { rows: Number(r.rows[0][0]), offGrid10: Number(r.rows[0][1]) };
}

describe('analytics partials folded to the store interval at ingest', () => {
  let dir: string;
  let logs: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flowlens-partials-'));
    // 70 minutes from 23:30: several 10-minute intervals and an hour boundary
    logs = await emulateHubSpoke(dir, { duration: '70m', start: '2025-01-06T23:30:00Z', seed: 5 });
  }, 300_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a store created at 10 minutes gets 10-minute partials and the same Traffic Analytics rows as per-minute partials', async () => {
    const ingestInto = (file: string, intervalMinutes: number) =>
      ingestHubSpoke(logs, join(dir, file), { intervalMinutes, workers: 1 });
    const perMinute = await ingestInto('per-minute.duckdb', 1);
    const folded = await ingestInto('folded.duckdb', 10);
    expect(perMinute.info().partialMinutes).toBe(1);
    expect(folded.info().partialMinutes).toBe(10);
    const fine = await partialCount(perMinute);
    const coarse = await partialCount(folded);
    expect(fine.offGrid10).toBeGreaterThan(0);
    expect(coarse.offGrid10).toBe(0);
    expect(coarse.rows).toBeLessThan(fine.rows);
    await perMinute.close();
    // the per-minute store seen at 10 minutes folds its partials in the views: same rows
    const perMinuteAt10 = await openStore({ db: join(dir, 'per-minute.duckdb'), intervalMinutes: 10 });
    const expected = await analyticsRows(perMinuteAt10);
    expect(expected.NTANetAnalytics.length).toBeGreaterThan(10);
    expect(expected.NTAIpDetails.length).toBeGreaterThan(0);
    expect(await analyticsRows(folded)).toEqual(expected);
    await perMinuteAt10.close();
    await folded.close();
    // and at 60 minutes as well
    const a = await openStore({ db: join(dir, 'per-minute.duckdb'), intervalMinutes: 60 });
    const b = await openStore({ db: join(dir, 'folded.duckdb'), intervalMinutes: 60 });
    expect(await analyticsRows(b)).toEqual(await analyticsRows(a));
    await a.close();
    await b.close();
  }, 300_000);

  it('refuses to open a 10-minute store at 1 minute, naming the file and the intervals that work', async () => {
    const file = join(dir, 'folded.duckdb');
    const error = await openStore({ db: file, intervalMinutes: 1 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect(String((error as Error).message)).toContain(file);
    expect(String((error as Error).message)).toContain('10 or 60');
  });
});
