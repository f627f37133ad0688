import type { FlowBatch } from '../formats/flowbatch.js';

/**
 * The contract between ingestion and the stores. Ingestion never sees SQL dialects; a store
 * never parses flow JSON. (Owner: store/. The ingest stage codes against this file.)
 */

/** How far one blob has been ingested. Written in the same transaction as the rows it covers. */
export interface BlobCheckpoint {
  /** Identity of the source (folder path or container URL without credentials). */
  source: string;
  /** Blob name within the source (container-relative; folder-relative for folders). */
  blob: string;
  /** ID of the last data block ingested (base64), or a synthetic `@<offset>` for folder files. */
  lastBlockId: string | null;
  /** Number of data blocks (head excluded) ingested so far. */
  blockCount: number;
  /** Byte offset just past the last ingested data block. */
  byteOffset: number;
  /** Blob ETag or file identity at the time of the read, to notice recreation. */
  etag: string | null;
  /** ISO time of the commit. */
  updatedAt: string;
}

export interface IngestErrorRecord {
  source: string;
  blob: string;
  block: string | null;
  error: string;
  time: string;
}

/** Rows for one named table, column by column. */
export interface TableRows {
  table: string;
  length: number;
  columns: Record<string, ArrayLike<unknown>>;
}

/** One atomic unit of ingestion: rows, derived rows and the checkpoint that covers them. */
export interface StoreCommit {
  checkpoint: BlobCheckpoint;
  /** Raw tuples (FlowTuples), each row carrying its blob/block lineage. */
  tuples: readonly FlowBatch[];
  /** Derived rows (aggregates, IP details), shaped by analytics/. */
  derived?: readonly TableRows[];
  /**
   * Set when a blob was recreated: rows of this blob already stored are dropped first, so a
   * re-read cannot duplicate them.
   */
  replaceBlob?: boolean;
}

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

export interface Store {
  readonly dialect: 'duckdb' | 'clickhouse';
  init(): Promise<void>;
  commit(unit: StoreCommit): Promise<void>;
  getCheckpoint(source: string, blob: string): Promise<BlobCheckpoint | null>;
  listCheckpoints(source?: string): Promise<BlobCheckpoint[]>;
  recordIngestError(error: IngestErrorRecord): Promise<void>;
  listIngestErrors(source?: string): Promise<IngestErrorRecord[]>;
  clearIngestErrors(source: string, blob: string): Promise<void>;
  /** Read-only SQL in the store's dialect. */
  query(sql: string): Promise<QueryResult>;
  close(): Promise<void>;
}
