/**
 * Hostile input, size: a PT1H.json far larger than memory should allow (2 GiB in the long form,
 * 200 MiB in the bounded form, same code path) is generated on disk through the formats encoder,
 * then decoded in its own process by `decodeFile` — the streaming reader behind `flowlens parse`
 * (1 MiB reads, each FlowBatch handed on and dropped). Every tuple must come out (count, records
 * and a sum of all counters computed from the tuple text at generation), and the child's peak RSS
 * (getrusage, via a preload) must stay under a bound that no whole-file parse could meet.
 *
 * Not the CLI's row output: `flowlens parse --format csv` formats a whole 64k-row batch into one
 * string (tens of MB) and does so at ~15k rows/s, so its peak RSS (350–830 MiB measured) and time
 * grow past any useful bound; that is reported to the formats owner rather than measured here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from '../ingest/support/cli.js';
import { writeBigBlob, type BigBlob } from './support/big-blob.js';
import { record } from './support/report.js';
import { bounded } from './support/mode.js';

const MIB = 1 << 20;
const SIZE = bounded(200 * MIB, 2048 * MIB);
/** Peak RSS allowed to the decoding process (Node and the tsx loader included), MiB. */
const MAX_RSS_MIB = 400;
const PRELOAD = fileURLToPath(new URL('./support/max-rss.mjs', import.meta.url));
const CHILD = fileURLToPath(new URL('./support/decode-child.ts', import.meta.url));

interface DecodeRun {
  code: number | null;
  stdout: string;
  stderr: string;
  maxRssMib: number;
  seconds: number;
}

function decodeInChild(file: string, rssFile: string): Promise<DecodeRun> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', PRELOAD, CHILD, file], {
    cwd: ROOT,
    env: { ...process.env, FLOWLENS_MAX_RSS_FILE: rssFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const maxRssMib = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) / 1024 : NaN;
      resolve({ code, stdout, stderr, maxRssMib, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

describe('hostile input: a huge blob', () => {
  let dir: string;
  let blob: BigBlob;
  let genSeconds = 0;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowlens-bigblob-'));
    const t0 = performance.now();
    blob = await writeBigBlob(join(dir, 'PT1H.json'), SIZE);
    genSeconds = (performance.now() - t0) / 1000;
  }, 600_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`a ${Math.round(SIZE / MIB)} MiB v4 blob is decoded streaming: every tuple out, peak RSS ≤ ${MAX_RSS_MIB} MiB`, async () => {
    expect(blob.bytes).toBeGreaterThanOrEqual(SIZE);
    const run = await decodeInChild(blob.path, join(dir, 'max-rss'));
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const out = JSON.parse(run.stdout.trim().split('\n').pop()!) as { tuples: number; records: number; counterSum: number; bytes: number };
    const failures =
      (out.tuples === blob.tuples && out.records === blob.records ? 0 : 1) +
      (out.counterSum === blob.counterSum && out.bytes === blob.bytes ? 0 : 1) +
      (run.maxRssMib <= MAX_RSS_MIB ? 0 : 1);
    record({
      scenario: `hostile: ${(blob.bytes / MIB).toFixed(0)} MiB blob streamed`,
      cases: 1,
      failures,
      lost: Math.max(0, blob.tuples - out.tuples),
      duplicated: Math.max(0, out.tuples - blob.tuples),
      note: `${blob.tuples} tuples, peak RSS ${run.maxRssMib.toFixed(0)} MiB (bound ${MAX_RSS_MIB}), decode ${run.seconds.toFixed(1)} s, generate ${genSeconds.toFixed(1)} s`,
    });
    process.stdout.write(
      `big blob: ${blob.bytes} bytes, ${blob.tuples} tuples; decoded ${out.tuples}, peak RSS ${run.maxRssMib.toFixed(0)} MiB, ${run.seconds.toFixed(1)} s\n`,
    );
    expect({ tuples: out.tuples, records: out.records, counterSum: out.counterSum, bytes: out.bytes }).toEqual({
      tuples: blob.tuples,
      records: blob.records,
      counterSum: blob.counterSum,
      bytes: blob.bytes,
    });
    expect(run.maxRssMib).toBeLessThanOrEqual(MAX_RSS_MIB);
  }, 1_200_000);
});
