/**
 * Faults during ingestion. After each, the store equals a clean run of the same final data:
 * same row count, same checksum over every row (lineage included), same rows per (blob, block);
 * rows lost and duplicated are counted per block and reported in the table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { runIngest } from '../../src/ingest/index.js';
import { openAzureSource, type BlobSource } from '../../src/storage/index.js';
import { startAzurite, type AzuriteHandle } from '../support/azurite.js';
import { writeFolder, blobNameFor, type TestLogSpec } from '../ingest/support/writer.js';
import { appendBlobs, range } from './support/azure-writer.js';
import { digestStore, type StoreDigest } from '../ingest/support/digest.js';
import { runCli, spawnCli } from '../ingest/support/cli.js';
import { lossAndDuplication } from './support/compare.js';
import { record } from './support/report.js';
import { bounded, LONG } from './support/mode.js';

const CONTAINER = 'insights-logs-flowlogflowevent';
const ARGS = ['--geo', 'none', '--workers', '1', '--concurrency', '4'];

function seeded(seed: number) {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 0x100000000;
  };
}

async function digestFile(db: string): Promise<StoreDigest> {
  const store = await openStore({ db });
  try {
    return await digestStore(store);
  } finally {
    await store.close();
  }
}

async function ingestInto(store: Store, sources: BlobSource[]) {
  return runIngest({ sources, store, workers: 0, concurrency: 4, log: () => {} });
}

describe('faults during ingestion', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flowlens-faults-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('SIGKILL at random points (before, inside and after store commits), restarting each time', async () => {
    const spec: TestLogSpec = { blobs: bounded(30, 200), tuplesPerRecord: 3, seed: 31 };
    const minutes = 5;
    const kills = bounded(4, 30);
    const logs = join(dir, 'kill-logs');
    await writeFolder(logs, spec, minutes);
    const cleanDb = join(dir, 'kill-clean.duckdb');
    const clean = await runCli(['ingest', logs, '--db', cleanDb, '--json', ...ARGS]);
    expect(clean.code, clean.stderr).toBe(0);
    const cleanIngestMs = JSON.parse(clean.stdout.trim().split('\n').pop()!).seconds * 1000;

    const crashDb = join(dir, 'kill-crash.duckdb');
    const random = seeded(LONG ? Date.now() : 20261127);
    let killed = 0;
    for (let i = 0; i < kills; i++) {
      const { child, done } = spawnCli(['ingest', logs, '--db', crashDb, ...ARGS]);
      // Spread the kills over the whole ingest: each run gets a random share of a clean ingest.
      const delay = Math.floor(random() * (cleanIngestMs / Math.max(2, kills / 2)));
      let timer: NodeJS.Timeout | undefined;
      child.stderr!.on('data', (d: Buffer) => {
        if (timer === undefined && d.toString().includes(' ingesting: ')) timer = setTimeout(() => child.kill('SIGKILL'), delay);
      });
      const result = await done;
      clearTimeout(timer);
      if (result.signal === 'SIGKILL') killed++;
      else expect(result.code, result.stderr).toBe(0);
    }
    const last = await runCli(['ingest', logs, '--db', crashDb, ...ARGS]);
    expect(last.code, last.stderr).toBe(0);

    const a = await digestFile(cleanDb);
    const b = await digestFile(crashDb);
    const { lost, duplicated } = lossAndDuplication(a, b);
    record({
      scenario: 'fault: SIGKILL during ingest',
      cases: kills,
      failures: (b.checksum === a.checksum ? 0 : 1) + (kills - killed > kills / 2 ? 1 : 0),
      lost,
      duplicated,
      note: `${killed} runs killed, clean ingest ${Math.round(cleanIngestMs)} ms`,
    });
    expect(a.tuples).toBe(spec.blobs * minutes * spec.tuplesPerRecord);
    // Most kills must really interrupt work for this to mean anything.
    expect(killed).toBeGreaterThanOrEqual(Math.ceil(kills / 2));
    expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
    expect(b).toEqual(a);
  }, 900_000);

  describe('Azure Blob (Azurite)', () => {
    let azurite: AzuriteHandle;
    beforeAll(async () => {
      azurite = await startAzurite();
    });
    afterAll(async () => {
      await azurite?.stop();
    });

    const containerOf = (name: string) => BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(name);

    it('a blob recreated mid-hour (deleted, then rewritten with other content): its rows are replaced', async () => {
      const spec: TestLogSpec = { blobs: 6, tuplesPerRecord: 4, seed: 41 };
      const other: TestLogSpec = { ...spec, seed: 42 };
      const container = containerOf(CONTAINER);
      await appendBlobs(container, spec, range(0, spec.blobs), 0, 3);
      const store = await openStore({ db: join(dir, 'recreate.duckdb') });
      try {
        const first = await ingestInto(store, [openAzureSource({ connectionString: azurite.connectionString, container: CONTAINER })]);
        expect(first.errors).toBe(0);
        // Blob 0 is deleted and created again with different records (fewer, then more minutes
        // than before); the others keep growing.
        await container.getBlockBlobClient(blobNameFor(spec, 0)).delete();
        await appendBlobs(container, other, [0], 0, 2);
        const second = await ingestInto(store, [openAzureSource({ connectionString: azurite.connectionString, container: CONTAINER })]);
        expect(second.errors).toBe(0);
        await appendBlobs(container, other, [0], 2, 5);
        await appendBlobs(container, spec, range(1, spec.blobs), 3, 5);
        const third = await ingestInto(store, [openAzureSource({ connectionString: azurite.connectionString, container: CONTAINER })]);
        expect(third.errors).toBe(0);
        const faulted = await digestStore(store);
        const cleanStore = await openStore({ db: join(dir, 'recreate-clean.duckdb') });
        let clean: StoreDigest;
        try {
          await ingestInto(cleanStore, [openAzureSource({ connectionString: azurite.connectionString, container: CONTAINER })]);
          clean = await digestStore(cleanStore);
        } finally {
          await cleanStore.close();
        }
        const { lost, duplicated } = lossAndDuplication(clean, faulted);
        record({ scenario: 'fault: blob recreated mid-hour', cases: 1, failures: faulted.checksum === clean.checksum ? 0 : 1, lost, duplicated });
        expect(clean.tuples).toBe(5 * spec.tuplesPerRecord * spec.blobs);
        expect(faulted).toEqual(clean);
      } finally {
        await store.close();
        await container.deleteIfExists();
      }
    }, 300_000);

    it('a blob deleted between listing and reading: no crash, nothing stored of it, the rest complete', async () => {
      const spec: TestLogSpec = { blobs: 6, tuplesPerRecord: 4, seed: 51 };
      const name = 'insights-logs-flowlogflowevent';
      const container = containerOf(name);
      await appendBlobs(container, spec, range(0, spec.blobs), 0, 4);
      const victim = blobNameFor(spec, 2);
      const inner = openAzureSource({ connectionString: azurite.connectionString, container: name });
      // The source lists as usual, then the victim disappears before any read starts.
      const racing: BlobSource = {
        ...inner,
        id: inner.id,
        kind: inner.kind,
        stats: inner.stats,
        async *list(options) {
          const listed = [];
          for await (const b of inner.list(options)) listed.push(b);
          await container.getBlockBlobClient(victim).delete();
          yield* listed;
        },
        readDelta: (blob, cursor, options) => inner.readDelta(blob, cursor, options),
        close: () => inner.close(),
      };
      const store = await openStore({ db: join(dir, 'deleted.duckdb') });
      try {
        const lines: string[] = [];
        const first = await runIngest({ sources: [racing], store, workers: 0, concurrency: 4, log: (l) => lines.push(l) });
        expect(first.quarantined).toEqual([]);
        const again = await ingestInto(store, [openAzureSource({ connectionString: azurite.connectionString, container: name })]);
        expect(again.errors).toBe(0);
        const faulted = await digestStore(store);
        const cleanStore = await openStore({ db: join(dir, 'deleted-clean.duckdb') });
        let clean: StoreDigest;
        try {
          await ingestInto(cleanStore, [openAzureSource({ connectionString: azurite.connectionString, container: name })]);
          clean = await digestStore(cleanStore);
        } finally {
          await cleanStore.close();
        }
        const { lost, duplicated } = lossAndDuplication(clean, faulted);
        record({
          scenario: 'fault: blob deleted between list and read',
          cases: 1,
          failures: faulted.checksum === clean.checksum ? 0 : 1,
          lost,
          duplicated,
          note: `first run reported ${first.errors} error(s) for the vanished blob`,
        });
        expect(clean.tuples).toBe((spec.blobs - 1) * 4 * spec.tuplesPerRecord);
        expect(Object.keys(faulted.perBlock).some((k) => k.startsWith(victim))).toBe(false);
        expect(faulted).toEqual(clean);
      } finally {
        await store.close();
        await container.deleteIfExists();
      }
    }, 300_000);

    it('Azurite killed and restarted on the same port mid-ingest: the ingest resumes, nothing lost or doubled', async () => {
      const spec: TestLogSpec = { blobs: bounded(30, 120), tuplesPerRecord: 3, seed: 61 };
      const minutes = 5;
      const name = 'insights-logs-flowlogflowevent';
      await appendBlobs(containerOf(name), spec, range(0, spec.blobs), 0, minutes);
      const store = await openStore({ db: join(dir, 'restart.duckdb') });
      const port = azurite.port;
      let restarted = false;
      let runs = 0;
      let errorsSeen = 0;
      try {
        const source = () => [openAzureSource({ connectionString: azurite.connectionString, container: name })];
        let commits = 0;
        let outage: Promise<void> | null = null;
        const first = runIngest({
          sources: source(),
          store,
          workers: 0,
          concurrency: 2,
          log: () => {},
          onCommit: () => {
            commits++;
            if (commits === 3 && !outage) {
              outage = (async () => {
                azurite.kill();
                await new Promise((r) => setTimeout(r, 500));
                // In-memory Azurite loses its data with the process: the writer puts the same
                // blocks back (same block ids), as a storage account coming back would hold them.
                azurite = await startAzurite({ port });
                await appendBlobs(containerOf(name), spec, range(0, spec.blobs), 0, minutes);
                restarted = true;
              })();
            }
          },
        });
        const outcome = await first.then(
          (s) => s.errors,
          () => 1,
        );
        runs++;
        errorsSeen += outcome;
        if (outage) await outage;
        // Runs after the outage pick up whatever failed ("will retry on the next run").
        for (let i = 0; i < 5; i++) {
          const s = await ingestInto(store, source());
          runs++;
          errorsSeen += s.errors;
          if (s.errors === 0) break;
        }
        const faulted = await digestStore(store);
        const cleanStore = await openStore({ db: join(dir, 'restart-clean.duckdb') });
        let clean: StoreDigest;
        try {
          await ingestInto(cleanStore, source());
          clean = await digestStore(cleanStore);
        } finally {
          await cleanStore.close();
        }
        const { lost, duplicated } = lossAndDuplication(clean, faulted);
        record({
          scenario: 'fault: Azurite killed + restarted',
          cases: 1,
          failures: (faulted.checksum === clean.checksum ? 0 : 1) + (restarted ? 0 : 1),
          lost,
          duplicated,
          note: `${runs} ingest runs, ${errorsSeen} blob errors retried`,
        });
        expect(restarted).toBe(true);
        expect(clean.tuples).toBe(spec.blobs * minutes * spec.tuplesPerRecord);
        expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
        expect(faulted).toEqual(clean);
      } finally {
        await store.close();
      }
    }, 600_000);
  });
});

