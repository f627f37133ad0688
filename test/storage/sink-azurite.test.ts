/**
 * `flowlens emulate --realtime` against a real Azurite with a 1-second simulated minute: a reader
 * polls the committed block lists and sees, each minute, one new block per NIC blob; every
 * committed blob is valid JSON, framed by the 12-byte head and 2-byte tail blocks, and every
 * middle block holds exactly one record.
 */
import { spawn } from 'node:child_process';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteHandle } from '../support/azurite.js';

let azurite: AzuriteHandle;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

const CONTAINER = 'insights-logs-flowlogflowevent';

async function readAll(blob: { download(offset?: number): Promise<{ readableStreamBody?: NodeJS.ReadableStream }> }): Promise<Buffer> {
  const res = await blob.download(0);
  const chunks: Buffer[] = [];
  for await (const c of res.readableStreamBody!) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

describe('emulate --realtime into Azurite', () => {
  it('commits one new block per NIC blob per simulated minute, valid JSON each time', async () => {
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'emulate',
        'examples/seed-lab.yaml',
        '--blob',
        azurite.connectionString,
        '--realtime',
        '--minute-ms',
        '1000',
        '--duration',
        '12m',
        '--profile',
        'preview-2023',
        '--start',
        '2024-03-01T00:00:00Z',
        '--no-progress',
      ],
      { cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));

    // Poll the committed block lists while the emulator runs.
    const history = new Map<string, number[]>();
    const pollTimes: number[] = [];
    let done = false;
    void exited.then(() => (done = true));
    const container = service.getContainerClient(CONTAINER);
    let polls = 0;
    while (!done) {
      await new Promise((r) => setTimeout(r, 250));
      if (!(await container.exists())) continue;
      pollTimes.push(Date.now());
      const names: string[] = [];
      for await (const item of container.listBlobsFlat()) names.push(item.name);
      await Promise.all(names.map(async (name) => {
        const item = { name };
        const blob = container.getBlockBlobClient(item.name);
        const list = await blob.getBlockList('committed');
        const blocks = list.committedBlocks ?? [];
        const counts = history.get(item.name) ?? [];
        counts.push(blocks.length - 2);
        history.set(item.name, counts);
        expect(blocks[0].size).toBe(12);
        expect(blocks[blocks.length - 1].size).toBe(2);
        for (const b of blocks) expect(Buffer.from(b.name, 'base64').toString()).toMatch(/^[0-9a-f]{32}$/);
        // One GET (downloadToBuffer reads the size first and may straddle a commit).
        const text = (await readAll(blob)).toString();
        try {
          JSON.parse(text);
        } catch (err) {
          throw new Error(`poll ${polls}: ${item.name} (${blocks.map((b) => b.size).join(',')}; ${text.length} bytes): ${String(err)} …${text.slice(-80)}`, { cause: err });
        }
      }));
      polls++;
    }
    expect(await exited, stderr).toBe(0);
    expect(polls).toBeGreaterThan(5);

    // A blob grows by at most one block per simulated minute (1 s) between polls, and ends with one
    // block per minute that had traffic; the busy client NIC has traffic every minute: 12 blocks.
    expect(history.size).toBeGreaterThan(5);
    let sawGrowth = false;
    for (const counts of history.values()) {
      const offset = pollTimes.length - counts.length;
      for (let i = 1; i < counts.length; i++) {
        const seconds = (pollTimes[offset + i] - pollTimes[offset + i - 1]) / 1000;
        expect(counts[i] - counts[i - 1]).toBeGreaterThanOrEqual(0);
        expect(counts[i] - counts[i - 1]).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
      }
      if (new Set(counts).size >= 4) sawGrowth = true;
    }
    expect(sawGrowth).toBe(true);
    const final = [...history.values()].map((c) => c[c.length - 1]);
    expect(Math.max(...final)).toBe(12);

    // Middle blocks: one record each (the first without, later ones with a leading comma).
    for (const name of history.keys()) {
      const blob = container.getBlockBlobClient(name);
      const list = await blob.getBlockList('committed');
      const bytes = await readAll(blob);
      let offset = 0;
      list.committedBlocks!.forEach((b, i, all) => {
        const part = bytes.subarray(offset, offset + b.size).toString();
        offset += b.size;
        if (i === 0 || i === all.length - 1) return;
        const text = i === 1 ? part : part.slice(1);
        if (i > 1) expect(part[0]).toBe(',');
        let record: { macAddress: string };
        try {
          record = JSON.parse(text) as { macAddress: string };
        } catch (err) {
          throw new Error(`block ${i} of ${name}: ${String(err)} …${text.slice(-60)}`, { cause: err });
        }
        expect(name).toContain(`macAddress=${record.macAddress}/`);
      });
      expect(offset).toBe(bytes.length);
    }
  }, 120_000);
});
