/**
 * bench:ingest — a folder of emulated VNet flow-log blobs (≥ 5M VNet tuples with the default 4100 NICs × 1h) into DuckDB:
 * raw tuples + Traffic Analytics aggregates through `runIngest` (block deltas, decoding and
 * analytics on worker threads, group commits holding each chunk's rows with its checkpoint; the
 * timed span ends when the store is closed, i.e. checkpointed), against the baseline in the same run:
 * DuckDB `read_json` + `unnest` + `INSERT … SELECT` of the same rows into a fresh file.
 * Last stdout line with --json: one JSON object (tuples_per_s, baseline_tuples_per_s, ratio, peak_rss_mb).
 * Usage: npm run bench:ingest -- [--nics 4100] [--duration 1h] [--workers 1] [--concurrency N] [--store-threads N] [--no-analytics]
 *        [--skip-baseline] [--store-ceiling] [--json]
 *
 * `--store-ceiling` adds a third measurement: the units the same ingest commits are first
 * collected in memory (nothing written), then committed through the ingest committer into a fresh DuckDB
 * file, timed through its final checkpoint. That is what the store alone costs for these rows,
 * with reading, decoding and analytics free: an upper bound for any end-to-end rate with this
 * store and schema on this machine (`store_only_tuples_per_s`, `store_only_cpu_s`).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { emulate, FLOW_LOG_BLOB_FRAMING, syntheticScenario } from '../src/emulator/index.js';
import { createFolderSink } from '../src/storage/sink-fs.js';
import { openFolderSource } from '../src/storage/source-folder.js';
import { openStore } from '../src/store/index.js';
import type { Store, StoreCommit } from '../src/store/types.js';
import { createCommitter } from '../src/ingest/committer.js';
import {
  createDecoderPool,
  createDeriver,
  ingestStoreThreads,
  runIngest,
  threadDeriverSpec,
} from '../src/ingest/index.js';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const nics = Number(arg('--nics', '4100'));
const duration = arg('--duration', '1h');
const workers = Number(arg('--workers', '1'));
const analytics = !args.includes('--no-analytics');
const concurrency = args.includes('--concurrency') ? Number(arg('--concurrency', '0')) : undefined;
/** For profiling ours alone (`node --cpu-prof --import tsx bench/ingest.ts --skip-baseline`); never for reported numbers. */
const skipBaseline = args.includes('--skip-baseline');
const storeCeiling = args.includes('--store-ceiling');
const json = args.includes('--json');
const say = (line: string) => process.stderr.write(line + '\n');

let peakRss = 0;
const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage.rss()));
const sampler = setInterval(sample, 50);
sampler.unref();

const dataDir = join(import.meta.dirname, 'data', `ingest-${nics}-${duration}`);
const metaPath = `${dataDir}.meta.json`;
if (!existsSync(metaPath)) {
  say(`generating ${nics} NICs × ${duration} with the emulator into ${dataDir} …`);
  rmSync(dataDir, { recursive: true, force: true });
  const sink = createFolderSink(dataDir, FLOW_LOG_BLOB_FRAMING);
  const s = await emulate(syntheticScenario(nics, 1), sink, {
    duration,
    commit: 'batched',
    start: '2025-01-06T00:00:00Z',
    profile: 'ga',
  });
  await sink.close();
  writeFileSync(
    metaPath,
    JSON.stringify({ nics, duration, tuples: s.tuples, records: s.records, bytes: s.bytes }),
  );
}
const vnetDir = join(dataDir, 'insights-logs-flowlogflowevent');

// --- ours -----------------------------------------------------------------------------------
const oursDb = join(import.meta.dirname, 'data', `ingest-ours-${process.pid}.duckdb`);
rmSync(oursDb, { force: true });
rmSync(`${oursDb}.wal`, { force: true });
peakRss = 0;
const storeThreads = args.includes('--store-threads') ? Number(arg('--store-threads', '0')) : undefined;
// The store as `flowlens ingest` opens it (DuckDB threads: the cores the decoder threads leave).
const store = await openStore({ db: oursDb, threads: storeThreads ?? ingestStoreThreads(workers) });
const derive = analytics ? await createDeriver({ geo: 'bundled' }) : undefined;
// Decoder threads started and their analytics context loaded before the clock starts, as the
// baseline's DuckDB instance is created before its clock: under tsx a thread compiles our
// TypeScript first, which the built CLI does not.
const decoder = createDecoderPool({ workers });
const spec = threadDeriverSpec(derive, store);
if (spec && decoder.warm) await decoder.warm(spec);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const summary = await runIngest({
  sources: [openFolderSource(vnetDir)],
  store,
  derive,
  decoder,
  ...(concurrency ? { concurrency } : {}),
  log: say,
});
// Closing checkpoints the WAL into the file: timed, as the baseline's CHECKPOINT is.
await store.close();
await decoder.close();
const oursSeconds = (performance.now() - t0) / 1000;
const oursCpu = process.cpuUsage(cpu0);
const oursPeak = peakRss;
const reopened = await DuckDBInstance.create(oursDb);
const reader = await reopened.connect();
const stored = Number((await reader.runAndReadAll('SELECT count(*) FROM flow_tuples')).getRows()[0][0]);
reader.closeSync();
reopened.closeSync();
for (const f of [oursDb, `${oursDb}.wal`]) rmSync(f, { force: true });
say(
  `ours: ${summary.tuples} tuples (${stored} stored) in ${oursSeconds.toFixed(2)} s, ${summary.errors} errors`,
);

// --- baseline ---------------------------------------------------------------------------------
if (skipBaseline) {
  say(
    `ours: ${Math.round(summary.tuples / oursSeconds)} tuples/s, ${Math.round(summary.tuples / ((oursCpu.user + oursCpu.system) / 1e6))} tuples/cpu-s, peak RSS ${Math.round(oursPeak / 1048576)} MB (baseline skipped)`,
  );
  if (storeCeiling) await measureStoreCeiling();
  process.exit(0);
}
const baseDb = join(import.meta.dirname, 'data', `ingest-baseline-${process.pid}.duckdb`);
rmSync(baseDb, { force: true });
rmSync(`${baseDb}.wal`, { force: true });
const instance = await DuckDBInstance.create(baseDb);
const con = await instance.connect();
await con.run(`CREATE TABLE flow_tuples (
  time_ms BIGINT, record_time VARCHAR, mac VARCHAR, flow_log_id VARCHAR, target_resource_id VARCHAR, acl_id VARCHAR,
  rule VARCHAR, src_ip VARCHAR, dst_ip VARCHAR, src_port USMALLINT, dst_port USMALLINT, protocol UTINYINT,
  direction VARCHAR, state VARCHAR, encryption VARCHAR,
  packets_s2d BIGINT, bytes_s2d BIGINT, packets_d2s BIGINT, bytes_d2s BIGINT, blob VARCHAR)`);
const glob = join(vnetDir, '**', 'PT1H.json').replaceAll("'", "''");
const cpu1 = process.cpuUsage();
const t1 = performance.now();
await con.run(`INSERT INTO flow_tuples
  WITH recs AS (SELECT filename AS blob, unnest(records) AS r FROM read_json('${glob}', filename = true, maximum_object_size = 1073741824)),
  flows AS (SELECT blob, r.time AS rt, r.macAddress AS mac, r.flowLogResourceID AS fl, r.targetResourceID AS tr, unnest(r.flowRecords.flows) AS f FROM recs),
  groups AS (SELECT blob, rt, mac, fl, tr, f.aclID AS acl, unnest(f.flowGroups) AS g FROM flows),
  tuples AS (SELECT blob, rt, mac, fl, tr, acl, g.rule AS rule, string_split(unnest(g.flowTuples), ',') AS s FROM groups)
  SELECT s[1]::BIGINT, rt, mac, fl, tr, acl, rule, s[2], s[3], s[4]::USMALLINT, s[5]::USMALLINT, s[6]::UTINYINT, s[7], s[8], s[9],
         nullif(s[10], '')::BIGINT, nullif(s[11], '')::BIGINT, nullif(s[12], '')::BIGINT, nullif(s[13], '')::BIGINT, blob
  FROM tuples`);
await con.run('CHECKPOINT');
const baseSeconds = (performance.now() - t1) / 1000;
const baseCpu = process.cpuUsage(cpu1);
const baseRows = Number((await con.runAndReadAll('SELECT count(*) FROM flow_tuples')).getRows()[0][0]);
con.closeSync();
instance.closeSync();
for (const f of [baseDb, `${baseDb}.wal`]) rmSync(f, { force: true });
say(`baseline: ${baseRows} tuples in ${baseSeconds.toFixed(2)} s`);
clearInterval(sampler);

if (baseRows !== summary.tuples) say(`WARNING: baseline stored ${baseRows} rows, ours ${summary.tuples}`);
const ceiling = storeCeiling ? await measureStoreCeiling() : undefined;
const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { tuples: number };
const result = {
  bench: 'ingest',
  nics,
  duration,
  workers,
  analytics,
  emulated_tuples_all_containers: meta.tuples,
  tuples: summary.tuples,
  blobs: summary.blobs,
  blocks: summary.blocks,
  mb: Number((summary.bytes / 1e6).toFixed(1)),
  seconds: Number(oursSeconds.toFixed(3)),
  tuples_per_s: Math.round(summary.tuples / oursSeconds),
  baseline_seconds: Number(baseSeconds.toFixed(3)),
  baseline_tuples_per_s: Math.round(baseRows / baseSeconds),
  ratio: Number((baseSeconds / oursSeconds).toFixed(2)),
  peak_rss_mb: Math.round(oursPeak / 1024 / 1024),
  // The machine is shared: CPU-time rates (all threads of this process, DuckDB's included) show
  // the work per tuple independent of contention.
  tuples_per_cpu_s: Math.round(summary.tuples / ((oursCpu.user + oursCpu.system) / 1e6)),
  baseline_tuples_per_cpu_s: Math.round(baseRows / ((baseCpu.user + baseCpu.system) / 1e6)),
  load_average: Number(loadavg()[0].toFixed(2)),
  ...(ceiling
    ? {
        store_only_seconds: Number(ceiling.seconds.toFixed(3)),
        store_only_cpu_s: Number(ceiling.cpuSeconds.toFixed(3)),
        store_only_tuples_per_s: Math.round(ceiling.tuples / ceiling.seconds),
        store_only_tuples_per_cpu_s: Math.round(ceiling.tuples / ceiling.cpuSeconds),
      }
    : {}),
};
if (json) process.stdout.write(JSON.stringify(result) + '\n');
else {
  process.stdout.write(
    `ingest: ${result.tuples} tuples in ${result.seconds} s = ${result.tuples_per_s} tuples/s (baseline ${result.baseline_tuples_per_s} tuples/s, ratio ${result.ratio}×), peak RSS ${result.peak_rss_mb} MB\n`,
  );
}

/** See `--store-ceiling` above. */
async function measureStoreCeiling(): Promise<{ tuples: number; seconds: number; cpuSeconds: number }> {
  const collectDb = join(import.meta.dirname, 'data', `ingest-collect-${process.pid}.duckdb`);
  const replayDb = join(import.meta.dirname, 'data', `ingest-replay-${process.pid}.duckdb`);
  const files = [collectDb, `${collectDb}.wal`, replayDb, `${replayDb}.wal`];
  for (const f of files) rmSync(f, { force: true });
  // An empty store answers the run's reads (no checkpoints, its aggregation interval); the
  // commits only collect the units.
  const empty = await openStore({ db: collectDb, threads: ingestStoreThreads(workers) });
  const units: StoreCommit[] = [];
  const collecting: Store = {
    ...empty,
    commit: async (unit) => void units.push(unit),
    commitMany: async (many) => void units.push(...many),
  };
  const collectDerive = analytics ? await createDeriver({ geo: 'bundled' }) : undefined;
  const collectDecoder = createDecoderPool({ workers });
  const collected = await runIngest({
    sources: [openFolderSource(vnetDir)],
    store: collecting,
    derive: collectDerive,
    decoder: collectDecoder,
    ...(concurrency ? { concurrency } : {}),
  });
  await collectDecoder.close();
  await empty.close();
  const replay = await openStore({ db: replayDb, threads: storeThreads ?? ingestStoreThreads(workers) });
  const cpu = process.cpuUsage();
  const t = performance.now();
  // Through the committer ingestion uses, fed as a run's lanes feed it (waiting for room), so the
  // groups follow its rule (DuckDB writes each group's rows straight into the file) instead of the
  // groups of the collecting run, whose commits never waited.
  const committer = createCommitter(replay);
  const producing = committer.producing();
  const commits: Promise<void>[] = [];
  for (const unit of units) {
    await committer.room();
    commits.push(committer.commit(unit));
  }
  producing();
  await Promise.all(commits);
  await replay.close();
  const seconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  for (const f of files) rmSync(f, { force: true });
  say(
    `store alone: ${collected.tuples} tuples from ${units.length} units, ${seconds.toFixed(2)} s (${((used.user + used.system) / 1e6).toFixed(2)} CPU-s)`,
  );
  return { tuples: collected.tuples, seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}
