/**
 * The DuckDB bulk path: columns go into DuckDB data chunks as raw memory copies (2048 rows at a
 * time) and the chunks into an appender. No per-row objects and no per-value calls except for
 * the few string dictionary entries a batch introduces.
 *
 * Layout: `dict` columns hold UINTEGER ids into the store-wide `flow_strings` dictionary;
 * `ts_ms`/`i64` are BIGINT (written as two 32-bit words per value, so no BigInt per row);
 * codes are UTINYINT; `u16list` is USMALLINT[].
 */
import duckdb from '@duckdb/node-bindings';
import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  DuckDBDataChunk,
  LIST,
  UINTEGER,
  USMALLINT,
  UTINYINT,
  VARCHAR,
  type DuckDBAppender,
  type DuckDBType,
} from '@duckdb/node-api';
import { NULL_REF, type FlowBatch } from '../../formats/flowbatch.js';
import type { ColumnDef, ColumnKind, TableDef } from '../schema.js';
import type { ColumnData, DictColumn, TableRows, U16ListColumn } from '../types.js';

export const CHUNK_ROWS = 2048;

export function duckTypeOf(kind: ColumnKind): DuckDBType {
  switch (kind) {
    case 'u8':
    case 'code8':
      return UTINYINT;
    case 'u16':
      return USMALLINT;
    case 'u32':
    case 'dict':
      return UINTEGER;
    case 'i64':
    case 'ts_ms':
      return BIGINT;
    case 'f64':
      return DOUBLE;
    case 'str':
      return VARCHAR;
    case 'u16list':
      return LIST(USMALLINT);
    case 'bool':
      return BOOLEAN;
  }
}

export function duckSqlTypeOf(kind: ColumnKind): string {
  return duckTypeOf(kind).toString();
}

/**
 * The store-wide string dictionary. Ids are assigned in this process (one DuckDB file has one
 * writer); entries added by a commit are `pending` until it commits, and are forgotten if it
 * rolls back.
 */
export interface StringDictionary {
  ids: Map<string, number>;
  next: number;
  pending: string[];
  /** Bumped by a rollback: remaps cached before it may hold ids that no longer exist. */
  epoch: number;
}

export function createStringDictionary(entries: Iterable<[string, number]> = []): StringDictionary {
  const ids = new Map<string, number>();
  let next = 0;
  for (const [value, id] of entries) {
    ids.set(value, id);
    if (id >= next) next = id + 1;
  }
  return { ids, next, pending: [], epoch: 0 };
}

export function globalIdOf(dict: StringDictionary, value: string): number {
  let id = dict.ids.get(value);
  if (id === undefined) {
    id = dict.next++;
    dict.ids.set(value, id);
    dict.pending.push(value);
  }
  return id;
}

export function rollbackDictionary(dict: StringDictionary): void {
  for (const value of dict.pending) dict.ids.delete(value);
  dict.next -= dict.pending.length;
  dict.pending = [];
  dict.epoch++;
}

interface CachedRemap {
  dict: StringDictionary;
  epoch: number;
  ids: Uint32Array;
  /** Entries of the string array mapped so far. */
  mapped: number;
}

/**
 * Remaps by string array: a decoder thread's shared table (ingest/shared-strings.ts) is one array
 * that only grows, so each of its strings is looked up in the store dictionary once, not once per
 * batch. Arrays are never changed below the length already mapped.
 */
const remapCache = new WeakMap<readonly string[], CachedRemap>();

/** Index into `strings` → store-wide id (valid for indexes below `strings.length` at call time). */
export function remapTable(dict: StringDictionary, strings: readonly string[]): Uint32Array {
  let cached = remapCache.get(strings);
  if (!cached || cached.dict !== dict || cached.epoch !== dict.epoch) {
    cached = { dict, epoch: dict.epoch, ids: new Uint32Array(strings.length), mapped: 0 };
    remapCache.set(strings, cached);
  }
  if (cached.mapped < strings.length) {
    if (cached.ids.length < strings.length) {
      const grown = new Uint32Array(Math.max(strings.length, cached.ids.length * 2));
      grown.set(cached.ids.subarray(0, cached.mapped));
      cached.ids = grown;
    }
    const ids = cached.ids;
    for (let i = cached.mapped; i < strings.length; i++) ids[i] = globalIdOf(dict, strings[i]);
    cached.mapped = strings.length;
  }
  return cached.ids;
}

/** Scratch buffers reused across chunks (and across calls: appending is synchronous, so one set serves the thread). */
interface Scratch {
  u32: Uint32Array;
  words: Uint32Array;
  u8: Uint8Array;
  u16: Uint16Array;
  validity: Uint8Array;
  f64: Float64Array;
}

function newScratch(): Scratch {
  return {
    u32: new Uint32Array(CHUNK_ROWS),
    words: new Uint32Array(CHUNK_ROWS * 2),
    u8: new Uint8Array(CHUNK_ROWS),
    u16: new Uint16Array(CHUNK_ROWS),
    validity: new Uint8Array(CHUNK_ROWS / 8),
    f64: new Float64Array(CHUNK_ROWS),
  };
}

let sharedScratch: Scratch | undefined;
function scratch(): Scratch {
  return (sharedScratch ??= newScratch());
}

type Vector = ReturnType<typeof duckdb.data_chunk_get_vector>;

function copyTyped(vector: Vector, src: ArrayBufferView, start: number, n: number, bytes: number): void {
  duckdb.copy_data_to_vector(vector, 0, src.buffer as ArrayBuffer, src.byteOffset + start * bytes, n * bytes);
}

function writeValidity(vector: Vector, validity: Uint8Array): void {
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(
    vector,
    0,
    validity.buffer as ArrayBuffer,
    validity.byteOffset,
    validity.byteLength,
  );
}

/** Writes Float64 counters (NaN = NULL) as BIGINT. */
function writeI64FromF64(
  vector: Vector,
  src: ArrayLike<number>,
  start: number,
  n: number,
  s: Scratch,
  nullable: boolean,
): void {
  const words = s.words;
  const validity = s.validity;
  let anyNull = false;
  validity.fill(0xff);
  for (let i = 0; i < n; i++) {
    const x = src[start + i];
    if (x !== x) {
      anyNull = true;
      validity[i >> 3] &= ~(1 << (i & 7));
      words[2 * i] = 0;
      words[2 * i + 1] = 0;
    } else if (x >= 0 && x < 4294967296) {
      // counters: almost always one word, without float modulo and division
      words[2 * i] = x;
      words[2 * i + 1] = 0;
    } else if (x >= 0) {
      words[2 * i] = x % 4294967296;
      words[2 * i + 1] = Math.floor(x / 4294967296);
    } else {
      const lo = -x % 4294967296;
      const hi = Math.floor(-x / 4294967296);
      // two's complement of a negative 64-bit value from its magnitude
      const nlo = (~lo + 1) >>> 0;
      words[2 * i] = nlo;
      words[2 * i + 1] = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    }
  }
  duckdb.copy_data_to_vector(vector, 0, words.buffer as ArrayBuffer, 0, n * 8);
  if (nullable || anyNull) writeValidity(vector, validity);
}

function writeRefs(
  vector: Vector,
  refs: Uint32Array,
  remap: Uint32Array,
  start: number,
  n: number,
  s: Scratch,
): void {
  const out = s.u32;
  const validity = s.validity;
  validity.fill(0xff);
  for (let i = 0; i < n; i++) {
    const ref = refs[start + i];
    if (ref === NULL_REF) {
      out[i] = 0;
      validity[i >> 3] &= ~(1 << (i & 7));
    } else {
      out[i] = remap[ref];
    }
  }
  duckdb.copy_data_to_vector(vector, 0, out.buffer as ArrayBuffer, 0, n * 4);
  writeValidity(vector, validity);
}

function writeStrings(
  vector: Vector,
  values: ArrayLike<unknown>,
  start: number,
  n: number,
  s: Scratch,
): void {
  const validity = s.validity;
  validity.fill(0xff);
  let anyNull = false;
  for (let i = 0; i < n; i++) {
    const v = values[start + i];
    if (v === null || v === undefined) {
      anyNull = true;
      validity[i >> 3] &= ~(1 << (i & 7));
    } else {
      duckdb.vector_assign_string_element(vector, i, String(v));
    }
  }
  if (anyNull) writeValidity(vector, validity);
}

function writeU16List(vector: Vector, list: U16ListColumn, start: number, n: number): void {
  const base = list.offsets[start];
  const total = list.offsets[start + n] - base;
  const words = new Uint32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const off = list.offsets[start + i] - base;
    const len = list.offsets[start + i + 1] - list.offsets[start + i];
    words[4 * i] = off;
    words[4 * i + 2] = len;
  }
  duckdb.copy_data_to_vector(vector, 0, words.buffer as ArrayBuffer, 0, n * 16);
  duckdb.list_vector_reserve(vector, Math.max(total, 1));
  if (total > 0) {
    // the child vector may move when reserving, so fetch it afterwards
    const child = duckdb.list_vector_get_child(vector);
    duckdb.copy_data_to_vector(
      child,
      0,
      list.values.buffer as ArrayBuffer,
      list.values.byteOffset + base * 2,
      total * 2,
    );
  }
  duckdb.list_vector_set_size(vector, total);
}

function writeNumbers(
  vector: Vector,
  kind: ColumnKind,
  values: ArrayLike<unknown>,
  start: number,
  n: number,
  s: Scratch,
  nullable: boolean,
): void {
  const asNumber = (v: unknown): number => (v === null || v === undefined ? NaN : Number(v));
  switch (kind) {
    case 'i64':
    case 'ts_ms': {
      if (values instanceof Float64Array) {
        writeI64FromF64(vector, values, start, n, s, nullable);
      } else {
        const tmp = s.f64;
        for (let i = 0; i < n; i++) tmp[i] = asNumber(values[start + i]);
        writeI64FromF64(vector, tmp, 0, n, s, nullable);
      }
      return;
    }
    case 'f64': {
      const tmp = s.f64;
      for (let i = 0; i < n; i++) tmp[i] = asNumber(values[start + i]);
      copyTyped(vector, tmp, 0, n, 8);
      return;
    }
    case 'u8':
    case 'code8':
    case 'bool': {
      if (values instanceof Uint8Array) {
        copyTyped(vector, values, start, n, 1);
      } else {
        const tmp = s.u8;
        for (let i = 0; i < n; i++) tmp[i] = Number(values[start + i] ?? 0);
        copyTyped(vector, tmp, 0, n, 1);
      }
      return;
    }
    case 'u16': {
      if (values instanceof Uint16Array) {
        copyTyped(vector, values, start, n, 2);
      } else {
        const tmp = s.u16;
        for (let i = 0; i < n; i++) tmp[i] = Number(values[start + i] ?? 0);
        copyTyped(vector, tmp, 0, n, 2);
      }
      return;
    }
    case 'u32': {
      if (values instanceof Uint32Array) {
        copyTyped(vector, values, start, n, 4);
      } else {
        const tmp = s.u32;
        for (let i = 0; i < n; i++) tmp[i] = Number(values[start + i] ?? 0);
        copyTyped(vector, tmp, 0, n, 4);
      }
      return;
    }
    default:
      throw new Error(`not a numeric column kind: ${kind}`);
  }
}

function isDict(data: ColumnData): data is DictColumn {
  return (data as DictColumn).kind === 'dict' && (data as DictColumn).refs instanceof Uint32Array;
}

function isList(data: ColumnData): data is U16ListColumn {
  return (data as U16ListColumn).kind === 'u16list' && (data as U16ListColumn).offsets instanceof Uint32Array;
}

type ColumnWriter = (vector: Vector, start: number, n: number) => void;

/**
 * Appends `length` rows given as one writer per column, in chunks of CHUNK_ROWS.
 */
const chunksByTable = new Map<TableDef, DuckDBDataChunk>();

function appendColumns(
  appender: DuckDBAppender,
  def: TableDef,
  length: number,
  writers: ColumnWriter[],
): void {
  // One chunk per table for the process: appending copies its contents, so it can be refilled.
  let chunk = chunksByTable.get(def);
  if (!chunk) {
    chunk = DuckDBDataChunk.create(
      def.columns.map((c) => duckTypeOf(c.kind)),
      CHUNK_ROWS,
    );
    chunksByTable.set(def, chunk);
  }
  for (let start = 0; start < length; start += CHUNK_ROWS) {
    const n = Math.min(CHUNK_ROWS, length - start);
    chunk.reset();
    for (let c = 0; c < writers.length; c++) {
      writers[c](duckdb.data_chunk_get_vector(chunk.chunk, c), start, n);
    }
    chunk.rowCount = n;
    appender.appendDataChunk(chunk);
  }
}

/** Appends one FlowBatch to the `flow_tuples` appender. */
export function appendFlowBatch(
  appender: DuckDBAppender,
  def: TableDef,
  batch: FlowBatch,
  dict: StringDictionary,
): void {
  const s = scratch();
  const remap = remapTable(dict, batch.strings);
  const writers = def.columns.map((col): ColumnWriter => {
    const data = (batch as unknown as Record<string, ArrayLike<number>>)[col.name];
    if (!data) throw new Error(`FlowBatch has no column ${col.name}`);
    if (col.kind === 'dict') {
      const refs = data as Uint32Array;
      return (v, start, n) => writeRefs(v, refs, remap, start, n, s);
    }
    return (v, start, n) => writeNumbers(v, col.kind, data, start, n, s, col.nullable ?? false);
  });
  appendColumns(appender, def, batch.length, writers);
}

/** Appends TableRows (analytics output, metadata rows) to the table's appender. */
export function appendTableRows(
  appender: DuckDBAppender,
  def: TableDef,
  rows: TableRows,
  dict: StringDictionary,
): void {
  const s = scratch();
  const writers = def.columns.map((col: ColumnDef): ColumnWriter => {
    const data = rows.columns[col.name];
    if (data === undefined) throw new Error(`rows for ${def.name} lack column ${col.name}`);
    if (col.kind === 'dict') {
      if (isDict(data)) {
        // analytics shares one string list among a table's columns: remapTable maps it once
        const remap = remapTable(dict, data.strings);
        return (v, start, n) => writeRefs(v, data.refs, remap, start, n, s);
      }
      const values = data as ArrayLike<unknown>;
      const refs = new Uint32Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const value = values[i];
        refs[i] = value === null || value === undefined ? NULL_REF : globalIdOf(dict, String(value));
      }
      return (v, start, n) => {
        const out = s.u32;
        const validity = s.validity;
        validity.fill(0xff);
        for (let i = 0; i < n; i++) {
          const r = refs[start + i];
          if (r === NULL_REF) validity[i >> 3] &= ~(1 << (i & 7));
          out[i] = r === NULL_REF ? 0 : r;
        }
        duckdb.copy_data_to_vector(v, 0, out.buffer as ArrayBuffer, 0, n * 4);
        writeValidity(v, validity);
      };
    }
    if (col.kind === 'u16list') {
      if (!isList(data)) throw new Error(`column ${def.name}.${col.name} must be a U16ListColumn`);
      return (v, start, n) => writeU16List(v, data, start, n);
    }
    if (col.kind === 'str') {
      if (isDict(data)) {
        const values = Array.from(data.refs, (ref) => (ref === NULL_REF ? null : data.strings[ref]));
        return (v, start, n) => writeStrings(v, values, start, n, s);
      }
      return (v, start, n) => writeStrings(v, data as ArrayLike<unknown>, start, n, s);
    }
    return (v, start, n) =>
      writeNumbers(v, col.kind, data as ArrayLike<unknown>, start, n, s, col.nullable ?? false);
  });
  appendColumns(appender, def, rows.length, writers);
}
