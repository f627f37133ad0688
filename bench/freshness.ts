/**
 * bench:freshness — seconds from a block's commit to its rows being queryable, with
 * `flowlens emulate --realtime` writing into Azurite and `runIngest --follow` (1 s interval)
 * reading it, both in this process (the ingester's commit callback fires once the store
 * transaction holding the rows has committed, i.e. when the rows are queryable).
 *
 * Baseline in the same run: a whole-blob poller (what most readers do, anchors §1) that
 * re-downloads every changed PT1H.json each second; reported as bytes downloaded vs ours.
 * Last stdout line with --json: median_s, p90_s, max_s, blocks, bytes_downloaded,
 * baseline_bytes_downloaded, bytes_ratio.
 * A simulated minute lasts 10 s by default (6× Azure's pace, so a run takes a minute); each NIC's
 * blob gets one block per simulated minute.
 * Usage: npm run bench:freshness -- [--nics 20] [--minutes 6] [--minute-ms 10000] [--interval 1s] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '../test/support/azurite.js';
import { emulate, FLOW_LOG_BLOB_FRAMING, syntheticScenario } from '../src/emulator/index.js';
import { blobServiceFrom, createAzureBlobSink } from '../src/storage/sink-azure.js';
import { openAzureSource } from '../src/storage/source-azure.js';
import { leaseClaims } from '../src/storage/lease.js';
import { openStore } from '../src/store/index.js';
import { parseDuration, runIngest } from '../src/ingest/index.js';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const nics = Number(arg('--nics', '20'));
const minutes = Number(arg('--minutes', '6'));
const minuteMs = Number(arg('--minute-ms', '10000'));
const intervalMs = parseDuration(arg('--interval', '1s'));
const json = args.includes('--json');
const say = (line: string) => process.stderr.write(line + '\n');
const CONTAINER = 'insights-logs-flowlogflowevent';

const azurite = await startAzurite();
const dir = mkdtempSync(join(tmpdir(), 'flowlens-freshness-'));
const store = await openStore({ db: join(dir, 'fresh.duckdb') });
const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
await service.getContainerClient(CONTAINER).createIfNotExists();

/** Commit time of each VNet block, by `blob@offset`. */
const committedAt = new Map<string, number>();
const ingestedAt = new Map<string, number>();
const blobSizes = new Map<string, number>();

// --- ours: follow mode, 1 s interval ----------------------------------------------------------
const controller = new AbortController();
const source = openAzureSource({ connectionString: azurite.connectionString, container: CONTAINER });
const ingest = runIngest({
  sources: [source],
  claims: new Map([[source.id, leaseClaims(source.container)]]),
  store,
  follow: true,
  intervalMs,
  workers: 1,
  signal: controller.signal,
  log: say,
  onCommit: (e) => {
    const now = Date.now();
    for (const lineage of e.lineage) ingestedAt.set(`${e.blob}${lineage}`, now);
  },
});

// --- baseline: whole-blob re-download of every changed blob, each interval ---------------------
let baselineBytes = 0;
let baselineStop = false;
const baselineContainer = service.getContainerClient(CONTAINER);
const seenEtags = new Map<string, string>();
const baseline = (async () => {
  while (!baselineStop) {
    for await (const item of baselineContainer.listBlobsFlat({ prefix: 'flowLogResourceID=/' })) {
      const etag = item.properties.etag ?? '';
      if (seenEtags.get(item.name) === etag) continue;
      seenEtags.set(item.name, etag);
      const body = await baselineContainer.getBlobClient(item.name).downloadToBuffer();
      baselineBytes += body.length;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
})();

// --- the writer: realtime emulation into Azurite ---------------------------------------------
const sink = createAzureBlobSink(blobServiceFrom(azurite.connectionString), FLOW_LOG_BLOB_FRAMING);
say(
  `emulating ${nics} NICs for ${minutes} minutes at ${minuteMs} ms per minute into Azurite; ingest polls every ${intervalMs} ms`,
);
await emulate(
  syntheticScenario(nics, 1),
  sink,
  {
    duration: `${minutes}m`,
    realtime: true,
    minuteMs,
    profile: 'ga',
    start: new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString(),
  },
  {
    onMinute: (m) => {
      const now = Date.now();
      for (const b of m.blocks) {
        const offset = blobSizes.get(b.blobName) ?? FLOW_LOG_BLOB_FRAMING.head.length;
        blobSizes.set(b.blobName, offset + b.bytes.length);
        if (b.container === CONTAINER) committedAt.set(`${b.blobName}@${offset}`, now);
      }
    },
  },
);
await sink.close();
// Let the follower catch up with the last minute, then stop everything.
const deadline = Date.now() + 30_000;
while (Date.now() < deadline && [...committedAt.keys()].some((k) => !ingestedAt.has(k)))
  await new Promise((r) => setTimeout(r, 200));
controller.abort();
const summary = await ingest;
baselineStop = true;
await baseline;
await store.close();
await azurite.stop();
rmSync(dir, { recursive: true, force: true });

const lags: number[] = [];
let missing = 0;
for (const [key, at] of committedAt) {
  const got = ingestedAt.get(key);
  if (got === undefined) missing++;
  else lags.push(Math.max(0, got - at) / 1000);
}
lags.sort((a, b) => a - b);
const pick = (q: number) =>
  lags.length ? lags[Math.min(lags.length - 1, Math.floor(q * lags.length))] : NaN;
const result = {
  bench: 'freshness',
  nics,
  minutes,
  minute_ms: minuteMs,
  interval_ms: intervalMs,
  blocks: committedAt.size,
  blocks_missing: missing,
  median_s: Number(pick(0.5).toFixed(3)),
  p90_s: Number(pick(0.9).toFixed(3)),
  max_s: Number((lags[lags.length - 1] ?? NaN).toFixed(3)),
  tuples: summary.tuples,
  bytes_downloaded: source.stats.bytesRead,
  baseline_bytes_downloaded: baselineBytes,
  bytes_ratio: Number((baselineBytes / Math.max(1, source.stats.bytesRead)).toFixed(2)),
  load_average: Number(loadavg()[0].toFixed(2)),
};
if (json) process.stdout.write(JSON.stringify(result) + '\n');
else
  process.stdout.write(
    `freshness: median ${result.median_s} s, p90 ${result.p90_s} s, max ${result.max_s} s over ${result.blocks} blocks (${missing} missing); ` +
      `downloaded ${result.bytes_downloaded} bytes vs ${result.baseline_bytes_downloaded} for whole-blob polling (${result.bytes_ratio}×)\n`,
  );
process.exit(0);
