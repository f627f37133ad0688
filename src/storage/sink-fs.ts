/**
 * A folder as a blob store: `<root>/<container>/<blob name>`. The file always holds exactly the
 * committed content (head, committed data blocks, tail); a commit writes the new blocks over the
 * old tail and a fresh tail after them, so a reader never sees a half-committed list longer than
 * one write.
 */
import { closeSync, mkdirSync, openSync, readFileSync, writeSync, writevSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { FlowlensError } from '../errors.js';
import { createStagingArea, type BlobSink, type BlobSinkOptions, type SinkCommitSummary } from './sink.js';

export function createFolderSink(root: string, options: BlobSinkOptions): BlobSink {
  const staging = createStagingArea();
  const absRoot = resolve(root);
  const head = options.head;
  const tail = options.tail;
  const madeDirs = new Set<string>();
  /** `container/blobName` keys already checked to stay inside the root (checked once, not per block). */
  const checked = new Set<string>();
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
    const key = `${container}/${blobName}`;
    if (checked.has(key)) {
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
    checked.add(key);
    staging.stage(container, blobName, block);
  }
  return {
    target: absRoot,
    stage: checkedStage,
    dataBlockCount: staging.count,
    pendingBytes: staging.pendingBytes,
    forget(predicate) {
      staging.forget(predicate);
      for (const key of [...checked]) {
        const slash = key.indexOf('/');
        if (!predicate(key.slice(0, slash), key.slice(slash + 1))) continue;
        checked.delete(key);
        closeFile(join(absRoot, key));
      }
    },
    async commit(): Promise<SinkCommitSummary> {
      const summary: SinkCommitSummary = { blobs: 0, blocks: 0, bytes: 0 };
      for (const blob of staging.dirty()) {
        const path = join(absRoot, blob.container, blob.blobName);
        let dataBytes = 0;
        for (const b of blob.pending) dataBytes += b.length;
        const create = blob.committedBytes === 0;
        const fd = fileFor(path, create);
        const position = create ? 0 : blob.committedBytes - tail.length;
        const parts: Uint8Array[] = create ? [head, ...blob.pending, tail] : [...blob.pending, tail];
        try {
          writeAll(fd, parts, position);
        } catch (err) {
          closeFile(path);
          throw err;
        }
        if (openFiles.size > MAX_OPEN_FILES) closeFile(path);
        const committedBytes =
          (blob.committedBytes === 0 ? head.length : blob.committedBytes - tail.length) +
          dataBytes +
          tail.length;
        summary.blobs++;
        summary.blocks += blob.pending.length;
        summary.bytes += dataBytes;
        staging.settle(blob, committedBytes);
      }
      return summary;
    },
    async close(): Promise<void> {
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
/** writev takes at most IOV_MAX (1,024 on Linux) buffers per call. */
const MAX_WRITEV_PARTS = 1024;

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
