import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.js';
import { writeFolder, type TestLogSpec } from './support/writer.js';
import { digestStore } from './support/digest.js';
import { runCli, spawnCli } from './support/cli.js';

// 200 blobs × 5 minute-blocks, small records; one store commit per blob, so kills land
// between, inside and after commits.
const spec: TestLogSpec = { blobs: 200, tuplesPerRecord: 3, seed: 11 };
const MINUTES = 5;
const ARGS = ['--geo', 'none', '--workers', '1', '--concurrency', '4'];

function seeded(seed: number) {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 0x100000000;
  };
}

async function digestOf(db: string) {
  const store = await openStore({ db });
  try {
    const digest = await digestStore(store);
    const checkpoints = (await store.listCheckpoints()).map(
      (c) => `${c.blob}:${c.blockCount}:${c.byteOffset}`,
    );
    const nta = await store.query(
      `SELECT count(*)::BIGINT, coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR FROM (SELECT * EXCLUDE (TimeGenerated) FROM NTANetAnalytics) t`,
    );
    return { digest, checkpoints, nta: nta.rows[0].map(String) };
  } finally {
    await store.close();
  }
}

describe('crash safety', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flowlens-crash-'));
    await writeFolder(join(dir, 'logs'), spec, MINUTES);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('SIGKILL at 20 random points while ingesting 200 blobs, restarting each time, ends with exactly the clean run’s store', async () => {
    const logs = join(dir, 'logs');
    const cleanDb = join(dir, 'clean.duckdb');
    const clean = await runCli(['ingest', logs, '--db', cleanDb, '--json', ...ARGS]);
    expect(clean.code, clean.stderr).toBe(0);
    const cleanIngestMs = JSON.parse(clean.stdout.trim().split('\n').pop()!).seconds * 1000;

    // Each run is killed a random time after it starts ingesting (its progress line says so), on
    // average after 1/20 of a clean ingest: the 20 kills spread over the whole ingest, landing
    // before, inside and after store commits, while start-up time is not paid for nothing.
    const crashDb = join(dir, 'crash.duckdb');
    const random = seeded(20261126);
    let killed = 0;
    let finishedEarly = 0;
    for (let i = 0; i < 20; i++) {
      const { child, done } = spawnCli(['ingest', logs, '--db', crashDb, ...ARGS]);
      const delay = Math.floor(random() * (cleanIngestMs / 10));
      let timer: NodeJS.Timeout | undefined;
      const onData = (d: Buffer) => {
        if (timer === undefined && d.toString().includes(' ingesting: '))
          timer = setTimeout(() => child.kill('SIGKILL'), delay);
      };
      child.stderr!.on('data', onData);
      const result = await done;
      clearTimeout(timer);
      if (result.signal === 'SIGKILL') killed++;
      else {
        expect(result.code, result.stderr).toBe(0);
        finishedEarly++;
      }
    }
    const last = await runCli(['ingest', logs, '--db', crashDb, ...ARGS]);
    expect(last.code, last.stderr).toBe(0);
    // Most kills must really interrupt work for the test to mean anything.
    expect(killed).toBeGreaterThanOrEqual(15);

    const a = await digestOf(cleanDb);
    const b = await digestOf(crashDb);
    expect(a.digest.tuples).toBe(spec.blobs * MINUTES * spec.tuplesPerRecord);
    expect(Object.keys(a.digest.perBlock)).toHaveLength(spec.blobs * MINUTES);
    expect(b.digest).toEqual(a.digest);
    expect(b.checkpoints).toEqual(a.checkpoints);
    expect(b.nta).toEqual(a.nta);
    console.log(
      `crash test: clean ingest ${Math.round(cleanIngestMs)} ms, ${killed} kills, ${finishedEarly} runs finished before their kill`,
    );
  }, 900_000);
});
