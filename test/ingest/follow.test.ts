import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite, type AzuriteHandle } from '../support/azurite.js';
import { leaseClaims, openAzureSource } from '../../src/storage/index.js';
import { openStore } from '../../src/store/index.js';
import { runIngest, type IngestProgress } from '../../src/ingest/index.js';
import { appendContainer, type TestLogSpec } from './support/writer.js';
import { digestStore } from './support/digest.js';

// The current hour: after its first pass, follow mode lists only hours that can still grow.
const spec: TestLogSpec = {
  blobs: 3,
  tuplesPerRecord: 5,
  seed: 8,
  hourStart: Math.floor(Date.now() / 3_600_000) * 3_600_000,
};
const CONTAINER = 'insights-logs-flowlogflowevent';

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('follow mode', () => {
  let azurite: AzuriteHandle;
  let container: ContainerClient;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flowlens-follow-'));
    azurite = await startAzurite();
    container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      CONTAINER,
    );
  });
  afterAll(async () => {
    await azurite?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps polling, ingests each new minute block once, and equals a one-shot ingest at the end', async () => {
    const store = await openStore({ db: join(dir, 'follow.duckdb') });
    const controller = new AbortController();
    const source = openAzureSource({ connectionString: azurite.connectionString, container: CONTAINER });
    const phases: IngestProgress['phase'][] = [];
    const tuples = async () => Number((await store.query('SELECT count(*) FROM FlowTuples')).rows[0][0]);
    await appendContainer(container, spec, 0, 2);
    const running = runIngest({
      sources: [source],
      claims: new Map([[source.id, leaseClaims(source.container)]]),
      store,
      follow: true,
      intervalMs: 200,
      workers: 1,
      signal: controller.signal,
      log: () => {},
      onProgress: (p) => phases.push(p.phase),
    });
    await until(async () => (await tuples()) === 3 * 2 * 5, 60_000);
    await appendContainer(container, spec, 2, 5);
    await until(async () => (await tuples()) === 3 * 5 * 5, 60_000);
    controller.abort();
    const summary = await running;
    expect(summary.passes).toBeGreaterThan(1);
    expect(summary.blocks).toBe(3 * 5);
    expect(phases).toContain('waiting');

    const once = await openStore({ db: join(dir, 'once.duckdb') });
    await runIngest({
      sources: [openAzureSource({ connectionString: azurite.connectionString, container: CONTAINER })],
      store: once,
      workers: 0,
      log: () => {},
    });
    expect(await digestStore(store)).toEqual(await digestStore(once));
    await store.close();
    await once.close();
  }, 180_000);
  it('keeps following when the container does not exist yet and ingests once it appears', async () => {
    const store = await openStore({ db: join(dir, 'late.duckdb') });
    const controller = new AbortController();
    const late = 'flowlens-late-container';
    const lines: string[] = [];
    const running = runIngest({
      sources: [openAzureSource({ connectionString: azurite.connectionString, container: late })],
      store,
      follow: true,
      intervalMs: 200,
      workers: 0,
      signal: controller.signal,
      log: (line) => lines.push(line),
    });
    await until(async () => lines.some((l) => l.includes('listing failed')), 30_000);
    const lateContainer = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      late,
    );
    await appendContainer(lateContainer, spec, 0, 2);
    await until(
      async () => Number((await store.query('SELECT count(*) FROM FlowTuples')).rows[0][0]) === 3 * 2 * 5,
      60_000,
    );
    controller.abort();
    const summary = await running;
    expect(summary.blocks).toBe(3 * 2);
    expect(lines.find((l) => l.includes('listing failed'))).toMatch(/does not exist.*retrying in \d/);
    await store.close();
  }, 120_000);

  it('a one-shot run gives up on an unreachable account after its retries, with the reason', async () => {
    const store = await openStore({ db: join(dir, 'gone.duckdb') });
    const lines: string[] = [];
    const started = Date.now();
    await expect(
      runIngest({
        sources: [
          openAzureSource({
            connectionString: azurite.connectionString,
            container: 'flowlens-never-created',
          }),
        ],
        store,
        workers: 0,
        log: (line) => lines.push(line),
      }),
    ).rejects.toThrow(/does not exist/);
    expect(lines.filter((l) => l.includes('listing failed'))).toHaveLength(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(7_000);
    await store.close();
  }, 60_000);
});
