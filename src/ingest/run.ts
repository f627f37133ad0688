import { FlowLogFormatError, UsageError } from '../errors.js';
import type { FlowBatch } from '../formats/flowbatch.js';
import type { BlobCheckpoint, Store, TableRows } from '../store/types.js';
import { lineageOf } from '../storage/blocks.js';
import { checkpointAfter } from '../storage/checkpoint.js';
import { soloClaims, type ClaimBook } from '../storage/lease.js';
import { BlobChangedError, type BlobInfo, type BlobSource, type DeltaChunk } from '../storage/source.js';
import { resolveIngestOptions, type IngestOptionsInput } from './config.js';
import { createDecoderPool, type DecodeJob, type DecoderPool } from './decode.js';
import { createCommitter } from './committer.js';
import { deriverSpecOf, type DeriverSpec } from './derive.js';

/**
 * The ingest loop: list → claim → checkpoint → new blocks → decode (worker threads) → derive
 * (analytics) → one store commit per chunk, holding the rows and the checkpoint that covers them.
 *
 * Exactly-once rests on three things: the checkpoint is committed in the same store transaction
 * as its rows; it is read after the blob's claim is taken (so another process's progress is seen);
 * and a recreated blob's rows are replaced, not added to.
 */

/** Turns decoded tuples into derived rows (Traffic Analytics aggregates); provided by analytics/. */
export type Deriver = (
  tuples: readonly FlowBatch[],
  context: { source: string; blob: string },
) => TableRows[] | Promise<TableRows[]>;

export interface IngestProgress {
  phase: 'listing' | 'ingesting' | 'waiting';
  pass: number;
  blobsListed: number;
  blobsDone: number;
  blocks: number;
  tuples: number;
  bytes: number;
  errors: number;
}

export interface CommitEvent {
  source: string;
  blob: string;
  blocks: number;
  tuples: number;
  checkpoint: BlobCheckpoint;
  /** Lineage (`@offset`) of the chunk's blocks. */
  lineage: string[];
}

export interface IngestRun extends IngestOptionsInput {
  sources: readonly BlobSource[];
  store: Store;
  /** Claim book per source id; default: no coordination (single process). */
  claims?: ReadonlyMap<string, ClaimBook>;
  derive?: Deriver;
  onProgress?: (progress: IngestProgress) => void;
  onCommit?: (event: CommitEvent) => void;
  /** Messages for the user (quarantined blobs, retries); default stderr. */
  log?: (line: string) => void;
  /** Stops follow mode (and a pass in progress, between commits). */
  signal?: AbortSignal;
  /** Provide a pool (benchmarks reuse one); otherwise one is created for the run. */
  decoder?: DecoderPool;
}

export interface IngestSummary {
  passes: number;
  /** Blobs that had new blocks. */
  blobs: number;
  blocks: number;
  tuples: number;
  /** Payload bytes read from sources. */
  bytes: number;
  seconds: number;
  /** Blobs that failed (quarantined or transient errors). */
  errors: number;
  quarantined: { source: string; blob: string; block: string | null; error: string }[];
  /** Blobs skipped because another worker held their claim. */
  claimedElsewhere: number;
  /** Blobs skipped because they were quarantined by an earlier run (see --retry-quarantined). */
  skippedQuarantined: number;
}

const HOUR_PARTITION = /\/y=(\d{4})\/m=(\d{2})\/d=(\d{2})\/h=(\d{2})\//;

function stampOf(blob: BlobInfo): string {
  return `${blob.etag ?? ''}|${blob.size}|${blob.lastModified?.getTime() ?? ''}`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Listing attempts a one-shot run makes before it gives up on an unreachable store or account. */
const LIST_RETRIES = 4;
/** Retry rounds a one-shot run gives blobs that failed for a transient reason. */
const BLOB_RETRIES = 4;
/** Backoff between listing attempts (and blob retry rounds): doubles from the start value up to the cap. */
const LIST_BACKOFF_START_MS = 500;
const LIST_BACKOFF_CAP_MS = 30_000;

/** Runs `fn` over `items` with at most `limit` in flight. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  });
  await Promise.all(lanes);
}

/**
 * What the decoder threads derive with: the deriver's own spec, with partials as coarse as the
 * store allows (its creation interval: fewer rows to write and fold). Undefined for a hand-written
 * deriver, which runs on the main thread. (A pool warmed with this spec is ready for the run.)
 */
export function threadDeriverSpec(derive: Deriver | undefined, store: Store): DeriverSpec | undefined {
  const spec = deriverSpecOf(derive);
  const partialMinutes = store.info().partialMinutes;
  if (!spec || spec.partialMinutes !== undefined || partialMinutes === undefined) return spec;
  return { ...spec, partialMinutes: partialMinutes as 1 | 10 | 60 };
}

export function chunkJob(chunk: DeltaChunk): DecodeJob {
  const base = chunk.blocks.length > 0 ? chunk.blocks[0].offset : 0;
  return {
    blob: chunk.blob,
    base,
    bytes: chunk.bytes,
    blocks: chunk.blocks.map((b) => ({ offset: b.offset, size: b.size, lineage: lineageOf(b) })),
    firstRecord: chunk.after.blockCount - chunk.blocks.length,
    transfer: chunk.transferable === true && chunk.bytes.byteLength > 0,
  };
}

export async function runIngest(run: IngestRun): Promise<IngestSummary> {
  const settings = resolveIngestOptions(run);
  const log = run.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const started = performance.now();
  const ownPool = run.decoder === undefined;
  const decoder = run.decoder ?? createDecoderPool({ workers: settings.workers });
  const summary: IngestSummary = {
    passes: 0,
    blobs: 0,
    blocks: 0,
    tuples: 0,
    bytes: 0,
    seconds: 0,
    errors: 0,
    quarantined: [],
    claimedElsewhere: 0,
    skippedQuarantined: 0,
  };
  const progress: IngestProgress = {
    phase: 'listing',
    pass: 0,
    blobsListed: 0,
    blobsDone: 0,
    blocks: 0,
    tuples: 0,
    bytes: 0,
    errors: 0,
  };
  const report = () => run.onProgress?.({ ...progress });
  // Lanes: blobs being read and decoded at once. A lane hands its rows to the committer and goes
  // on to the next blob; the committer bounds what waits for the store (see committer.ts).
  const concurrency = settings.concurrency ?? (run.store.commitMany ? 64 : 16);
  const committer = createCommitter(run.store, { maxInFlightUnits: concurrency });
  // Analytics made by createDeriver run on the decoder threads, beside decoding.
  const deriveSpec = decoder.decodeAndDerive ? threadDeriverSpec(run.derive, run.store) : undefined;

  const warming = deriveSpec && decoder.warm ? decoder.warm(deriveSpec) : undefined;
  warming?.catch(() => undefined);
  /** Listing stamps of blobs fully ingested, to skip unchanged blobs in follow mode. */
  const seen = new Map<string, string>();
  const bytesAtStart = run.sources.map((s) => s.stats.bytesRead);
  /**
   * After the first pass of follow mode, list only hours that can still grow: Azure appends to
   * the current hour's blob (and, around the hour boundary, the previous one), so older
   * partitions are pruned unless `--since` asks for a later start anyway.
   */
  // "Recent" is measured from the newest hour listed so far, not from the wall clock, so that a
  // follow over logs stamped in the past (an emulator replaying another day) still sees them grow.
  let newestHourMs = 0;
  const noteHour = (blobName: string) => {
    const m = HOUR_PARTITION.exec(blobName);
    if (m) newestHourMs = Math.max(newestHourMs, Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4]));
  };
  const passSince = (pass: number): Date | undefined => {
    if (!settings.follow || pass === 1) return settings.since;
    const newest = newestHourMs > 0 ? Math.min(Date.now(), newestHourMs + 3_600_000) : Date.now();
    const recent = new Date(newest - settings.followWindowMs);
    return settings.since && settings.since > recent ? settings.since : recent;
  };
  type WorkItem = {
    source: BlobSource;
    claims: ClaimBook;
    /** Whether other processes may ingest this source too (claims given for it). */
    shared: boolean;
    /** The source's checkpoints, read once per pass and kept current by this run's commits. */
    known: Map<string, BlobCheckpoint>;
    blob: BlobInfo;
    quarantined: Set<string>;
    reason?: string;
  };
  let changed: WorkItem[] = [];

  /**
   * The wait for a blob's last commit, detached from its lane so that the lane can read the next
   * blob meanwhile (reading and decoding overlap the store's commit); awaited at the end of a pass.
   */
  const tails = new Set<Promise<void>>();
  async function settleTails(): Promise<void> {
    while (tails.size > 0) await Promise.all([...tails]);
  }

  async function ingestBlob(item: WorkItem): Promise<void> {
    const { source, claims, shared, known, blob, quarantined } = item;
    const key = `${source.id}\u0000${blob.name}`;
    const stamp = stampOf(blob);
    if (seen.get(key) === stamp) return;
    if (quarantined.has(blob.name)) {
      summary.skippedQuarantined++;
      return;
    }
    // The checkpoint remembers the ETag the block list was read at: an unchanged ETag in the
    // listing means nothing new, so no claim, block list or download is needed. (Folder
    // checkpoints hold a content fingerprint instead, never equal to a listing's null ETag.)
    // The pass's checkpoint map may be older than the store when other processes share the
    // source, but a stale entry can only miss this shortcut, never take it wrongly: an ETag equal
    // to the listing's means the blob has not changed since that checkpoint.
    if (blob.etag !== null) {
      const last = known.get(blob.name);
      if (last !== undefined && last.etag === blob.etag) {
        seen.set(key, stamp);
        return;
      }
    }
    // Too much waiting for the store: let it catch up before reading more.
    await committer.room();
    const claim = await claims.claim(blob.name);
    if (claim === null) {
      summary.claimedElsewhere++;
      return;
    }
    let current: DeltaChunk | null = null;
    let touched = false;
    // Reading and decoding count as work on its way to the committer, which waits for it to make
    // bigger groups (see committer.ts); waiting for our own commit does not.
    let endProducing = committer.producing();

    const fail = async (err: unknown): Promise<void> => {
      if (err instanceof BlobChangedError) {
        // Re-committed (or recreated) while being read: try again now unless follow mode will.
        changed.push({ ...item, reason: 'kept changing while being read' });
        return;
      }
      if (!(err instanceof FlowLogFormatError) && !settings.follow) {
        // Transient (network, server restart): each commit is atomic with its checkpoint, so the
        // blob simply continues from its checkpoint when retried below.
        changed.push({ ...item, reason: err instanceof Error ? err.message : String(err) });
        return;
      }
      summary.errors++;
      progress.errors++;
      const block =
        err instanceof FlowLogFormatError && err.location.block !== undefined
          ? err.location.block
          : current
            ? current.blocks[0]
              ? lineageOf(current.blocks[0])
              : null
            : null;
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof FlowLogFormatError) {
        quarantined.add(blob.name);
        const record = {
          source: source.id,
          blob: blob.name,
          block,
          error: message,
          time: new Date().toISOString(),
        };
        await run.store.recordIngestError(record);
        summary.quarantined.push(record);
        log(`flowlens: quarantined ${blob.name}: ${message}`);
      } else {
        log(`flowlens: ${blob.name}: ${message} (will retry on the next run)`);
      }
    };
    const finish = async (): Promise<void> => {
      endProducing();
      await claim.release();
      if (touched) summary.blobs++;
      progress.blobsDone++;
    };

    /**
     * Hands each chunk to the committer; returns the last chunk's commit (with its bookkeeping),
     * not yet awaited, or null when nothing is left to wait for. A chunk is handed in only after
     * the previous one of the blob is committed, so a failed commit never leaves a gap behind a
     * later checkpoint.
     */
    const produce = async (): Promise<{ last: Promise<void> | null; complete: boolean }> => {
      let pending: Promise<void> | null = null;
      // Alone on the source, the pass's map is exact (this run writes every checkpoint and updates
      // the map as it commits). Shared, another process may have committed since the map was read:
      // the claim is held now, so the store's checkpoint read after it is final.
      const cursor = shared
        ? await run.store.getCheckpoint(source.id, blob.name)
        : (known.get(blob.name) ?? null);
      for await (const chunk of source.readDelta(blob, cursor, { maxChunkBytes: settings.maxChunkBytes })) {
        current = chunk;
        // read before decoding: a transferable chunk's bytes are detached once posted to a thread
        const chunkBytes = chunk.bytes.length;
        let tuples: FlowBatch[] = [];
        let derived: TableRows[] | undefined;
        if (chunk.blocks.length > 0) {
          if (deriveSpec && decoder.decodeAndDerive) {
            // Derived on the thread, the rows meet only the store here, which reads strings by ref.
            const result = await decoder.decodeAndDerive(chunkJob(chunk), deriveSpec, {
              sharedStrings: true,
            });
            tuples = result.batches;
            derived = result.derived;
          } else tuples = await decoder.decode(chunkJob(chunk));
        }
        if (run.derive && tuples.length > 0 && derived === undefined) {
          derived = await run.derive(tuples, { source: source.id, blob: blob.name });
        }
        // The blob's previous chunk is committed before this one is handed in. Waiting for the
        // committer is not producing (it may be waiting for producers to finish a group).
        if (pending) {
          endProducing();
          await pending;
          endProducing = committer.producing();
        }
        if (!(await claim.confirm())) {
          log(`flowlens: lost the claim on ${blob.name}; another worker continues it`);
          return { last: null, complete: false };
        }
        const checkpoint = checkpointAfter(source.id, chunk);
        const blocks = chunk.blocks;
        const committed = committer.commit({ checkpoint, tuples, derived, replaceBlob: chunk.replace });
        endProducing();
        pending = committed.then(() => {
          known.set(blob.name, checkpoint);
          const count = tuples.reduce((s, b) => s + b.length, 0);
          touched = true;
          summary.blocks += blocks.length;
          summary.tuples += count;
          progress.blocks = summary.blocks;
          progress.tuples = summary.tuples;
          progress.bytes += chunkBytes;
          run.onCommit?.({
            source: source.id,
            blob: blob.name,
            blocks: blocks.length,
            tuples: count,
            checkpoint,
            lineage: blocks.map(lineageOf),
          });
          report();
        });
        // keep the promise observed: its failure is handled where it is awaited
        pending.catch(() => undefined);
        if (run.signal?.aborted) return { last: pending, complete: false };
        endProducing = committer.producing();
      }
      endProducing();
      return { last: pending, complete: true };
    };

    let produced: { last: Promise<void> | null; complete: boolean };
    try {
      produced = await produce();
    } catch (err) {
      await fail(err);
      await finish();
      return;
    }
    const tail = (async () => {
      try {
        if (produced.last) await produced.last;
        if (produced.complete) seen.set(key, stamp);
      } catch (err) {
        await fail(err);
      } finally {
        await finish();
      }
    })();
    tails.add(tail);
    void tail.finally(() => tails.delete(tail));
  }

  const retried = new Set<string>();
  /** Lists every source for one pass, with its checkpoints and quarantine read at the start. */
  async function listPass(pass: number): Promise<WorkItem[]> {
    const work: WorkItem[] = [];
    for (const source of run.sources) {
      const given = run.claims?.get(source.id);
      const claims = given ?? soloClaims();
      const known = new Map<string, BlobCheckpoint>();
      for (const cp of await run.store.listCheckpoints(source.id)) known.set(cp.blob, cp);
      const errors = await run.store.listIngestErrors(source.id);
      const quarantined = new Set<string>();
      for (const e of errors) {
        if (settings.retryQuarantined && !retried.has(`${source.id}\u0000${e.blob}`)) {
          retried.add(`${source.id}\u0000${e.blob}`);
          await run.store.clearIngestErrors(source.id, e.blob);
        } else quarantined.add(e.blob);
      }
      for await (const blob of source.list({ since: passSince(pass), until: settings.until })) {
        noteHour(blob.name);
        work.push({ source, claims, shared: given !== undefined, known, blob, quarantined });
        progress.blobsListed++;
      }
    }
    return work;
  }

  let listFailures = 0;
  try {
    for (let pass = 1; ; pass++) {
      summary.passes = pass;
      progress.pass = pass;
      progress.phase = 'listing';
      progress.blobsListed = 0;
      progress.blobsDone = 0;
      report();
      let work: WorkItem[];
      try {
        work = await listPass(pass);
        listFailures = 0;
      } catch (err) {
        // A store or account that is briefly unreachable (a ClickHouse server restarting, a
        // container not created yet, a network blip) must not end a long-running follow: log,
        // back off, list again. Usage errors (a missing folder, bad options) are final, and a
        // one-shot run gives up after a few attempts.
        if (err instanceof UsageError || run.signal?.aborted) throw err;
        listFailures++;
        if (!settings.follow && listFailures > LIST_RETRIES) throw err;
        const waitMs = Math.min(LIST_BACKOFF_CAP_MS, LIST_BACKOFF_START_MS * 2 ** (listFailures - 1));
        const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
        log(`flowlens: listing failed (${message}); retrying in ${(waitMs / 1000).toFixed(1)} s`);
        await sleep(waitMs, run.signal);
        if (run.signal?.aborted) break;
        pass--;
        continue;
      }
      progress.phase = 'ingesting';
      report();
      await forEachLimited(work, concurrency, ingestBlob);
      await settleTails();
      for (
        let retry = 1;
        retry <= BLOB_RETRIES && changed.length > 0 && !settings.follow && !run.signal?.aborted;
        retry++
      ) {
        const again = changed;
        changed = [];
        await sleep(Math.min(LIST_BACKOFF_CAP_MS, LIST_BACKOFF_START_MS * 2 ** (retry - 1)), run.signal);
        await forEachLimited(again, concurrency, ingestBlob);
        await settleTails();
      }
      if (!settings.follow && changed.length > 0) {
        summary.errors += changed.length;
        progress.errors += changed.length;
        for (const w of changed)
          log(`flowlens: ${w.blob.name}: ${w.reason} (gave up after ${BLOB_RETRIES} retries; run again)`);
      }
      changed = [];
      if (!settings.follow || run.signal?.aborted) break;
      progress.phase = 'waiting';
      report();
      await sleep(settings.intervalMs, run.signal);
      if (run.signal?.aborted) break;
    }
  } finally {
    // a pass that threw still lets the commits it handed in finish before the caller closes the store
    await settleTails().catch(() => undefined);
    if (ownPool) await decoder.close();
  }
  summary.bytes = run.sources.reduce((s, source, i) => s + source.stats.bytesRead - bytesAtStart[i], 0);
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
