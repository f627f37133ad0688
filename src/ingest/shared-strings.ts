import { NULL_REF, STRING_COLUMNS, type FlowBatch } from '../formats/flowbatch.js';
import type { DictColumn, TableRows } from '../store/types.js';

/**
 * A decoder thread's string table that outlives its batches. Every batch has its own string
 * dictionary, so each chunk's IPs, MACs, resource IDs and rule names used to cross to the main
 * thread again (structured clone) and be looked up again in the store's dictionary there — ~10%
 * of the committing thread's time. With a shared table the thread sends each distinct string
 * once, rewrites refs to table ids, and the store maps table ids incrementally (see
 * `remapTable` in store/duckdb/bulk.ts, which caches per string array).
 *
 * Record times and block lineages are new strings in every record, so the table is started afresh
 * (a new `generation`) past `STRING_TABLE_LIMIT` entries, bounding what a long `--follow` holds.
 */
export const STRING_TABLE_LIMIT = 1 << 20;

export interface SharedStringTable {
  ids: Map<string, number>;
  size: number;
  generation: number;
}

/** What a reply carries to extend the receiving side's copy of the table. */
export interface StringTableDelta {
  generation: number;
  added: string[];
}

export function createSharedStringTable(): SharedStringTable {
  return { ids: new Map(), size: 0, generation: 0 };
}

/** A new generation: the receiver drops its copy at the next delta. */
export function restartStringTable(table: SharedStringTable): void {
  table.ids = new Map();
  table.size = 0;
  table.generation++;
}

const UNMAPPED = 0xffffffff;

/**
 * Strings of the per-record columns (record time, block lineage) are new in every record: they
 * take fresh table ids without a lookup, which keeps the thread's Map to the strings that repeat
 * (addresses, MACs, resource IDs, rules) — a Map of every record's strings cost more to grow and
 * probe than the store-side lookups it saved.
 */
const PER_RECORD_COLUMNS = ['record_time', 'block'] as const;

function batchToTable(table: SharedStringTable, batch: FlowBatch, added: string[]): Uint32Array {
  const local = batch.strings;
  const map = new Uint32Array(local.length).fill(UNMAPPED);
  for (const column of PER_RECORD_COLUMNS) {
    const refs = batch[column];
    let previous = NULL_REF;
    for (let i = 0; i < batch.length; i++) {
      const ref = refs[i];
      if (ref === previous || ref === NULL_REF || map[ref] !== UNMAPPED) continue;
      previous = ref;
      map[ref] = table.size++;
      added.push(local[ref]);
    }
  }
  return localToTable(table, local, added, map);
}

function localToTable(
  table: SharedStringTable,
  local: readonly string[],
  added: string[],
  map = new Uint32Array(local.length).fill(UNMAPPED),
): Uint32Array {
  for (let i = 0; i < local.length; i++) {
    if (map[i] !== UNMAPPED) continue;
    const value = local[i];
    let id = table.ids.get(value);
    if (id === undefined) {
      id = table.size++;
      table.ids.set(value, id);
      added.push(value);
    }
    map[i] = id;
  }
  return map;
}

function rewriteRefs(refs: Uint32Array, length: number, map: Uint32Array): void {
  for (let i = 0; i < length; i++) {
    const ref = refs[i];
    if (ref !== NULL_REF) refs[i] = map[ref];
  }
}

/**
 * Moves the batches' and derived rows' strings into the table: refs are rewritten in place to
 * table ids and the per-batch string arrays emptied (the receiver puts its table copy there).
 */
export function shareStrings(
  table: SharedStringTable,
  batches: readonly FlowBatch[],
  derived: readonly TableRows[] = [],
  limit = STRING_TABLE_LIMIT,
): StringTableDelta {
  if (table.size > limit) restartStringTable(table);
  const added: string[] = [];
  for (const batch of batches) {
    const map = batchToTable(table, batch, added);
    for (const column of STRING_COLUMNS) rewriteRefs(batch[column], batch.length, map);
    batch.strings = [];
  }
  for (const rows of derived) {
    // Analytics shares one string list among a table's dictionary columns: map each list once.
    const maps = new Map<readonly string[], Uint32Array>();
    for (const column of Object.values(rows.columns)) {
      if (!isDictColumn(column)) continue;
      let map = maps.get(column.strings);
      if (!map) maps.set(column.strings, (map = localToTable(table, column.strings, added)));
      rewriteRefs(column.refs, rows.length, map);
      (column as { strings: readonly string[] }).strings = [];
    }
  }
  return { generation: table.generation, added };
}

function isDictColumn(column: unknown): column is DictColumn {
  return (
    typeof column === 'object' &&
    column !== null &&
    (column as DictColumn).kind === 'dict' &&
    (column as DictColumn).refs instanceof Uint32Array
  );
}

/** The receiving side's copy of one thread's table. */
export interface StringTableCopy {
  generation: number;
  strings: string[];
}

export function createStringTableCopy(): StringTableCopy {
  return { generation: 0, strings: [] };
}

/**
 * Applies a reply's delta and points its batches and derived rows at the copy. A new generation
 * gets a new array: batches still in flight keep the one their refs index.
 */
export function adoptStrings(
  copy: StringTableCopy,
  delta: StringTableDelta,
  batches: readonly FlowBatch[],
  derived: readonly TableRows[] = [],
): void {
  if (delta.generation !== copy.generation) {
    copy.generation = delta.generation;
    copy.strings = [];
  }
  const strings = copy.strings;
  for (const value of delta.added) strings.push(value);
  for (const batch of batches) batch.strings = strings;
  for (const rows of derived) {
    for (const column of Object.values(rows.columns)) {
      if (isDictColumn(column)) (column as { strings: readonly string[] }).strings = strings;
    }
  }
}
