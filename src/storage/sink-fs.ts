/**
 * A folder as a blob store: `<root>/<container>/<blob name>`. The file always holds exactly the
 * committed content (head, committed data blocks, tail); a commit writes the new blocks over the
 * old tail and a fresh tail after them, so a reader never sees a half-committed list longer than
 * one write.
 */
import {
  closeSync,
  mkdir,
  mkdirSync,
  open,
  openSync,
  readFileSync,
  write,
  writeSync,
  writev,
  writevSync,
} from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { FlowlensError } from '../errors.js';
import { createStagingArea, type BlobSink, type BlobSinkOptions, type SinkCommitSummary } from './sink.js';

export function createFolderSink(root: string, options: BlobSinkOptions): BlobSink {
  const staging = createStagingArea();
  const absRoot = resolve(root);
  const head = options.head;
  const tail = options.tail;
  const madeDirs = new Set<string>();
  /**
   * Blob names already checked to stay inside the root, by container, with their file paths
   * (checked and joined once per blob, not per block or commit).
   */
  const checked = new Map<string, Map<string, string>>();
  /**
   * Open files of blobs being written, kept across commits (a blob grows every minute for an
   * hour). Capped so 10,000 NICs stay within file limits. Commits visit the blobs in the same
   * order each time, where least-recently-used eviction would close every file before its next
   * use; instead the files opened first keep their places and, once the cap is reached, a file
   * opened for a commit is closed right after its write.
   */
  const openFiles = new Map<string, number>();
  function closeFile(path: string): void {
    const fd = openFiles.get(path);
    if (fd === undefined) return;
    openFiles.delete(path);
    closeSync(fd);
  }
  function fileFor(path: string, create: boolean): number {
    const cached = openFiles.get(path);
    if (cached !== undefined && !create) return cached;
    closeFile(path);
    if (create) ensureDir(dirname(path));
    const fd = openSync(path, create ? 'w' : 'r+');
    openFiles.set(path, fd);
    return fd;
  }
  /** One mkdir per new folder: its parents are known to exist once made or seen. */
  function ensureDir(dir: string): void {
    if (madeDirs.has(dir)) return;
    const parent = dirname(dir);
    if (parent !== dir) ensureDir(parent);
    try {
      mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    madeDirs.add(dir);
  }
  /** Blob names come from scenarios and remote listings: none may address a file outside the root. */
  function checkedStage(container: string, blobName: string, block: Uint8Array): void {
    if (checked.get(container)?.has(blobName)) {
      staging.stage(container, blobName, block);
      return;
    }
    const segments = [container, ...blobName.split(/[\\/]/)];
    const path = resolve(absRoot, container, blobName);
    if (
      container.length === 0 ||
      /[\\/]/.test(container) ||
      segments.some((s) => s === '..' || s === '.') ||
      !path.startsWith(absRoot + sep)
    ) {
      throw new FlowlensError(
        `folder sink ${absRoot}: refusing blob "${container}/${blobName}": it would be written outside the folder`,
      );
    }
    let names = checked.get(container);
    if (!names) checked.set(container, (names = new Map()));
    names.set(blobName, join(absRoot, container, blobName));
    staging.stage(container, blobName, block);
  }
  /** The commit being written (resolved when none). */
  let inFlight: Promise<void> = Promise.resolve();
  /** Background commits called and not yet written. */
  let running = 0;

  /** Every staged block, taken for writing: one job per blob (its new blocks and a fresh tail). */
  function takeStaged(summary: SinkCommitSummary): WriteJob[] {
    const jobs: WriteJob[] = [];
    for (const blob of staging.dirty()) {
      const path = checked.get(blob.container)!.get(blob.blobName)!;
      let dataBytes = 0;
      for (const b of blob.pending) dataBytes += b.length;
      const create = blob.committedBytes === 0;
      const position = create ? 0 : blob.committedBytes - tail.length;
      const parts: Uint8Array[] = create ? [head, ...blob.pending, tail] : [...blob.pending, tail];
      const committedBytes =
        (create ? head.length : blob.committedBytes - tail.length) + dataBytes + tail.length;
      summary.blobs++;
      summary.blocks += blob.pending.length;
      summary.bytes += dataBytes;
      staging.settle(blob, committedBytes);
      jobs.push({ path, create, position, parts });
    }
    return jobs;
  }

  /** Writes on the calling thread, blob after blob (the commit is complete when it returns). */
  function commitNow(): SinkCommitSummary {
    const summary: SinkCommitSummary = { blobs: 0, blocks: 0, bytes: 0 };
    for (const job of takeStaged(summary)) {
      const fd = fileFor(job.path, job.create);
      try {
        writeAll(fd, job.parts, job.position);
      } catch (err) {
        closeFile(job.path);
        throw err;
      }
      if (openFiles.size > MAX_OPEN_FILES) closeFile(job.path);
    }
    return summary;
  }

  /**
   * Takes every staged block now (blocks staged while the writes run belong to the next commit)
   * and writes them on libuv's thread pool: all blobs at once, each blob as one `writev` of its
   * new blocks and a fresh tail (plus `mkdir` and `open` the first time). The calling thread only
   * queues the requests, so an emulator keeps computing while the files are written.
   */
  function commitStaged(): Promise<SinkCommitSummary> {
    const summary: SinkCommitSummary = { blobs: 0, blocks: 0, bytes: 0 };
    const jobs = takeStaged(summary);
    if (jobs.length === 0) return Promise.resolve(summary);
    return new Promise((resolveCommit, rejectCommit) => {
      let left = jobs.length;
      let failed: unknown = null;
      const done = (err: unknown) => {
        if (err && failed === null) failed = err;
        if (--left > 0) return;
        if (failed !== null) rejectCommit(failed);
        else resolveCommit(summary);
      };
      for (const job of jobs) writeJob(job, done);
    });
  }

  /** Jobs waiting to open their file, and opens under way (bounded: see MAX_OPEN_FILES). */
  let waitingForOpen: [WriteJob, (err: unknown) => void][] = [];
  let nextToOpen = 0;
  let opening = 0;

  function writeJob(job: WriteJob, done: (err: unknown) => void): void {
    const cached = openFiles.get(job.path);
    if (cached !== undefined && !job.create) return writeTo(cached, job, done);
    closeFile(job.path);
    if (nextToOpen === waitingForOpen.length) {
      waitingForOpen = [];
      nextToOpen = 0;
    }
    waitingForOpen.push([job, done]);
    pumpOpens();
  }

  function pumpOpens(): void {
    // In staging order: the files opened first are the ones that stay open (see openFiles).
    while (
      nextToOpen < waitingForOpen.length &&
      openFiles.size + opening < MAX_OPEN_FILES + OPENS_BEYOND_CAP
    ) {
      const [job, done] = waitingForOpen[nextToOpen++];
      opening++;
      const opened = (err: unknown, fd?: number) => {
        opening--;
        if (err) done(err);
        else {
          openFiles.set(job.path, fd!);
          writeTo(fd!, job, done);
        }
        pumpOpens();
      };
      const openIt = () => open(job.path, job.create ? 'w' : 'r+', opened);
      const dir = dirname(job.path);
      if (!job.create || madeDirs.has(dir)) openIt();
      else
        mkdir(dir, { recursive: true }, (err) => {
          if (err) return opened(err);
          madeDirs.add(dir);
          openIt();
        });
    }
  }

  function writeTo(fd: number, job: WriteJob, done: (err: unknown) => void): void {
    writeAllAsync(fd, job.parts, job.position, (err) => {
      if (err) closeFile(job.path);
      else if (openFiles.size > MAX_OPEN_FILES) closeFile(job.path);
      done(err);
    });
  }

  return {
    target: absRoot,
    stage: checkedStage,
    dataBlockCount: staging.count,
    pendingBytes: staging.pendingBytes,
    forget(predicate) {
      staging.forget(predicate);
      for (const [container, names] of checked) {
        for (const [name, path] of [...names]) {
          if (!predicate(container, name)) continue;
          names.delete(name);
          closeFile(path);
        }
      }
    },
    async commit(): Promise<SinkCommitSummary> {
      // One commit at a time: a blob's next blocks go after the tail the previous one writes.
      if (running > 0) await inFlight;
      return commitNow();
    },
    commitInBackground(): Promise<SinkCommitSummary> {
      // When none is running, the staged blocks are taken right now, before the caller goes on;
      // otherwise when the running one has written its blocks.
      running++;
      const take = () =>
        commitStaged().finally(() => {
          running--;
        });
      const run = running > 1 ? inFlight.then(take) : take();
      inFlight = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    },
    async close(): Promise<void> {
      await inFlight;
      for (const path of [...openFiles.keys()]) closeFile(path);
      madeDirs.clear();
      checked.clear();
    },
  };
}

/**
 * Open files kept by one folder sink. Every batched commit touches each blob of the hour once, in
 * the same order, so a cap below the number of blobs evicts every file before its next use (1,000
 * NICs with a cap of 512: each commit reopened all 1,000 files). The cap is a quarter of the
 * process's descriptor limit (Node raises the soft limit to the hard one; read from
 * /proc/self/limits on Linux), at least 512 and at most 16,384.
 */
const MAX_OPEN_FILES = openFileCap();

function openFileCap(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) {
      const soft = m[1] === 'unlimited' ? Infinity : Number(m[1]);
      return Math.max(512, Math.min(16_384, Math.floor(soft / 4)));
    }
  } catch {
    // Not Linux: keep the conservative cap.
  }
  return 512;
}
interface WriteJob {
  path: string;
  create: boolean;
  position: number;
  parts: Uint8Array[];
}

function writeAll(fd: number, parts: Uint8Array[], position: number): void {
  let total = 0;
  for (const p of parts) total += p.length;
  if (parts.length <= MAX_WRITEV_PARTS) {
    const written = writevSync(fd, parts, position);
    if (written === total) return;
    // A partial write is rare on files; finish the rest from one contiguous copy.
    const data = Buffer.concat(parts);
    let off = written;
    while (off < total) off += writeSync(fd, data, off, total - off, position + off);
    return;
  }
  const data = Buffer.concat(parts);
  let off = 0;
  while (off < total) off += writeSync(fd, data, off, total - off, position + off);
}

/** Files opened for a commit beyond the cap at once (each is closed after its write). */
const OPENS_BEYOND_CAP = 64;

/** writev takes at most IOV_MAX (1,024 on Linux) buffers per call. */
const MAX_WRITEV_PARTS = 1024;

function writeAllAsync(
  fd: number,
  parts: Uint8Array[],
  position: number,
  cb: (err: Error | null) => void,
): void {
  let total = 0;
  for (const p of parts) total += p.length;
  // A partial write is rare on files; the rest is written from one contiguous copy.
  const rest = (data: Buffer, off: number) => {
    if (off >= total) return cb(null);
    write(fd, data, off, total - off, position + off, (err, n) => (err ? cb(err) : rest(data, off + n)));
  };
  if (parts.length > MAX_WRITEV_PARTS) return rest(Buffer.concat(parts), 0);
  writev(fd, parts, position, (err, written) => {
    if (err) return cb(err);
    if (written === total) return cb(null);
    rest(Buffer.concat(parts), written);
  });
}
