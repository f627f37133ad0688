/**
 * A folder as a blob store: `<root>/<container>/<blob name>`. The file always holds exactly the
 * committed content (head, committed data blocks, tail); a commit writes the new blocks over the
 * old tail and a fresh tail after them, so a reader never sees a half-committed list longer than
 * one write.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { FlowlensError } from '../errors.js';
import { createStagingArea, type BlobSink, type BlobSinkOptions, type SinkCommitSummary } from './sink.js';

export function createFolderSink(root: string, options: BlobSinkOptions): BlobSink {
  const staging = createStagingArea();
  const absRoot = resolve(root);
  const head = options.head;
  const tail = options.tail;
  const madeDirs = new Set<string>();
  /** Blob names come from scenarios and remote listings: none may address a file outside the root. */
  function checkedStage(container: string, blobName: string, block: Uint8Array): void {
    const segments = [container, ...blobName.split(/[\\/]/)];
    const path = resolve(absRoot, container, blobName);
    if (
      container.length === 0 ||
      /[\\/]/.test(container) ||
      segments.some((s) => s === '..' || s === '.') ||
      !path.startsWith(absRoot + sep)
    ) {
      throw new FlowlensError(`folder sink ${absRoot}: refusing blob "${container}/${blobName}": it would be written outside the folder`);
    }
    staging.stage(container, blobName, block);
  }
  return {
    target: absRoot,
    stage: checkedStage,
    dataBlockCount: staging.count,
    pendingBytes: staging.pendingBytes,
    forget: staging.forget,
    async commit(): Promise<SinkCommitSummary> {
      const summary: SinkCommitSummary = { blobs: 0, blocks: 0, bytes: 0 };
      for (const blob of staging.dirty()) {
        const path = join(absRoot, blob.container, blob.blobName);
        let dataBytes = 0;
        for (const b of blob.pending) dataBytes += b.length;
        let fd: number;
        let position: number;
        const parts: Uint8Array[] = [];
        if (blob.committedBytes === 0) {
          const dir = dirname(path);
          if (!madeDirs.has(dir)) {
            mkdirSync(dir, { recursive: true });
            madeDirs.add(dir);
          }
          fd = openSync(path, 'w');
          position = 0;
          parts.push(head);
        } else {
          fd = openSync(path, 'r+');
          position = blob.committedBytes - tail.length;
        }
        try {
          parts.push(...blob.pending, tail);
          writeAll(fd, parts, position);
        } finally {
          closeSync(fd);
        }
        const committedBytes = (blob.committedBytes === 0 ? head.length : blob.committedBytes - tail.length) + dataBytes + tail.length;
        summary.blobs++;
        summary.blocks += blob.pending.length;
        summary.bytes += dataBytes;
        staging.settle(blob, committedBytes);
      }
      return summary;
    },
    async close(): Promise<void> {
      madeDirs.clear();
    },
  };
}

function writeAll(fd: number, parts: Uint8Array[], position: number): void {
  // writev caps the buffer count and may write partially; one contiguous buffer keeps this simple.
  const data = parts.length === 1 ? parts[0] : Buffer.concat(parts);
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off, position + off);
}
