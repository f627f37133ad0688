/**
 * The record encoder on a worker thread (`encodeThread: 'worker'`) writes the same blobs as the
 * encoder in the calling thread and as the JSON.stringify encoder, across hours, profiles and
 * commit modes; runs share the thread without mixing; a stopped run frees it.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  emulate,
  FLOW_LOG_BLOB_FRAMING,
  syntheticScenario,
  type EmulateOptionsInput,
} from '../../src/emulator/index.js';
import { loadScenario, type Scenario } from '../../src/model/index.js';
import { blobServiceFrom, createAzureBlobSink } from '../../src/storage/sink-azure.js';
import { createFolderSink } from '../../src/storage/sink-fs.js';
import { startAzurite } from '../support/azurite.js';
import { spawnCli } from '../ingest/support/cli.js';
import { readBlobs, runToFolder, seedLab, type Blob } from './support.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function blobsOf(scenario: Scenario, options: EmulateOptionsInput): Promise<Blob[]> {
  const { dir } = await runToFolder(scenario, options);
  dirs.push(dir);
  return readBlobs(dir);
}

/** The same blobs, byte for byte (compared blob by blob so a failure names the blob). */
function expectSameBlobs(actual: Blob[], expected: Blob[]): void {
  expect(actual.map((b) => b.path)).toEqual(expected.map((b) => b.path));
  for (let i = 0; i < expected.length; i++) {
    if (!actual[i].bytes.equals(expected[i].bytes))
      expect(`${actual[i].path}: ${actual[i].bytes.toString()}`).toBe(
        `${expected[i].path}: ${expected[i].bytes.toString()}`,
      );
  }
}

const hubSpoke = () => loadScenario(join(import.meta.dirname, '../../examples/hub-spoke.yaml')).scenario;

describe('records encoded on a worker thread', () => {
  const cases: [string, () => Scenario, EmulateOptionsInput][] = [
    [
      'seed-lab, preview-2023',
      seedLab,
      { profile: 'preview-2023', start: '2024-03-01T00:40:00Z', duration: '35m' },
    ],
    [
      'seed-lab, ga, per-minute commits',
      seedLab,
      { profile: 'ga', start: '2025-03-01T00:50:00Z', duration: '20m', commit: 'minute' },
    ],
    ['hub-spoke, ga', hubSpoke, { profile: 'ga', duration: '25m' }],
    [
      '60 synthetic NICs across an hour',
      () => syntheticScenario(60, 3),
      { profile: 'ga', start: '2025-01-06T00:45:00Z', duration: '30m' },
    ],
  ];
  for (const [name, scenario, options] of cases) {
    it(`write the blobs of the calling thread and of JSON.stringify: ${name}`, async () => {
      const inWorker = await blobsOf(scenario(), { ...options, encodeThread: 'worker' });
      const inThread = await blobsOf(scenario(), { ...options, encodeThread: 'main' });
      const json = await blobsOf(scenario(), { ...options, encoder: 'json' });
      expect(inWorker.length).toBeGreaterThan(0);
      expectSameBlobs(inWorker, inThread);
      expectSameBlobs(inWorker, json);
    });
  }

  it('keep concurrent runs apart (one thread, an encoder per run)', async () => {
    const a = {
      profile: 'ga',
      start: '2025-01-06T00:00:00Z',
      duration: '15m',
      encodeThread: 'worker',
    } as const;
    const b = { ...a, seed: 7 };
    const [together1, together2] = await Promise.all([
      blobsOf(syntheticScenario(30, 1), a),
      blobsOf(syntheticScenario(30, 1), b),
    ]);
    expectSameBlobs(together1, await blobsOf(syntheticScenario(30, 1), { ...a, encodeThread: 'main' }));
    expectSameBlobs(together2, await blobsOf(syntheticScenario(30, 1), { ...b, encodeThread: 'main' }));
    expect(together1.map((x) => x.bytes.toString())).not.toEqual(together2.map((x) => x.bytes.toString()));
  });

  it('stop with the run when it is aborted, and serve the next run', async () => {
    const dir = join(import.meta.dirname, '../../bench/data', `record-worker-abort-${process.pid}`);
    dirs.push(dir);
    const folder = createFolderSink(dir, FLOW_LOG_BLOB_FRAMING);
    const abort = new AbortController();
    let minutes = 0;
    const summary = await emulate(
      syntheticScenario(20, 1),
      folder,
      { duration: '30m', encodeThread: 'worker' },
      {
        signal: abort.signal,
        onMinute: () => {
          if (++minutes === 3) abort.abort();
        },
      },
    );
    await folder.close();
    expect(summary.minutes).toBe(3);
    const after = await blobsOf(syntheticScenario(20, 1), { duration: '4m', encodeThread: 'worker' });
    expectSameBlobs(after, await blobsOf(syntheticScenario(20, 1), { duration: '4m', encodeThread: 'main' }));
  });

  it('are chosen with flowlens emulate --encode-thread (same blobs either way; a bad value is a usage error)', async () => {
    const out = (name: string) => {
      const dir = join(import.meta.dirname, '../../bench/data', `record-worker-cli-${name}-${process.pid}`);
      dirs.push(dir);
      return dir;
    };
    const args = ['emulate', '--synthetic-nics', '12', '--duration', '6m', '--no-progress', '--json'];
    const worker = await spawnCli([...args, '--out', out('worker'), '--encode-thread', 'worker']).done;
    const main = await spawnCli([...args, '--out', out('main'), '--encode-thread', 'main']).done;
    expect(worker.code, worker.stderr).toBe(0);
    expect(main.code, main.stderr).toBe(0);
    expect(JSON.parse(worker.stdout).tuples).toBeGreaterThan(0);
    expectSameBlobs(readBlobs(out('worker')), readBlobs(out('main')));
    const bad = await spawnCli([...args, '--out', out('bad'), '--encode-thread', 'gpu']).done;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--encode-thread is auto, worker or main');
  });

  it('hand their blocks (views of shared memory) to the Azure sink: Azurite holds the same blobs as the folder', async () => {
    const azurite = await startAzurite();
    try {
      const options = { profile: 'ga', start: '2025-01-06T00:55:00Z', duration: '8m', seed: 4 } as const;
      const service = blobServiceFrom(azurite.connectionString);
      const sink = createAzureBlobSink(service, FLOW_LOG_BLOB_FRAMING);
      const summary = await emulate(syntheticScenario(16, 1), sink, { ...options, encodeThread: 'worker' });
      await sink.close();
      const expected = await blobsOf(syntheticScenario(16, 1), { ...options, encodeThread: 'main' });
      const stored: Blob[] = [];
      for (const container of [...new Set(expected.map((b) => b.container))]) {
        const client = service.getContainerClient(container);
        for await (const item of client.listBlobsFlat())
          stored.push({
            path: `${container}/${item.name}`,
            container,
            bytes: await client.getBlockBlobClient(item.name).downloadToBuffer(),
          });
      }
      stored.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      expect(summary.records).toBeGreaterThan(100);
      expectSameBlobs(stored, expected);
    } finally {
      await azurite.stop();
    }
  });
});
