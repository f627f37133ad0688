/**
 * The flow-log emulator: Azure VNet flow logs (v4) and NSG flow logs (v1/v2) for a scenario,
 * minute by minute, written block by block as Azure grows `PT1H.json`.
 *
 * - `emulate(scenario, sink, options)` runs it into a `BlobSink` and returns a summary;
 * - `emulateMinutes(scenario, options)` streams each simulated minute's blocks (no sink);
 * - `recordersFor(...)` answers, without emulating, which flow logs record a flow and why not.
 */
import { ScenarioError } from '../errors.js';
import { hourPartition, HEAD_BLOCK, TAIL_BLOCK } from '../formats/index.js';
import type { Scenario, ServiceTagSet } from '../model/index.js';
import { compilePolicy } from '../policy/index.js';
import type { BlobSink } from '../storage/sink.js';
import { emulateOptionsSchema, type EmulateOptions, type EmulateOptionsInput } from './config.js';
import { runMinutes, runMinutesInWorker, type EmittedBlock, type MinuteResult } from './engine.js';
import { buildNetwork, type EmuNetwork } from './network.js';
import { policyJudge } from './policy-judge.js';
import { PROFILES, type BehaviourProfile, type ProfileName } from './profiles.js';
import { recordersFor as recordersForWith, type RecordersReport, type FlowKind } from './recorder.js';
import type { Judge } from './verdict.js';

export * from './profiles.js';
export {
  emulateOptionsSchema,
  ENCODE_THREADS,
  type EmulateOptions,
  type EmulateOptionsInput,
  type EncodeThread,
} from './config.js';
export {
  runMinutes,
  runMinutesInWorker,
  recordTimeText,
  type MinuteResult,
  type EmittedBlock,
  type EngineOptions,
  type EncoderName,
} from './engine.js';
export {
  buildNetwork,
  type EmuNetwork,
  type EmuNic,
  type EmuVnetFlowLog,
  type EmuNsgFlowLog,
  type Endpoint,
} from './network.js';
export {
  decideFlow,
  summariseDecision,
  encryptionOutcome,
  ENCRYPTION_NOISE_VALUE,
  PLATFORM_ACL_ID,
  PLATFORM_RULE,
  type FlowDecision,
  type SideDecision,
  type FlowSpec,
  type FlowKind,
  type RecordersReport,
  type RecorderEntry,
  type RecorderMiss,
} from './recorder.js';
export { compileFilter, compileRecordTypes, type FlowFilter, type FilterSubject } from './filter.js';
export { policyJudge, vnetRuleName } from './policy-judge.js';
export { syntheticScenario } from './synthetic.js';
export type { Judge, FlowKey, SideVerdict, FlowJudgement } from './verdict.js';
export { createPrng, prngFor, guidFor, type Prng } from './prng.js';

/** Everything a run needs, resolved once: profile, times, network view and rule engine. */
export interface PreparedEmulation {
  options: EmulateOptions;
  profile: BehaviourProfile;
  startMs: number;
  durationMinutes: number;
  seed: number;
  network: EmuNetwork;
  judge: Judge;
}

export function prepareEmulation(
  scenario: Scenario,
  input: EmulateOptionsInput = {},
  extra: { serviceTags?: ServiceTagSet; explain?: boolean } = {},
): PreparedEmulation {
  const parsed = emulateOptionsSchema.safeParse(input);
  if (!parsed.success)
    throw new ScenarioError(`emulator options: ${parsed.error.issues[0].message}`, {
      path: parsed.error.issues[0].path.join('.'),
    });
  const options = parsed.data;
  const profile = PROFILES[options.profile as ProfileName];
  const startText = options.start ?? profile.defaultStart;
  const startMs = Math.floor(Date.parse(startText) / 60_000) * 60_000;
  const seed = options.seed ?? scenario.seed ?? 1;
  const network = buildNetwork(scenario, profile, startMs);
  const policy = compilePolicy(scenario, { serviceTags: extra.serviceTags });
  const judge = policyJudge(policy, scenario.nsgEvaluationOrder, profile, { explain: extra.explain });
  return { options, profile, startMs, durationMinutes: options.duration, seed, network, judge };
}

/** Streams the emulation minute by minute (blocks are not written anywhere). */
export function emulateMinutes(
  scenario: Scenario,
  input: EmulateOptionsInput = {},
  extra: { serviceTags?: ServiceTagSet } = {},
): Generator<MinuteResult> {
  const p = prepareEmulation(scenario, input, extra);
  return runMinutes(p.network, p.judge, {
    startMs: p.startMs,
    durationMinutes: p.durationMinutes,
    profile: p.profile,
    seed: p.seed,
    encoder: p.options.encoder,
  });
}

export interface EmulateSummary {
  profile: string;
  seed: number;
  start: string;
  minutes: number;
  connections: number;
  /** Distinct blobs (`PT1H.json`) written. */
  blobs: number;
  /** Records = data blocks. */
  records: number;
  vnetRecords: number;
  nsgRecords: number;
  tuples: number;
  bytes: number;
  commits: number;
  elapsedMs: number;
}

export interface EmulateHooks {
  /**
   * Called after each simulated minute (after its commit, if any). The blocks' bytes are valid
   * during the call only: once committed, their memory is reused for later minutes.
   */
  onMinute?(minute: MinuteResult, summary: EmulateSummary): void;
  /** Aborts between minutes. */
  signal?: AbortSignal;
}

/** Runs an emulation into a sink. Same scenario, options and seed ⇒ byte-identical blobs. */
export async function emulate(
  scenario: Scenario,
  sink: BlobSink,
  input: EmulateOptionsInput = {},
  hooks: EmulateHooks = {},
  extra: { serviceTags?: ServiceTagSet; timings?: { encodeMs: number; encodeCpuMs?: number } } = {},
): Promise<EmulateSummary> {
  const p = prepareEmulation(scenario, input, extra);
  const { options } = p;
  const t0 = Date.now();
  const summary: EmulateSummary = {
    profile: p.profile.name,
    seed: p.seed,
    start: new Date(p.startMs).toISOString(),
    minutes: 0,
    connections: 0,
    blobs: 0,
    records: 0,
    vnetRecords: 0,
    nsgRecords: 0,
    tuples: 0,
    bytes: 0,
    commits: 0,
    elapsedMs: 0,
  };
  const commitMode = options.realtime ? 'minute' : (options.commit ?? 'minute');
  const wallStart = Date.now();
  // Committed blocks are dead (the sink wrote them, `onMinute` has returned): their bytes are reused.
  const released = { throughMinute: -1 };
  const engineOptions = {
    released,
    startMs: p.startMs,
    durationMinutes: p.durationMinutes,
    profile: p.profile,
    seed: p.seed,
    encoder: options.encoder,
    timings: extra.timings,
  };
  const stream = encodesInWorker(p)
    ? runMinutesInWorker(p.network, p.judge, engineOptions)
    : runMinutes(p.network, p.judge, engineOptions);
  /**
   * Batched commits into a sink that takes the staged blocks when called (the folder sink) are
   * not awaited at once: the next minutes are emulated while the files are written, and the
   * commit is awaited before the next one (the blocks' memory is reused only after that). Only
   * batches spanning several minutes overlap (see below), so memory stays within ~2 batches.
   */
  const overlap = commitMode === 'batched' && !options.realtime && sink.commitInBackground !== undefined;
  let writing: {
    through: number;
    done: boolean;
    failed: boolean;
    error: unknown;
    settled: Promise<void>;
  } | null = null;
  const startCommit = (through: number) => {
    const w = {
      through,
      done: false,
      failed: false,
      error: undefined as unknown,
      settled: Promise.resolve(),
    };
    w.settled = sink.commitInBackground!().then(
      () => {
        w.done = true;
      },
      (err: unknown) => {
        w.done = true;
        w.failed = true;
        w.error = err;
      },
    );
    writing = w;
    summary.commits++;
  };
  const finishCommit = async () => {
    const w = writing;
    if (w === null) return;
    writing = null;
    await w.settled;
    if (w.failed) throw w.error;
    released.throughMinute = Math.max(released.throughMinute, w.through);
  };
  let currentHour = '';
  for await (const minute of stream) {
    if (hooks.signal?.aborted) break;
    const hour = hourPartition(minute.minuteStartMs);
    if (minute.newHour && currentHour !== '') {
      // Earlier hours' blobs are complete: commit them and stop tracking them.
      await finishCommit();
      await sink.commit();
      summary.commits++;
      released.throughMinute = minute.minute - 1;
      const keep = `/${hour}/`;
      sink.forget((_c, name) => !name.includes(keep));
    }
    currentHour = hour;
    const bytesBefore = summary.bytes;
    stageBlocks(sink, minute.blocks, summary);
    summary.tuples += minute.tuples;
    summary.connections += minute.connections;
    summary.minutes++;
    if (options.realtime) {
      const due = wallStart + (minute.minute + 1) * options.minuteMs;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const minuteBytes = summary.bytes - bytesBefore;
    if (commitMode === 'minute' || sink.pendingBytes() >= options.maxPendingBytes) {
      // Overlapping holds a second batch of blocks while one is written: only when a minute is
      // small next to a batch (1,000 NICs: ~2.6 MB), not when single minutes fill a batch
      // (10,000 NICs), where it would add a minute's blocks to peak memory.
      if (overlap && minuteBytes * 2 <= options.maxPendingBytes) {
        await finishCommit();
        startCommit(minute.minute);
      } else {
        await finishCommit();
        await sink.commit();
        summary.commits++;
        released.throughMinute = minute.minute;
      }
    }
    if (writing !== null) {
      // Let the event loop run the write callbacks; a finished commit frees its blocks' memory.
      await new Promise<void>((r) => setImmediate(r));
      if ((writing as { done: boolean } | null)?.done) await finishCommit();
    }
    summary.elapsedMs = Date.now() - t0;
    hooks.onMinute?.(minute, summary);
  }
  await finishCommit();
  if (overlap) {
    // The last batch is written as the others were: on the thread pool, all blobs at once.
    startCommit(summary.minutes - 1);
    await finishCommit();
  } else {
    await sink.commit();
    summary.commits++;
  }
  summary.elapsedMs = Date.now() - t0;
  return summary;
}

/**
 * Stages a minute's blocks and counts them. A function of its own, called once per minute: V8
 * optimises this hot loop alone instead of all of `emulate` (~90 ms of compiler time per run).
 */
function stageBlocks(sink: BlobSink, blocks: readonly EmittedBlock[], summary: EmulateSummary): void {
  for (const b of blocks) {
    if (b.isFirst) summary.blobs++;
    sink.stage(b.container, b.blobName, b.bytes);
    summary.records++;
    if (b.kind === 'vnet') summary.vnetRecords++;
    else summary.nsgRecords++;
    summary.bytes += b.bytes.length;
  }
}

/**
 * `encodeThread: 'auto'`: small runs encode in the calling thread (a worker's start and its warm-up
 * cost more than it saves), and so do very large networks, for memory: at 10,000 NICs the worker
 * is faster (661 k against 388 k tuples/s) but the minutes in flight and its pooled output took the
 * peak to 787 MB against 449 MB in one thread (bench:emulate, 2026-11-27), past the 500 MB the
 * emulator is held to. `encodeThread: 'worker'` trades that memory for the speed.
 */
const WORKER_MIN_NIC_MINUTES = 2000;
const WORKER_MAX_NICS = 4000;

function encodesInWorker(p: PreparedEmulation): boolean {
  const { encoder, encodeThread } = p.options;
  if (encoder === 'formats' || encoder === 'json' || encodeThread === 'main') return false;
  if (encodeThread === 'worker') return true;
  const nics = p.network.nics.length;
  return nics <= WORKER_MAX_NICS && nics * p.durationMinutes >= WORKER_MIN_NIC_MINUTES;
}

/** Head and tail blocks for sinks that hold flow logs. */
export const FLOW_LOG_BLOB_FRAMING = { head: HEAD_BLOCK, tail: TAIL_BLOCK };

/**
 * Which flow logs (and NIC blobs) record a flow, and which do not and why: the recorder as a pure
 * function, for planners. `from`/`to` are endpoint references as in scenario traffic.
 */
export function recordersFor(
  scenario: Scenario,
  flow: { from: string; to: string; protocol: number; dstPort: number; srcPort?: number; kind?: FlowKind },
  options: {
    profile?: ProfileName;
    atMs?: number;
    serviceTags?: ServiceTagSet;
    prepared?: PreparedEmulation;
  } = {},
): RecordersReport {
  const p =
    options.prepared ??
    prepareEmulation(
      scenario,
      { profile: options.profile ?? 'ga', duration: 1 },
      { serviceTags: options.serviceTags, explain: true },
    );
  return recordersForWith(p.network, p.judge, p.profile, flow, { atMs: options.atMs ?? p.startMs });
}
