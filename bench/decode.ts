/**
 * Decode benchmark: our streaming decoder vs two baselines on the same bytes, in one run.
 *
 *   npm run bench:decode -- [--json] [--big] [--tuples N] [--runs N]
 *
 * - flowlens: `createDecoder` fed 1 MiB chunks of the file (already in memory) into FlowBatches.
 *   The consumer only counts each batch's rows inside `onBatch`, so it lets the decoder refill one
 *   batch's columns (`batchPool`, kept across runs) instead of allocating ~6.5 MB of fresh
 *   columns per 64k rows; the rows decoded are the same (test/formats/pool.test.ts).
 * - baseline A: `JSON.parse` of the whole file + loops + `split(',')`, numbers converted into
 *   typed arrays and strings kept, i.e. the same columns we produce.
 * - baseline B: DuckDB `read_json` + `unnest` + `string_split` with `SET threads=1`.
 * - `--big`: a 500 MB v4 blob streamed from disk with `fs.createReadStream` in a child process,
 *   reporting its peak RSS.
 *
 * Rounds: after warm-up, each round runs flowlens, baseline A and baseline B one after the other
 * (each once untimed, then timed; see `collectGarbage`), and each method's figure is its best round (`--runs N` rounds, default 5). This VM has
 * phases of several seconds in which the same CPU work takes 1.5-1.7x longer (a fixed JS loop
 * timed back to back for 30 s on the idle machine: 21 ms, then 33-35 ms for 2-5 s at a time);
 * measuring one method's runs together let a single slow phase decide the ratio. Interleaved
 * rounds give every method the same exposure; the per-round CPU seconds are in the JSON.
 *
 * Data is generated deterministically under bench/data/ (gitignored) and reused.
 * The last stdout line with `--json` is one JSON object.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { collectGarbage } from './lib/quiet.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { createBatchPool, createDecoder, decodeStream } from '../src/formats/index.js';
import { generateNsgV2File, generateVnetFile, type GeneratedFile } from './lib/flowgen.js';

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = join(here, 'data');
const GENERATOR_VERSION = 1;

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const big = args.includes('--big');
const argValue = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const targetTuples = argValue('--tuples', 1_000_000);
const runs = Math.max(1, argValue('--runs', 5));

function log(line: string): void {
  if (asJson) process.stderr.write(line + '\n');
  else process.stdout.write(line + '\n');
}

/** Generates once per (kind, size, generator version); the .meta.json sidecar says what is there. */
function ensureFile(kind: 'vnet' | 'nsg2', tuples: number): GeneratedFile {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, `${kind}-${tuples}.PT1H.json`);
  const metaPath = path + '.meta.json';
  if (existsSync(path) && existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as GeneratedFile & { version: number };
    if (meta.version === GENERATOR_VERSION && statSync(path).size === meta.bytes) return meta;
  }
  log(`generating ${path} …`);
  const made = kind === 'vnet' ? generateVnetFile(path, tuples) : generateNsgV2File(path, tuples);
  writeFileSync(metaPath, JSON.stringify({ ...made, version: GENERATOR_VERSION }));
  return made;
}

interface Timing {
  /** Best wall-clock seconds over the runs. */
  wall: number;
  /** Best process CPU seconds (user + system, all threads) over the runs. */
  cpu: number;
}

function bestOf(samples: Timing[]): Timing {
  return { wall: Math.min(...samples.map((t) => t.wall)), cpu: Math.min(...samples.map((t) => t.cpu)) };
}

function measureOnce(fn: () => number): { timing: Timing; count: number } {
  // A full garbage collection before each method's turn in a round, outside any timing: process
  // CPU time counts V8's collector threads, so a method would otherwise pay for the garbage the one
  // before it left (baseline A leaves a whole parsed document). V8 also ages code on every full
  // collection and drops the compiled code of functions idle for a few of them, which the seconds
  // spent in the other methods are; so each method runs once untimed right before its timed run,
  // as it would in a process doing only that work.
  collectGarbage();
  fn();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const count = fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { timing: { wall, cpu: (c.user + c.system) / 1e6 }, count };
}

const batchPool = createBatchPool();

function decodeOurs(bytes: Uint8Array, lenient = false): number {
  let rows = 0;
  const decoder = createDecoder({
    source: 'bench',
    lenient,
    batchPool,
    onBatch: (batch) => (rows += batch.length),
  });
  const chunk = 1 << 20;
  for (let o = 0; o < bytes.length; o += chunk)
    decoder.push(bytes.subarray(o, Math.min(bytes.length, o + chunk)));
  decoder.end();
  return rows;
}

interface VnetDoc {
  records: {
    time: string;
    macAddress: string;
    flowLogResourceID: string;
    flowRecords: { flows: { aclID: string; flowGroups: { rule: string; flowTuples: string[] }[] }[] };
  }[];
}
interface NsgDoc {
  records: {
    time: string;
    resourceId: string;
    properties: {
      Version: number;
      flows: { rule: string; flows: { mac: string; flowTuples: string[] }[] }[];
    };
  }[];
}

/** Baseline A columns: numbers in typed arrays, strings as JS strings (no dictionary). */
function baselineColumns(n: number) {
  return {
    time: new Float64Array(n),
    srcPort: new Uint16Array(n),
    dstPort: new Uint16Array(n),
    proto: new Uint8Array(n),
    counters: new Float64Array(n * 4),
    src: new Array<string>(n),
    dst: new Array<string>(n),
    rule: new Array<string>(n),
    mac: new Array<string>(n),
    state: new Array<string>(n),
    dir: new Array<string>(n),
    enc: new Array<string>(n),
  };
}

function num(s: string): number {
  return s === '' ? NaN : +s;
}

function baselineVnet(bytes: Buffer, expected: number): number {
  const doc = JSON.parse(bytes.toString('utf8')) as VnetDoc;
  const c = baselineColumns(expected);
  let n = 0;
  for (const rec of doc.records) {
    for (const acl of rec.flowRecords.flows) {
      for (const group of acl.flowGroups) {
        for (const tuple of group.flowTuples) {
          const f = tuple.split(',');
          const ts = +f[0];
          c.time[n] = ts < 1e11 ? ts * 1000 : ts;
          c.src[n] = f[1];
          c.dst[n] = f[2];
          c.srcPort[n] = +f[3];
          c.dstPort[n] = +f[4];
          c.proto[n] = +f[5];
          c.dir[n] = f[6];
          c.state[n] = f[7];
          c.enc[n] = f[8];
          c.counters[n * 4] = num(f[9]);
          c.counters[n * 4 + 1] = num(f[10]);
          c.counters[n * 4 + 2] = num(f[11]);
          c.counters[n * 4 + 3] = num(f[12]);
          c.rule[n] = group.rule;
          c.mac[n] = rec.macAddress;
          n++;
        }
      }
    }
  }
  return n;
}

function baselineNsg(bytes: Buffer, expected: number): number {
  const doc = JSON.parse(bytes.toString('utf8')) as NsgDoc;
  const c = baselineColumns(expected);
  let n = 0;
  for (const rec of doc.records) {
    for (const rule of rec.properties.flows) {
      for (const macFlow of rule.flows) {
        for (const tuple of macFlow.flowTuples) {
          const f = tuple.split(',');
          c.time[n] = +f[0] * 1000;
          c.src[n] = f[1];
          c.dst[n] = f[2];
          c.srcPort[n] = +f[3];
          c.dstPort[n] = +f[4];
          c.proto[n] = f[5] === 'T' ? 6 : f[5] === 'U' ? 17 : +f[5];
          c.dir[n] = f[6];
          c.state[n] = f[8] ?? '';
          c.enc[n] = f[7];
          c.counters[n * 4] = num(f[9]);
          c.counters[n * 4 + 1] = num(f[10]);
          c.counters[n * 4 + 2] = num(f[11]);
          c.counters[n * 4 + 3] = num(f[12]);
          c.rule[n] = rule.rule;
          c.mac[n] = macFlow.mac;
          n++;
        }
      }
    }
  }
  return n;
}

/** Baseline B: one DuckDB instance per format, a query per round. */
async function openDuckdbBaseline(
  path: string,
  kind: 'vnet' | 'nsg2',
  expected: number,
): Promise<{ runOnce(): Promise<Timing>; close(): void }> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run('SET threads=1');
  const file = path.replace(/'/g, "''");
  const tuples =
    kind === 'vnet'
      ? `r AS (SELECT unnest(records) AS rec FROM read_json('${file}', maximum_object_size=2147483647)),
         a AS (SELECT unnest(rec.flowRecords.flows) AS acl FROM r),
         g AS (SELECT unnest(acl.flowGroups) AS grp FROM a),
         t AS (SELECT string_split(unnest(grp.flowTuples), ',') AS f FROM g)`
      : `r AS (SELECT unnest(records) AS rec FROM read_json('${file}', maximum_object_size=2147483647)),
         a AS (SELECT unnest(rec.properties.flows) AS rl FROM r),
         g AS (SELECT unnest(rl.flows) AS mf FROM a),
         t AS (SELECT string_split(unnest(mf.flowTuples), ',') AS f FROM g)`;
  const sql = `WITH ${tuples}
    SELECT count(*) AS n,
           sum(f[1]::BIGINT) AS ts,
           sum(length(f[2]) + length(f[3])) AS ip_chars,
           sum(f[4]::INTEGER + f[5]::INTEGER) AS ports,
           sum(CASE WHEN f[10] = '' OR f[10] IS NULL THEN 0 ELSE f[11]::BIGINT END) AS bytes
    FROM t`;
  return {
    async runOnce() {
      collectGarbage();
      await conn.runAndReadAll(sql);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const reader = await conn.runAndReadAll(sql);
      const wall = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      const n = Number(reader.getRows()[0][0]);
      if (n !== expected) throw new Error(`duckdb saw ${n} tuples, expected ${expected}`);
      return { wall, cpu: (c.user + c.system) / 1e6 };
    },
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

interface FormatResult {
  tuples: number;
  bytes: number;
  flowlens: Timing;
  jsonParse: Timing;
  duckdb: Timing;
  /** CPU seconds of every round, per method (best = the figure above). */
  rounds: { flowlens: number[]; json_parse: number[]; duckdb: number[] };
}

const fmt = (t: Timing) => `${t.cpu.toFixed(3)} s CPU (${t.wall.toFixed(3)} s wall)`;

async function measure(kind: 'vnet' | 'nsg2'): Promise<FormatResult> {
  const file = ensureFile(kind, targetTuples);
  const bytes = readFileSync(file.path);
  const baselineA = () =>
    kind === 'vnet' ? baselineVnet(bytes, file.tuples) : baselineNsg(bytes, file.tuples);
  // Warm-up: V8 needs two or three full passes before the scanner runs its optimised code (the
  // first pass is ~4x slower than steady state), so our decoder runs twice untimed and baseline A
  // once; DuckDB's first query is warm-up too.
  for (let i = 0; i < 2; i++) decodeOurs(bytes);
  baselineA();
  const duck = await openDuckdbBaseline(file.path, kind, file.tuples);
  await duck.runOnce();
  const samples = { flowlens: [] as Timing[], jsonParse: [] as Timing[], duckdb: [] as Timing[] };
  const check = (label: string, count: number) => {
    if (count !== file.tuples) throw new Error(`${label} saw ${count} tuples, expected ${file.tuples}`);
  };
  for (let round = 0; round < runs; round++) {
    const ours = measureOnce(() => decodeOurs(bytes));
    check('flowlens', ours.count);
    samples.flowlens.push(ours.timing);
    const a = measureOnce(baselineA);
    check('baseline A', a.count);
    samples.jsonParse.push(a.timing);
    samples.duckdb.push(await duck.runOnce());
  }
  duck.close();
  const flowlens = bestOf(samples.flowlens);
  const jsonParse = bestOf(samples.jsonParse);
  const duckdb = bestOf(samples.duckdb);
  log(`${kind}: flowlens ${fmt(flowlens)}`);
  log(`${kind}: JSON.parse+split ${fmt(jsonParse)}`);
  log(`${kind}: duckdb read_json ${fmt(duckdb)}`);
  const cpuOf = (list: Timing[]) => list.map((t) => Number(t.cpu.toFixed(3)));
  return {
    tuples: file.tuples,
    bytes: file.bytes,
    flowlens,
    jsonParse,
    duckdb,
    rounds: {
      flowlens: cpuOf(samples.flowlens),
      json_parse: cpuOf(samples.jsonParse),
      duckdb: cpuOf(samples.duckdb),
    },
  };
}

async function bigChild(path: string): Promise<void> {
  const t0 = performance.now();
  let rows = 0;
  let peak = process.memoryUsage().rss;
  const stats = await decodeStream(createReadStream(path, { highWaterMark: 1 << 20 }), {
    source: path,
    onBatch: (batch) => {
      rows += batch.length;
      const rss = process.memoryUsage().rss;
      if (rss > peak) peak = rss;
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const maxRssKb = process.resourceUsage().maxRSS;
  process.stdout.write(
    JSON.stringify({
      tuples: rows,
      records: stats.records,
      bytes: stats.bytes,
      seconds,
      peak_rss_mb: Math.round(Math.max(peak / 2 ** 20, maxRssKb / 1024)),
    }) + '\n',
  );
}

async function measureBig(): Promise<Record<string, number>> {
  // The generated v4 files take ~82 bytes per tuple: 6.1M tuples make about 500 MB.
  const file = ensureFile('vnet', 6_100_000);
  log(`big: ${(file.bytes / 2 ** 20).toFixed(0)} MiB, ${file.tuples} tuples; decoding in a child process …`);
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--big-child', file.path],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  if (child.status !== 0) throw new Error(`big child failed: ${child.stderr}`);
  const result = JSON.parse(child.stdout.trim().split('\n').pop() as string) as {
    tuples: number;
    bytes: number;
    seconds: number;
    peak_rss_mb: number;
  };
  if (result.tuples !== file.tuples)
    throw new Error(`big decode saw ${result.tuples} tuples, expected ${file.tuples}`);
  log(`big: ${result.seconds.toFixed(2)} s, peak RSS ${result.peak_rss_mb} MB`);
  return {
    big_bytes: result.bytes,
    big_tuples: result.tuples,
    big_seconds: Number(result.seconds.toFixed(3)),
    big_tuples_per_s: Math.round(result.tuples / result.seconds),
    peak_rss_mb: result.peak_rss_mb,
  };
}

async function main(): Promise<void> {
  if (args[0] === '--big-child') {
    await bigChild(args[1]);
    return;
  }
  log(`machine: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, node ${process.version}`);
  const v4 = await measure('vnet');
  const nsg = await measure('nsg2');
  const rate = (t: number, s: number) => Math.round(t / s);
  const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
  // Primary figures use process CPU time: on a shared machine wall time mostly measures the
  // scheduler. Wall-clock figures are reported alongside.
  const summarise = (parts: FormatResult[]) => {
    const tuples = parts.reduce((a, p) => a + p.tuples, 0);
    const sum = (pick: (p: FormatResult) => Timing) => ({
      cpu: parts.reduce((a, p) => a + pick(p).cpu, 0),
      wall: parts.reduce((a, p) => a + pick(p).wall, 0),
    });
    const ours = sum((p) => p.flowlens);
    const jp = sum((p) => p.jsonParse);
    const dk = sum((p) => p.duckdb);
    return {
      tuples,
      bytes: parts.reduce((a, p) => a + p.bytes, 0),
      flowlens_tuples_per_s: rate(tuples, ours.cpu),
      json_parse_tuples_per_s: rate(tuples, jp.cpu),
      duckdb_tuples_per_s: rate(tuples, dk.cpu),
      ratio_vs_json_parse: ratio(jp.cpu, ours.cpu),
      ratio_vs_duckdb: ratio(dk.cpu, ours.cpu),
      wall_flowlens_tuples_per_s: rate(tuples, ours.wall),
      wall_json_parse_tuples_per_s: rate(tuples, jp.wall),
      wall_duckdb_tuples_per_s: rate(tuples, dk.wall),
      wall_ratio_vs_json_parse: ratio(jp.wall, ours.wall),
      wall_ratio_vs_duckdb: ratio(dk.wall, ours.wall),
    };
  };
  const result: Record<string, unknown> = {
    bench: 'decode',
    timing: `process CPU time (user+sys, all threads), best of ${runs} interleaved rounds for every method after warm-up; wall_* are wall-clock`,
    ...summarise([v4, nsg]),
    v4: { ...summarise([v4]), round_cpu_s: v4.rounds },
    nsg_v2: { ...summarise([nsg]), round_cpu_s: nsg.rounds },
    runs,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    loadavg_1m: Number(loadavg()[0].toFixed(2)),
  };
  if (big) Object.assign(result, await measureBig());
  log(
    `flowlens ${result.flowlens_tuples_per_s} tuples/s; ${result.ratio_vs_json_parse}× JSON.parse+split; ` +
      `${result.ratio_vs_duckdb}× DuckDB read_json (1 thread)`,
  );
  if (asJson) process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench:decode failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
