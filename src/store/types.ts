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

/**
 * A string column stored as indexes into a dictionary, like FlowBatch's string columns
 * (`NULL_REF` = absent). Lets a store copy the column as memory instead of value by value.
 */
export interface DictColumn {
  kind: 'dict';
  refs: Uint32Array;
  strings: readonly string[];
}

/** A list-of-u16 column (e.g. source ports): row i holds values[offsets[i] .. offsets[i+1]). */
export interface U16ListColumn {
  kind: 'u16list';
  offsets: Uint32Array;
  values: Uint16Array;
}

/**
 * One column's data: a typed array or plain array of values (numbers, strings, null), or one
 * of the encoded forms above.
 */
export type ColumnData = ArrayLike<unknown> | DictColumn | U16ListColumn;

/** Rows for one named table, column by column. */
export interface TableRows {
  table: string;
  length: number;
  columns: Record<string, ColumnData>;
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

/**
 * Changes by the store owner (issue 6), all backwards compatible with the first version:
 * - `TableRows.columns` may also hold `DictColumn` / `U16ListColumn` (what analytics emits).
 * - `StoreCommit.tuples[i].blob` must hold `checkpoint.blob` on every row: lineage is by blob
 *   name, and `replaceBlob` deletes by it.
 * - `Store.info()` tells callers (export, console) the physical tables and the aggregation
 *   interval; `StoreOptions`/`openStore` live in `index.ts`.
 */
export interface StoreInfo {
  dialect: 'duckdb' | 'clickhouse';
  /** Traffic Analytics aggregation interval of the readable views, in minutes (1, 10, 60). */
  intervalMinutes: number;
  /**
   * Minutes per Traffic Analytics partial row the store asks ingestion for (its interval when it
   * was created): the finest interval its views can show. Absent: 1 (per minute).
   */
  partialMinutes?: number;
  /** Where the data is: file path, or server URLs. */
  location: string;
}

/** `flowlens export`: one readable table to a file. */
export interface ExportRequest {
  /** One of PUBLIC_TABLES (FlowTuples, NTANetAnalytics, AzureNetworkAnalytics_CL, NTAIpDetails). */
  table: string;
  format: 'parquet' | 'csv';
  /** Only rows at or after this time (the table's time column). */
  since?: Date;
  out: string;
}

export interface ExportResult {
  rows: number;
  out: string;
}

export interface Store {
  readonly dialect: 'duckdb' | 'clickhouse';
  init(): Promise<void>;
  commit(unit: StoreCommit): Promise<void>;
  /**
   * Several units in one transaction (group commit): each keeps its own checkpoint, so a crash
   * still loses or keeps whole units. Optional; ingestion falls back to `commit`.
   */
  commitMany?(units: readonly StoreCommit[]): Promise<void>;
  getCheckpoint(source: string, blob: string): Promise<BlobCheckpoint | null>;
  listCheckpoints(source?: string): Promise<BlobCheckpoint[]>;
  recordIngestError(error: IngestErrorRecord): Promise<void>;
  listIngestErrors(source?: string): Promise<IngestErrorRecord[]>;
  clearIngestErrors(source: string, blob: string): Promise<void>;
  /** Read-only SQL in the store's dialect. */
  query(sql: string): Promise<QueryResult>;
  info(): StoreInfo;
  /** Replaces the topology snapshot (`ta_topology` rows, shown as NTATopologyDetails). */
  replaceTopology(rows: TableRows): Promise<void>;
  /** Writes a readable table to a Parquet or CSV file. */
  exportTable(request: ExportRequest): Promise<ExportResult>;
  close(): Promise<void>;
}
