/**
 * The scale-out store: one ClickHouse server, or a cluster whose shards each hold local
 * MergeTree tables (partitioned by day) behind `Distributed` tables. SQL stays within what
 * Debian's ClickHouse 18.16 and current releases both accept: no `ON CLUSTER` (it needs
 * ZooKeeper; DDL goes to every URL instead), no table CTEs, no DateTime64, settings passed per
 * query (a `SET` without a session is lost).
 *
 * Exactly-once without transactions (docs/tables.md, "ClickHouse commits"):
 * 1. Every commit gets a random `commit_id`; rows of lineage tables carry it.
 * 2. A commit first records an intent (`commit_intents`: commit_id, source, blob), then inserts
 *    the rows into the local tables of the blob's shard (all rows of one blob live on one shard,
 *    chosen by a hash of the blob name), then the checkpoint (which names the commit_id).
 * 3. Before committing a blob, intents of that blob without a checkpoint are orphans of a
 *    crashed commit: their rows are deleted by `commit_id` (an ALTER … DELETE mutation on that
 *    shard, awaited) and the intent is marked aborted. Ingestion holds the blob's claim while it
 *    commits, so no other writer is mid-commit on that blob.
 * 4. `replaceBlob` deletes the blob's rows the same way before inserting the re-read.
 * Checkpoints are a log (MergeTree, one row per commit) read with argMax(…, version_ms); the
 * log is what tells a finished commit from an orphan, so it must not be deduplicated.
 */
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { FlowlensError, UsageError } from '../../errors.js';
import { NULL_REF, type FlowBatch } from '../../formats/flowbatch.js';
import {
  ALL_TABLES,
  CHECKPOINTS,
  DERIVED_TABLES,
  FLOW_TUPLES,
  INGEST_ERRORS,
  PUBLIC_TABLE_TIME,
  publicTable,
  TA_TOPOLOGY,
  tableDef,
  type ColumnDef,
  type ColumnKind,
  type PublicTable,
  type TableDef,
} from '../schema.js';
import type {
  BlobCheckpoint,
  ColumnData,
  DictColumn,
  IngestErrorRecord,
  QueryResult,
  Store,
  StoreCommit,
  StoreInfo,
  TableRows,
  U16ListColumn,
  ExportRequest,
  ExportResult,
} from '../types.js';
import { clickhouseDialect, viewDefinitions, type ViewDialect } from '../views.js';

export interface ClickHouseStoreOptions {
  /** One URL per shard (or a single server). */
  urls: string[];
  /** Cluster name in the servers' `remote_servers`; required for more than one URL. */
  cluster?: string;
  database: string;
  intervalMinutes: number;
}

const INTENTS = 'commit_intents';
const ABORTED = 'aborted_commits';

export function clickhouseTypeOf(c: ColumnDef): string {
  const base: Record<ColumnKind, string> = {
    u8: 'UInt8',
    code8: 'UInt8',
    u16: 'UInt16',
    u32: 'UInt32',
    i64: 'Int64',
    f64: 'Float64',
    ts_ms: 'Int64',
    str: 'String',
    dict: 'String',
    u16list: 'Array(UInt16)',
    bool: 'UInt8',
  };
  const t = base[c.kind];
  return c.nullable && c.kind !== 'u16list' ? `Nullable(${t})` : t;
}

function columnsDdl(def: TableDef): string {
  const cols = def.columns.map((c) => `${c.name} ${clickhouseTypeOf(c)}`);
  if (def.lineage) cols.push('commit_id String');
  return cols.join(', ');
}

/** DDL for one table: `local` MergeTree (per shard, or the only table on a single server). */
export function clickhouseCreateTable(def: TableDef, db: string, name: string): string {
  const partition = def.partitionByDay ? ` PARTITION BY toYYYYMMDD(toDateTime(intDiv(${def.partitionByDay}, 1000), 'UTC'))` : '';
  // plain MergeTree for checkpoints too: every commit's checkpoint row must survive merges,
  // because orphan detection asks whether a commit_id ever got a checkpoint (a Replacing engine
  // would drop older rows and make finished commits look orphaned)
  return `CREATE TABLE IF NOT EXISTS ${db}.${name} (${columnsDdl(def)}) ENGINE = MergeTree()${partition} ORDER BY (${def.orderBy.join(', ')})`;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function escapeTsv(value: string): string {
  return value.replace(/[\\\t\n\r\0']/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\0' ? '\\0' : `\\${c}`));
}

function quoteSql(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function intText(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Math.round(x));
}

type CellWriter = (row: number) => string;

function isDict(data: ColumnData): data is DictColumn {
  return (data as DictColumn).kind === 'dict' && (data as DictColumn).refs instanceof Uint32Array;
}
function isList(data: ColumnData): data is U16ListColumn {
  return (data as U16ListColumn).kind === 'u16list' && (data as U16ListColumn).offsets instanceof Uint32Array;
}

/**
 * Escaped dictionary strings, by string array and filled as refs are met: a decoder thread's
 * shared table (ingest/shared-strings.ts) is one growing array for every batch, so escaping it
 * whole per batch and column would cost the table's size each time.
 */
const escapedByArray = new WeakMap<readonly string[], (string | undefined)[]>();

function escapedRefWriter(refs: Uint32Array, strings: readonly string[], nullCell: string): CellWriter {
  let escaped = escapedByArray.get(strings);
  if (!escaped) escapedByArray.set(strings, (escaped = []));
  const cache = escaped;
  return (r) => {
    const ref = refs[r];
    if (ref === NULL_REF) return nullCell;
    return (cache[ref] ??= escapeTsv(strings[ref]));
  };
}

/** A TSV cell writer for one column of TableRows or FlowBatch data. */
function cellWriter(col: ColumnDef, data: ColumnData, dictStrings?: readonly string[]): CellWriter {
  const nullCell = col.nullable ? '\\N' : '';
  if (col.kind === 'u16list') {
    if (!isList(data)) throw new Error(`column ${col.name} must be a U16ListColumn`);
    return (r) => `[${Array.from(data.values.subarray(data.offsets[r], data.offsets[r + 1])).join(',')}]`;
  }
  if (col.kind === 'str' || col.kind === 'dict') {
    if (isDict(data)) return escapedRefWriter(data.refs, data.strings, nullCell);
    if (dictStrings && (data as Uint32Array) instanceof Uint32Array) {
      return escapedRefWriter(data as Uint32Array, dictStrings, nullCell);
    }
    const values = data as ArrayLike<unknown>;
    return (r) => (values[r] === null || values[r] === undefined ? nullCell : escapeTsv(String(values[r])));
  }
  const values = data as ArrayLike<unknown>;
  if (col.kind === 'f64') return (r) => (values[r] === null || values[r] === undefined ? nullCell : String(values[r]));
  return (r) => {
    const v = values[r];
    if (v === null || v === undefined || (typeof v === 'number' && v !== v)) return col.nullable ? '\\N' : '0';
    return intText(Number(v));
  };
}

function tsvChunks(length: number, writers: CellWriter[], commitId: string | null): Iterable<string> {
  const suffix = commitId === null ? '\n' : `\t${commitId}\n`;
  return {
    *[Symbol.iterator]() {
      const CHUNK = 8192;
      for (let start = 0; start < length; start += CHUNK) {
        const end = Math.min(length, start + CHUNK);
        const lines: string[] = [];
        for (let r = start; r < end; r++) {
          let line = writers[0](r);
          for (let c = 1; c < writers.length; c++) line += '\t' + writers[c](r);
          lines.push(line + suffix);
        }
        yield lines.join('');
      }
    },
  };
}

export async function openClickHouseStore(options: ClickHouseStoreOptions): Promise<Store> {
  const { urls, database: db, intervalMinutes } = options;
  if (urls.length > 1 && !options.cluster) throw new UsageError('several ClickHouse URLs need --cluster NAME');
  const sharded = urls.length > 1 || options.cluster !== undefined;
  const clients: ClickHouseClient[] = urls.map((url) =>
    createClient({ url, request_timeout: 300_000, compression: { request: false, response: false }, log: { level: ClickHouseLogLevel.ERROR } }),
  );
  const meta = clients[0];
  // user queries resolve unqualified names (NTANetAnalytics, …) in the flowlens database
  const reader = createClient({ url: urls[0], database: db, request_timeout: 300_000, compression: { request: false, response: false }, log: { level: ClickHouseLogLevel.ERROR } });
  const dialect: ViewDialect = { ...clickhouseDialect, table: (n) => `${db}.${n}` };
  const localName = (def: TableDef) => (sharded && !def.metadata ? `${def.name}_local` : def.name);

  async function command(client: ClickHouseClient, sql: string): Promise<void> {
    try {
      await client.command({ query: sql });
    } catch (err) {
      throw new FlowlensError(`ClickHouse: ${(err as Error).message}\n  in: ${sql.slice(0, 300)}`, { cause: err });
    }
  }

  async function select(client: ClickHouseClient, sql: string, settings: Record<string, string> = {}): Promise<QueryResult> {
    let result;
    try {
      result = await client.query({ query: sql, format: 'JSONCompact', clickhouse_settings: settings as never });
    } catch (err) {
      throw new FlowlensError(`ClickHouse: ${(err as Error).message}`, { cause: err });
    }
    const body = (await result.json()) as { meta: Array<{ name: string; type: string }>; data: unknown[][] };
    const numeric = body.meta.map((m) => /^(Nullable\()?U?Int(64|128|256)/.test(m.type));
    return {
      columns: body.meta.map((m) => m.name),
      rows: body.data.map((row) =>
        row.map((v, i) => (numeric[i] && typeof v === 'string' ? (Math.abs(Number(v)) <= Number.MAX_SAFE_INTEGER ? Number(v) : v) : v)),
      ),
    };
  }

  async function insertTsv(client: ClickHouseClient, table: string, chunks: Iterable<string>): Promise<void> {
    try {
      await client.insert({ table, values: Readable.from(chunks, { objectMode: false }), format: 'TabSeparated' });
    } catch (err) {
      throw new FlowlensError(`ClickHouse insert into ${table}: ${(err as Error).message}`, { cause: err });
    }
  }

  const shardOf = (blob: string) => (sharded ? fnv1a(blob) % clients.length : 0);

  async function waitForMutations(client: ClickHouseClient, table: string): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const r = await select(
        client,
        `SELECT count() FROM system.mutations WHERE database = ${quoteSql(db)} AND table = ${quoteSql(table)} AND is_done = 0`,
      );
      if (Number(r.rows[0][0]) === 0) return;
      if (Date.now() > deadline) throw new FlowlensError(`ClickHouse: mutation on ${db}.${table} did not finish within 120 s`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  async function deleteRows(shard: number, where: string): Promise<void> {
    const client = clients[shard];
    for (const def of ALL_TABLES.filter((t) => t.lineage)) {
      await command(client, `ALTER TABLE ${db}.${localName(def)} DELETE WHERE ${where}`);
    }
    for (const def of ALL_TABLES.filter((t) => t.lineage)) await waitForMutations(client, localName(def));
  }

  async function cleanupOrphans(source: string, blob: string): Promise<void> {
    const r = await select(
      meta,
      `SELECT commit_id FROM ${db}.${INTENTS} WHERE source = ${quoteSql(source)} AND blob = ${quoteSql(blob)}
         AND commit_id NOT IN (SELECT commit_id FROM ${db}.${CHECKPOINTS.name} WHERE source = ${quoteSql(source)} AND blob = ${quoteSql(blob)})
         AND commit_id NOT IN (SELECT commit_id FROM ${db}.${ABORTED})`,
    );
    const orphans = r.rows.map((x) => String(x[0]));
    if (orphans.length === 0) return;
    await deleteRows(shardOf(blob), `commit_id IN (${orphans.map(quoteSql).join(', ')})`);
    await insertTsv(meta, `${db}.${ABORTED}`, [orphans.map((id) => `${id}\n`).join('')]);
  }

  function rowsWriters(def: TableDef, rows: TableRows): CellWriter[] {
    return def.columns.map((col) => {
      const data = rows.columns[col.name];
      if (data === undefined) throw new Error(`rows for ${def.name} lack column ${col.name}`);
      return cellWriter(col, data);
    });
  }

  function batchWriters(batch: FlowBatch): CellWriter[] {
    return FLOW_TUPLES.columns.map((col) => {
      const data = (batch as unknown as Record<string, ArrayLike<number>>)[col.name];
      return cellWriter(col, data as ColumnData, col.kind === 'dict' ? batch.strings : undefined);
    });
  }

  function toCheckpoint(r: unknown[]): BlobCheckpoint {
    return {
      source: String(r[0]),
      blob: String(r[1]),
      lastBlockId: (r[2] as string | null) ?? null,
      blockCount: Number(r[3]),
      byteOffset: Number(r[4]),
      etag: (r[5] as string | null) ?? null,
      updatedAt: String(r[6]),
    };
  }

  const CHECKPOINT_SELECT = `SELECT source, blob, argMax(last_block_id, version_ms), argMax(block_count, version_ms),
      argMax(byte_offset, version_ms), argMax(etag, version_ms), argMax(updated_at, version_ms) FROM ${db}.${CHECKPOINTS.name}`;

  let lastVersion = 0;
  const nextVersion = () => (lastVersion = Math.max(Date.now(), lastVersion + 1));

  const store: Store = {
    dialect: 'clickhouse',
    async init() {
      for (const client of clients) {
        await command(client, `CREATE DATABASE IF NOT EXISTS ${db}`);
        for (const def of ALL_TABLES) {
          if (def.metadata && client !== meta) continue;
          await command(client, clickhouseCreateTable(def, db, localName(def)));
          if (sharded && !def.metadata) {
            await command(
              client,
              `CREATE TABLE IF NOT EXISTS ${db}.${def.name} AS ${db}.${localName(def)} ENGINE = Distributed(${options.cluster}, ${db}, ${localName(def)}, rand())`,
            );
          }
        }
        if (client === meta) {
          await command(client, `CREATE TABLE IF NOT EXISTS ${db}.${INTENTS} (commit_id String, source String, blob String, created_ms Int64) ENGINE = MergeTree() ORDER BY (source, blob)`);
          await command(client, `CREATE TABLE IF NOT EXISTS ${db}.${ABORTED} (commit_id String) ENGINE = MergeTree() ORDER BY commit_id`);
        }
        for (const [name, sql] of viewDefinitions(dialect, intervalMinutes)) {
          // the topology snapshot is metadata: it lives (and is viewed) on the first server only
          if (name === 'NTATopologyDetails' && client !== meta) continue;
          await command(client, `DROP TABLE IF EXISTS ${db}.${name}`);
          try {
            await command(client, `CREATE VIEW ${db}.${name} AS ${sql}`);
          } catch (err) {
            // Several ingest workers starting together each re-create the views; when another
            // one got there between our DROP and CREATE, its view is the same definition.
            if (!/already exists/i.test(String((err as Error).message))) throw err;
          }
        }
      }
    },
    async commit(unit: StoreCommit) {
      const { source, blob } = unit.checkpoint;
      const shard = shardOf(blob);
      const client = clients[shard];
      await cleanupOrphans(source, blob);
      if (unit.replaceBlob) await deleteRows(shard, `blob = ${quoteSql(blob)}`);
      const commitId = randomUUID();
      await insertTsv(meta, `${db}.${INTENTS}`, [`${commitId}\t${escapeTsv(source)}\t${escapeTsv(blob)}\t${Date.now()}\n`]);
      const batches = unit.tuples.filter((b) => b.length > 0);
      if (batches.length > 0) {
        const all: Iterable<string> = {
          *[Symbol.iterator]() {
            for (const b of batches) yield* tsvChunks(b.length, batchWriters(b), commitId);
          },
        };
        await insertTsv(client, `${db}.${localName(FLOW_TUPLES)}`, all);
      }
      for (const rows of unit.derived ?? []) {
        if (rows.length === 0) continue;
        const def = tableDef(rows.table);
        if (!DERIVED_TABLES.includes(def)) throw new Error(`table ${rows.table} does not take derived rows`);
        await insertTsv(client, `${db}.${localName(def)}`, tsvChunks(rows.length, rowsWriters(def, rows), commitId));
      }
      const cp = unit.checkpoint;
      const cells = [
        cp.source,
        cp.blob,
        cp.lastBlockId,
        String(cp.blockCount),
        String(cp.byteOffset),
        cp.etag,
        cp.updatedAt,
        commitId,
        String(nextVersion()),
      ].map((v) => (v === null ? '\\N' : escapeTsv(v)));
      await insertTsv(meta, `${db}.${CHECKPOINTS.name}`, [`${cells.join('\t')}\n`]);
    },
    async getCheckpoint(source, blob) {
      const r = await select(meta, `${CHECKPOINT_SELECT} WHERE source = ${quoteSql(source)} AND blob = ${quoteSql(blob)} GROUP BY source, blob`);
      return r.rows.length ? toCheckpoint(r.rows[0]) : null;
    },
    async listCheckpoints(source) {
      const where = source === undefined ? '' : ` WHERE source = ${quoteSql(source)}`;
      const r = await select(meta, `${CHECKPOINT_SELECT}${where} GROUP BY source, blob ORDER BY source, blob`);
      return r.rows.map(toCheckpoint);
    },
    async recordIngestError(e: IngestErrorRecord) {
      const cells = [e.source, e.blob, e.block, e.error, e.time, '0', String(nextVersion())].map((v) => (v === null ? '\\N' : escapeTsv(v)));
      await insertTsv(meta, `${db}.${INGEST_ERRORS.name}`, [`${cells.join('\t')}\n`]);
    },
    async listIngestErrors(source) {
      const where = source === undefined ? '' : ` WHERE source = ${quoteSql(source)}`;
      const r = await select(meta, `SELECT source, blob, block, error, time FROM ${db}.${INGEST_ERRORS.name}${where} ORDER BY time, source, blob`);
      return r.rows.map((x) => ({
        source: String(x[0]),
        blob: String(x[1]),
        block: (x[2] as string | null) ?? null,
        error: String(x[3]),
        time: String(x[4]),
      }));
    },
    async clearIngestErrors(source, blob) {
      await command(meta, `ALTER TABLE ${db}.${INGEST_ERRORS.name} DELETE WHERE source = ${quoteSql(source)} AND blob = ${quoteSql(blob)}`);
      await waitForMutations(meta, INGEST_ERRORS.name);
    },
    async query(sql) {
      if (!/^\s*(\(\s*)*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXPLAIN|EXISTS)\b/i.test(sql) || /;\s*\S/.test(sql)) {
        throw new UsageError('only read-only statements (SELECT, SHOW, DESCRIBE) are accepted');
      }
      return select(reader, sql, { readonly: '2' });
    },
    info(): StoreInfo {
      return { dialect: 'clickhouse', intervalMinutes, location: urls.join(',') };
    },
    async replaceTopology(topology: TableRows) {
      // a snapshot on the metadata server: drop the old one (awaited mutation), insert the new
      await command(meta, `ALTER TABLE ${db}.${TA_TOPOLOGY.name} DELETE WHERE 1 = 1`);
      await waitForMutations(meta, TA_TOPOLOGY.name);
      if (topology.length > 0) await insertTsv(meta, `${db}.${TA_TOPOLOGY.name}`, tsvChunks(topology.length, rowsWriters(TA_TOPOLOGY, topology), null));
    },
    async exportTable(req: ExportRequest): Promise<ExportResult> {
      let table: PublicTable;
      try {
        table = publicTable(req.table);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const version = String((await select(meta, 'SELECT version()')).rows[0][0]);
      const major = Number(version.split('.')[0]);
      if (req.format === 'parquet' && major < 19) {
        throw new UsageError(`ClickHouse ${version} cannot write Parquet (added in 19.x); use --format csv`);
      }
      const where = req.since ? ` WHERE ${PUBLIC_TABLE_TIME[table]} >= toDateTime(${Math.floor(req.since.getTime() / 1000)}, 'UTC')` : '';
      const format = req.format === 'parquet' ? 'Parquet' : 'CSVWithNames';
      const result = await reader.exec({ query: `SELECT * FROM ${db}.${table}${where} FORMAT ${format}`, clickhouse_settings: { readonly: '2' } as never });
      const { createWriteStream } = await import('node:fs');
      const { pipeline } = await import('node:stream/promises');
      await pipeline(result.stream, createWriteStream(req.out));
      const count = await select(reader, `SELECT count() FROM ${db}.${table}${where}`);
      return { rows: Number(count.rows[0][0]), out: req.out };
    },
    async close() {
      await Promise.all([...clients, reader].map((c) => c.close()));
    },
  };
  return store;
}

export { CHECKPOINTS };
