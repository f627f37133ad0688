/**
 * bench:emulate — emulate N synthetic NICs for one hour into a folder (`--out`, see below), with the fast
 * byte writer, then again with the baseline (the same records built as objects and written with
 * JSON.stringify). Prints tuples/s for both, the ratio and the peak RSS.
 * Usage: npm run bench:emulate -- [--nics 1000] [--duration 1h] [--rounds 3] [--no-baseline] [--no-heap-cap]
 *        [--out DIR] [--encode-thread auto|worker|main]
 *        [--fixed-mmap-threshold]
 *        [--max-pending-mb 16] [--json]
 */
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants as fsConstants,
  mkdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  emulate,
  emulateOptionsSchema,
  FLOW_LOG_BLOB_FRAMING,
  syntheticScenario,
  type EncoderName,
  type EncodeThread,
} from '../src/emulator/index.js';
import { createFolderSink } from '../src/storage/sink-fs.js';
import { collectGarbage, machineProbeMs } from './lib/quiet.js';

const args = process.argv.slice(2);

/**
 * The emulator streams per minute, so its live set is bounded (~150 MB at 10,000 NICs); V8 would
 * still let the heap grow far past that before collecting. The benchmark therefore runs itself
 * with a capped old space (320 MB) and small semi-spaces: a leak would end in an out-of-memory
 * crash instead of a big RSS number. Users emulating very large networks can pass the same flags
 * through NODE_OPTIONS. `--no-heap-cap` runs with V8's default heap sizing instead (the memory
 * bound should hold without the cap too; this checks it).
 */
const HEAP_FLAGS = args.includes('--no-heap-cap')
  ? []
  : ['--max-old-space-size=320', '--max-semi-space-size=8'];
/**
 * glibc's malloc serves ArrayBuffer memory (slabs, typed-array columns) and V8's compiler zones.
 * By default it raises its mmap threshold to the size of the largest block freed so far (up to
 * 32 MB), after which blocks of a megabyte or more come from its heap and, once freed, stay in
 * the process: at 10,000 NICs that was ~57 MB of RSS beyond the live heap and buffers (peak 421
 * MB with the default, 364 MB with a fixed 128 KB threshold, same code, side by side). The
 * headline figures run with glibc's default, as `flowlens emulate` does unless a user sets the
 * variable; `--fixed-mmap-threshold` runs the child with `MALLOC_MMAP_THRESHOLD_=131072` (the
 * setting docs/profiles.md suggests for very large networks) to show what it saves.
 */
const MALLOC_ENV: Record<string, string> = args.includes('--fixed-mmap-threshold')
  ? { MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? '131072' }
  : {};
if (!process.env.FLOWLENS_BENCH_CHILD) {
  const child = spawnSync(
    process.execPath,
    [...HEAP_FLAGS, '--import', 'tsx', import.meta.filename, ...args],
    {
      stdio: 'inherit',
      env: { ...process.env, ...MALLOC_ENV, FLOWLENS_BENCH_CHILD: '1' },
    },
  );
  process.exit(child.status ?? 1);
}
const arg = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const nics = Number(arg('--nics', '1000'));
const duration = arg('--duration', '1h');
const json = args.includes('--json');
/** `--max-pending-mb N`: staged bytes before a batched commit (default: the emulator's 16 MB). */
const maxPendingMb = args.includes('--max-pending-mb') ? Number(arg('--max-pending-mb', '16')) : undefined;
/** `--no-baseline`: only the fast run (for memory checks at 10,000 NICs). */
const withBaseline = !args.includes('--no-baseline');
/**
 * `--rounds N` (default 3): each round emulates the hour with the fast writer, then with the
 * baseline; each method's figures are from its fastest round. This VM has phases of several
 * seconds in which the same CPU work takes 1.5-1.7x longer (see bench/decode.ts); one run per
 * method let a single phase decide the ratio. `peak_rss_mb` is the highest of the fast rounds (the
 * baseline's is `baseline_peak_mb`; both run in this one process).
 */
const rounds = Math.max(1, Number(arg('--rounds', '3')));
/** `--encode-thread auto|worker|main`: where the fast writer encodes records (default: as `flowlens emulate`). */
const encodeThread = arg('--encode-thread', 'auto') as EncodeThread;

/**
 * CPU seconds of the main thread alone (Linux; NaN elsewhere). The folder sink writes batches on
 * libuv's thread pool while the main thread emulates, so process CPU counts those writes too;
 * on a shared machine this shows the work on the thread that bounds the wall time.
 */
function mainThreadCpuSeconds(): number {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/**
 * Where the blobs go. Every run writes the same blobs (same scenario and seed; the baseline's bytes
 * equal the fast writer's) into one folder, `<out>/flowlens-bench-emulate-<nics>`, rewriting the
 * previous run's files in place. `--out DIR` picks `<out>`; by default it is `/dev/shm` (memory-backed
 * tmpfs) where that exists, else `bench/data`. The reason is this VM's disk file system, whose costs
 * were landing on whichever run happened to be next rather than on the run that caused them:
 * - New files: its ext4 has no journal, so the inode allocator skips inodes freed in the last few
 *   minutes, reading their inode-table blocks one by one; a run creating ~2,150 folders and files
 *   after any removal of earlier output spent 0.5-1.4 s of thread-pool CPU in `ext4_mkdir` and
 *   `ext4_create` (perf: `find_inode_bit`, `recently_deleted`).
 * - Rewritten files: ext4 starts the write-back of a file truncated and rewritten when it is closed
 *   (`auto_da_alloc`): ~90-120 ms at the end of every run, in the sink's `close`.
 * - Either way the kernel later writes 159 MB per run back to the disk in the background, during
 *   later runs.
 * On tmpfs none of these apply: a run costs the page copies (thread pool ~0.2 s) and a 5 ms close.
 * The JSON names the folder and its file system (`out_dir`, `out_fs`); BENCHMARKS.md has both. A
 * folder under `bench/data` is kept between invocations (removing it would make the next
 * invocation's first run pay the inode scans); elsewhere it is removed at exit. A second invocation
 * running at the same time uses a folder of its own, found through the lock file's process id.
 */
const outRoot = resolve(args.includes('--out') ? arg('--out', '') : defaultOutRoot());
const keepOutput = outRoot === resolve(import.meta.dirname, 'data');
const runsDir = takeOutputFolder(join(outRoot, `flowlens-bench-emulate-${nics}`));
const outFs = fileSystemOf(outRoot);
/**
 * `/dev/shm` when it is a writable folder with room for twice the output (~160 KB per NIC-hour;
 * containers often mount a 64 MB one), else `bench/data`.
 */
function defaultOutRoot(): string {
  const minutes = emulateOptionsSchema.parse({ duration }).duration;
  const needBytes = 2 * nics * (minutes / 60) * 160 * 1024;
  try {
    accessSync('/dev/shm', fsConstants.W_OK);
    const room = statfsSync('/dev/shm');
    if (statSync('/dev/shm').isDirectory() && room.bavail * room.bsize >= needBytes) return '/dev/shm';
  } catch {
    // No memory-backed folder: the repository's bench data folder.
  }
  return join(import.meta.dirname, 'data');
}
/** The type of the file system holding `path` (Linux: the longest mount point above it). */
function fileSystemOf(path: string): string {
  try {
    let best = { at: '', type: 'unknown' };
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [, at, type] = line.split(' ');
      if (at && (path === at || path.startsWith(at === '/' ? '/' : `${at}/`)) && at.length > best.at.length)
        best = { at, type };
    }
    return best.type;
  } catch {
    return 'unknown';
  }
}
function takeOutputFolder(dir: string): string {
  const lock = `${dir}.lock`;
  mkdirSync(dirname(dir), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      process.on('exit', () => {
        if (!keepOutput) rmSync(dir, { recursive: true, force: true });
        rmSync(lock, { force: true });
      });
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lock, 'utf8'));
      if (processAlive(holder)) break;
      rmSync(lock, { force: true }); // left by a run that was killed
    }
  }
  const own = `${dir}-${process.pid}`;
  process.on('exit', () => rmSync(own, { recursive: true, force: true }));
  return own;
}
function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let peakRss = 0;
/** What made up memory when the peak was reached (heap, Buffers/typed arrays outside it). */
let peakParts = { heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
const sampleRss = () => {
  const m = process.memoryUsage();
  if (m.rss > peakRss) {
    peakRss = m.rss;
    peakParts = {
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
    };
  }
};
const sampler = setInterval(sampleRss, 50);
sampler.unref();

async function run(
  encoder: EncoderName,
  runDuration = duration,
): Promise<{
  tuples: number;
  seconds: number;
  cpuSeconds: number;
  mainCpuSeconds: number;
  encodeSeconds: number;
  encodeCpuSeconds: number;
  sinkSeconds: number;
  records: number;
  bytes: number;
}> {
  const scenario = syntheticScenario(nics, 1);
  const folder = createFolderSink(runsDir, FLOW_LOG_BLOB_FRAMING);
  // Time spent in the folder sink's commits (writing files), to tell it apart from emulation.
  // Background commits count only while the emulator waits for them (or queues their writes).
  let sinkMs = 0;
  const sink = {
    ...folder,
    async commit() {
      const t = performance.now();
      const r = await folder.commit();
      sinkMs += performance.now() - t;
      return r;
    },
    commitInBackground() {
      const t = performance.now();
      const p = folder.commitInBackground!();
      sinkMs += performance.now() - t;
      return p;
    },
  };
  const timings = { encodeMs: 0, encodeCpuMs: 0 };
  const c0 = process.cpuUsage();
  const m0 = mainThreadCpuSeconds();
  const t0 = process.hrtime.bigint();
  const s = await emulate(
    scenario,
    sink,
    {
      duration: runDuration,
      encoder,
      encodeThread,
      commit: 'batched',
      start: '2025-01-06T00:00:00Z',
      profile: 'ga',
      ...(maxPendingMb ? { maxPendingBytes: maxPendingMb * 1024 * 1024 } : {}),
    },
    {
      onMinute: sampleRss,
    },
    { timings },
  );
  // Closing releases the files the sink keeps open (up to a quarter of the descriptor limit):
  // without it the four runs of one bench would hold them all at once.
  await folder.close();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(c0);
  const mainCpuSeconds = mainThreadCpuSeconds() - m0;
  return {
    tuples: s.tuples,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    mainCpuSeconds,
    encodeSeconds: timings.encodeMs / 1000,
    encodeCpuSeconds: timings.encodeCpuMs / 1000,
    sinkSeconds: sinkMs / 1000,
    records: s.records,
    bytes: s.bytes,
  };
}

/**
 * Warm both paths up so neither pays V8's compilation in its timing: one untimed round of each
 * (as bench:decode runs each method once untimed). A shorter warm-up left work behind: after a
 * 15-minute one the first timed hour still compiled ~1.9 s of code (`--trace-opt`), later hours
 * ~0.7 s (each run's fresh closures are compiled again, so some compilation stays in every run,
 * for both methods).
 */
// At 10,000 NICs an untimed hour per method would take two minutes and leave the baseline's
// memory in the process before the fast run is timed: three minutes each there.
const warmUp = nics <= 2000 ? duration : '3m';
await run('fast', warmUp);
if (withBaseline) await run('json', warmUp);
const mb = (n: number) => Math.round(n / 1024 / 1024);
// A run's peak and what it was made of at that moment (MB).
const peakNow = () => ({
  rss: mb(peakRss),
  heap_used: mb(peakParts.heapUsed),
  heap_total: mb(peakParts.heapTotal),
  array_buffers: mb(peakParts.arrayBuffers),
});
type RunResult = Awaited<ReturnType<typeof run>>;
const fastRuns: RunResult[] = [];
const baseRuns: RunResult[] = [];
let fastPeak = { rss: 0, heap_used: 0, heap_total: 0, array_buffers: 0 };
let basePeak: typeof fastPeak | null = null;
/**
 * Before each timed run: earlier runs' garbage collected. (Not `sync`: flushing the earlier runs'
 * files made the next runs ~35% slower on this VM, the host apparently still busy with the I/O.)
 */
const probes: { fast: number[]; baseline: number[] } = { fast: [], baseline: [] };
const quiet = (method: 'fast' | 'baseline') => {
  collectGarbage();
  probes[method].push(machineProbeMs());
};
for (let round = 0; round < rounds; round++) {
  quiet('fast');
  peakRss = 0;
  fastRuns.push(await run('fast'));
  if (mb(peakRss) > fastPeak.rss) fastPeak = peakNow();
  if (withBaseline) {
    quiet('baseline');
    peakRss = 0;
    baseRuns.push(await run('json'));
    if (mb(peakRss) > (basePeak?.rss ?? 0)) basePeak = peakNow();
  }
}
clearInterval(sampler);
const fastest = (list: RunResult[]) => list.reduce((best, r) => (r.seconds < best.seconds ? r : best));
const fast = fastest(fastRuns);
const base = withBaseline
  ? fastest(baseRuns)
  : {
      tuples: 0,
      seconds: NaN,
      cpuSeconds: NaN,
      mainCpuSeconds: NaN,
      encodeSeconds: NaN,
      encodeCpuSeconds: NaN,
      sinkSeconds: NaN,
      records: 0,
      bytes: 0,
    };
// The emulator's peak: the fast runs' (the baseline's is `baseline_peak_mb`).
peakRss = fastPeak.rss * 1024 * 1024;
const result = {
  bench: 'emulate',
  heap_flags: HEAP_FLAGS.join(' '),
  malloc_mmap_threshold: process.env.MALLOC_MMAP_THRESHOLD_ ?? null,
  max_pending_mb: maxPendingMb ?? 16,
  out_dir: runsDir,
  out_fs: outFs,
  nics,
  duration,
  tuples: fast.tuples,
  records: fast.records,
  bytes: fast.bytes,
  seconds: Number(fast.seconds.toFixed(3)),
  tuples_per_s: Math.round(fast.tuples / fast.seconds),
  baseline_tuples_per_s: withBaseline ? Math.round(base.tuples / base.seconds) : null,
  ratio: withBaseline ? Number((base.seconds / fast.seconds).toFixed(2)) : null,
  peak_rss_mb: Math.round(peakRss / 1024 / 1024),
  rounds,
  round_seconds: {
    fast: fastRuns.map((r) => Number(r.seconds.toFixed(3))),
    baseline: baseRuns.map((r) => Number(r.seconds.toFixed(3))),
  },
  // A fixed JS loop timed right before each run (ms; see machineProbeMs): higher = a slower phase.
  round_machine_probe_ms: probes,
  // Highest peak of the fast runs and its make-up at that moment (MB): heap used/total, Buffers.
  fast_peak_mb: fastPeak,
  baseline_peak_mb: basePeak,
  // The machine is shared: CPU-time rates show the work per tuple independent of contention.
  tuples_per_cpu_s: Math.round(fast.tuples / fast.cpuSeconds),
  baseline_tuples_per_cpu_s: withBaseline ? Math.round(base.tuples / base.cpuSeconds) : null,
  // The same per CPU second of the main thread only (file writes run on pool threads).
  tuples_per_main_cpu_s: Math.round(fast.tuples / fast.mainCpuSeconds),
  baseline_tuples_per_main_cpu_s: withBaseline ? Math.round(base.tuples / base.mainCpuSeconds) : null,
  main_cpu_ratio: withBaseline ? Number((base.mainCpuSeconds / fast.mainCpuSeconds).toFixed(2)) : null,
  // The record-encoding stage alone (same records): byte writer vs objects + JSON.stringify.
  encode_tuples_per_s: Math.round(fast.tuples / fast.encodeSeconds),
  baseline_encode_tuples_per_s: withBaseline ? Math.round(base.tuples / base.encodeSeconds) : null,
  encode_ratio: withBaseline ? Number((base.encodeSeconds / fast.encodeSeconds).toFixed(2)) : null,
  encode_tuples_per_cpu_s: Math.round(fast.tuples / fast.encodeCpuSeconds),
  baseline_encode_tuples_per_cpu_s: withBaseline ? Math.round(base.tuples / base.encodeCpuSeconds) : null,
  encode_cpu_ratio: withBaseline ? Number((base.encodeCpuSeconds / fast.encodeCpuSeconds).toFixed(2)) : null,
  // Wall time in the folder sink's commits (file writes), included in `seconds`.
  sink_seconds: Number(fast.sinkSeconds.toFixed(3)),
  // Tuples per second of the emulation alone (everything but the sink's file writes).
  emulate_only_tuples_per_s: Math.round(fast.tuples / (fast.seconds - fast.sinkSeconds)),
  load_average: Number(loadavg()[0].toFixed(2)),
};
if (!json) {
  console.log(
    `emulate ${nics} NICs × ${duration}: ${fast.tuples} tuples, ${fast.records} records, ${(fast.bytes / 1e6).toFixed(1)} MB`,
  );
  console.log(
    `fast writer:  ${fast.seconds.toFixed(2)} s  ${result.tuples_per_s} tuples/s (${result.tuples_per_cpu_s} per CPU second)`,
  );
  console.log(
    `baseline (objects + JSON.stringify): ${base.seconds.toFixed(2)} s  ${result.baseline_tuples_per_s} tuples/s`,
  );
  console.log(`ratio ${result.ratio}×, peak RSS ${result.peak_rss_mb} MB`);
}
console.log(JSON.stringify(result));
