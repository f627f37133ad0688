import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFolderSource } from '../../src/storage/index.js';
import { openStore } from '../../src/store/index.js';
import { runIngest } from '../../src/ingest/index.js';
import { blobNameFor, dataBlocksFor, writeFolder, type TestLogSpec } from './support/writer.js';
import { runCli } from './support/cli.js';

const spec: TestLogSpec = { blobs: 3, tuplesPerRecord: 4, seed: 21 };

describe('quarantine of undecodable blobs', () => {
  let dir: string;
  let logs: string;
  let badPath: string;
  let good: Buffer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flowlens-quarantine-'));
    logs = join(dir, 'logs');
    await writeFolder(logs, spec, 4);
    badPath = join(logs, ...blobNameFor(spec, 1).split('/'));
    good = await readFile(badPath);
    // Third record of blob 1: one tuple loses its last fields (9 of 13).
    const text = good.toString('utf8');
    const thirdStart = 12 + dataBlocksFor(spec, 1, 2).reduce((s, b) => s + b.length, 0);
    const tupleAt = text.indexOf('flowTuples":["', thirdStart) + 'flowTuples":["'.length;
    const tupleEnd = text.indexOf('"', tupleAt);
    const fields = text.slice(tupleAt, tupleEnd).split(',');
    await writeFile(badPath, text.slice(0, tupleAt) + fields.slice(0, 9).join(',') + text.slice(tupleEnd));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('records the bad blob with its block in ingest_errors, ingests the rest, and retries on request', async () => {
    const store = await openStore({ db: join(dir, 'q.duckdb') });
    const lines: string[] = [];
    const first = await runIngest({
      sources: [openFolderSource(logs)],
      store,
      workers: 1,
      log: (l) => lines.push(l),
    });
    expect(first.errors).toBe(1);
    expect(first.quarantined).toHaveLength(1);
    const errors = await store.listIngestErrors();
    expect(errors).toHaveLength(1);
    expect(errors[0].blob).toBe(blobNameFor(spec, 1));
    const thirdBlockOffset = 12 + dataBlocksFor(spec, 1, 2).reduce((s, b) => s + b.length, 0);
    expect(errors[0].block).toBe(`@${thirdBlockOffset}`);
    expect(errors[0].error).toMatch(/tuple/i);
    expect(lines.join('\n')).toContain('quarantined');
    // The two good blobs are complete; nothing of the bad chunk was stored.
    const counts = await store.query(
      `SELECT blob, count(*)::INTEGER FROM FlowTuples GROUP BY blob ORDER BY blob`,
    );
    expect(counts.rows).toEqual(
      [0, 2]
        .map((n) => blobNameFor(spec, n))
        .sort()
        .map((b) => [b, 4 * spec.tuplesPerRecord]),
    );

    // Next run leaves it alone.
    const second = await runIngest({ sources: [openFolderSource(logs)], store, workers: 0, log: () => {} });
    expect(second.skippedQuarantined).toBe(1);
    expect(second.errors).toBe(0);

    // Fixed data + --retry-quarantined: ingested, quarantine cleared.
    await writeFile(badPath, good);
    const third = await runIngest({
      sources: [openFolderSource(logs)],
      store,
      workers: 0,
      retryQuarantined: true,
      log: () => {},
    });
    expect(third.errors).toBe(0);
    expect(third.tuples).toBe(4 * spec.tuplesPerRecord);
    expect(await store.listIngestErrors()).toEqual([]);
    await store.close();
  });

  it('the CLI exits with code 3 and names the quarantined blob', async () => {
    const bad = (await readFile(badPath, 'utf8')).replace('"flowTuples":["', '"flowTuples":[1,"');
    await writeFile(badPath, bad);
    const result = await runCli([
      'ingest',
      logs,
      '--db',
      join(dir, 'cli.duckdb'),
      '--geo',
      'none',
      '--no-progress',
    ]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain(`quarantined ${blobNameFor(spec, 1)}`);
    expect(result.stdout).toContain('--retry-quarantined');
  }, 120_000);
});
