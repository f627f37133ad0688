import type { BlobCheckpoint } from '../store/types.js';
import type { DataBlock } from './blocks.js';

/**
 * The reading side of storage: a place that holds flow-log blobs (a folder or an Azure Blob
 * container) and hands out, per blob, only the bytes that are new since a checkpoint.
 */

export interface BlobInfo {
  /** Container-relative name (`flowLogResourceID=/…/PT1H.json`); folder-relative with `/` for folders. */
  name: string;
  size: number;
  /** Service ETag (Azure) or null (folders). */
  etag: string | null;
  lastModified: Date | null;
}

export interface ListOptions {
  /** Keep blobs whose hour bucket ends after this instant. */
  since?: Date;
  /** Keep blobs whose hour bucket starts before this instant. */
  until?: Date;
}

/** The checkpoint fields a delta advances; `source`, `blob` and `updatedAt` are added by the caller. */
export type CursorAfter = Pick<BlobCheckpoint, 'lastBlockId' | 'blockCount' | 'byteOffset' | 'etag'>;

/** New data blocks of one blob, read in one range, committed as one unit. */
export interface DeltaChunk {
  blob: string;
  /** The blob was recreated: drop its stored rows before adding these (first chunk only). */
  replace: boolean;
  /** Consecutive data blocks; may be empty for a recreated blob that has no data yet. */
  blocks: DataBlock[];
  /** Bytes of `blocks`, from `blocks[0].offset`; each block begins with its separator (`,`) if any. */
  bytes: Buffer;
  /** The checkpoint once this chunk is stored. */
  after: CursorAfter;
  /**
   * `bytes` has an ArrayBuffer of its own that the source never touches again: a consumer may
   * transfer it to a worker thread (detaching it) instead of copying it.
   */
  transferable?: boolean;
}

export interface ReadDeltaOptions {
  /** Upper bound for one ranged read (a single larger block is read whole). */
  maxChunkBytes?: number;
}

export interface SourceStats {
  /** Requests (Azure) or file reads (folders) made, by kind. */
  requests: Record<string, number>;
  /** Payload bytes read from blobs (not listings). */
  bytesRead: number;
}

export interface BlobSource {
  /** Identity recorded in checkpoints: absolute folder path, or container URL without credentials. */
  readonly id: string;
  readonly kind: 'folder' | 'azure';
  readonly stats: SourceStats;
  list(options?: ListOptions): AsyncIterable<BlobInfo>;
  /** Yields the new data of `blob` past `cursor` in blob order; nothing when there is none. */
  readDelta(
    blob: BlobInfo,
    cursor: BlobCheckpoint | null,
    options?: ReadDeltaOptions,
  ): AsyncIterable<DeltaChunk>;
  close(): Promise<void>;
}

/** Default size of one ranged read; a PT1H.json minute block is usually a few kB to a few MB. */
export const DEFAULT_MAX_CHUNK_BYTES = 8 * 1024 * 1024;

/** The blob was changed in a way that invalidates a read in progress; try it again on the next pass. */
export class BlobChangedError extends Error {
  constructor(readonly blob: string) {
    super(`blob ${blob} changed while it was being read`);
    this.name = 'BlobChangedError';
  }
}

export function newStats(): SourceStats {
  return { requests: {}, bytesRead: 0 };
}

export function countRequest(stats: SourceStats, kind: string): void {
  stats.requests[kind] = (stats.requests[kind] ?? 0) + 1;
}

/** The file name Azure gives every flow-log blob (spec §1.10, §2.4). */
export const FLOW_LOG_BLOB_NAME = 'PT1H.json';

/** Prefixes of the two flow-log layouts inside their containers. */
export const FLOW_LOG_PREFIXES = ['flowLogResourceID=/', 'resourceId=/'] as const;

/** Container names Azure uses for VNet and NSG flow logs. */
export const FLOW_LOG_CONTAINERS = [
  'insights-logs-flowlogflowevent',
  'insights-logs-networksecuritygroupflowevent',
] as const;

interface PartitionState {
  year?: number;
  month?: number;
  day?: number;
  hour?: number;
}

const HOUR_MS = 3_600_000;

/**
 * Reads the `y=/m=/d=/h=` partitions of a path (the second `m=` is the minute, always `m=00`).
 * Returns null for a path with no partition segments.
 */
export function partitionsOf(segments: readonly string[]): PartitionState | null {
  const state: PartitionState = {};
  let seen = false;
  for (const segment of segments) {
    const match = /^([ymdh])=(\d{1,4})$/.exec(segment);
    if (!match) continue;
    const value = Number(match[2]);
    const key = match[1];
    if (key === 'y') {
      state.year = value;
      seen = true;
    } else if (key === 'm' && state.year !== undefined && state.day === undefined) state.month = value;
    else if (key === 'd' && state.month !== undefined) state.day = value;
    else if (key === 'h' && state.day !== undefined) state.hour = value;
  }
  return seen ? state : null;
}

/** The time interval `[start, end)` a partially known partition path can hold. */
export function partitionInterval(p: PartitionState): { start: number; end: number } | null {
  if (p.year === undefined) return null;
  if (p.month === undefined) return { start: Date.UTC(p.year, 0, 1), end: Date.UTC(p.year + 1, 0, 1) };
  if (p.day === undefined)
    return { start: Date.UTC(p.year, p.month - 1, 1), end: Date.UTC(p.year, p.month, 1) };
  if (p.hour === undefined) {
    const start = Date.UTC(p.year, p.month - 1, p.day);
    return { start, end: start + 24 * HOUR_MS };
  }
  const start = Date.UTC(p.year, p.month - 1, p.day, p.hour);
  return { start, end: start + HOUR_MS };
}

/**
 * True when a path prefix (split into segments) may hold blobs in `[since, until)`. Used to prune
 * directories and listing prefixes so a large account is not listed whole.
 */
export function mayHoldRange(segments: readonly string[], options: ListOptions): boolean {
  if (!options.since && !options.until) return true;
  const p = partitionsOf(segments);
  if (!p) return true;
  const interval = partitionInterval(p);
  if (!interval) return true;
  if (options.until && interval.start >= options.until.getTime()) return false;
  if (options.since && interval.end <= options.since.getTime()) return false;
  return true;
}

/** True when the segment is a time partition at or below which pruning no longer narrows much. */
export function isHourSegment(segment: string): boolean {
  return /^h=\d{1,2}$/.test(segment);
}
