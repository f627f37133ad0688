import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { KqlSchema, KqlTable, KustoType } from '../../src/query/kql/schema.js';
import { normalizeValue } from '../../src/query/result.js';

/** Test rows: plain JS values; datetimes as epoch ms; absent strings as null. */
export type Row = Record<string, unknown>;

export function duckType(t: KustoType): string {
  return { bool: 'BOOLEAN', int: 'INTEGER', long: 'BIGINT', real: 'DOUBLE', datetime: 'TIMESTAMP', timespan: 'BIGINT' }[t as 'bool'] ?? 'VARCHAR';
}

export function chType(t: KustoType): string {
  const base = { bool: 'UInt8', int: 'Int32', long: 'Int64', real: 'Float64', datetime: 'DateTime', timespan: 'Int64' }[t as 'bool'] ?? 'String';
  return `Nullable(${base})`;
}

function sqlValue(v: unknown, t: KustoType, dialect: 'duckdb' | 'clickhouse'): string {
  if (v === null || v === undefined) return 'NULL';
  switch (t) {
    case 'bool':
      return dialect === 'duckdb' ? (v ? 'TRUE' : 'FALSE') : v ? '1' : '0';
    case 'int':
    case 'long':
    case 'real':
    case 'timespan':
      return String(v);
    case 'datetime': {
      const iso = new Date(Number(v)).toISOString().replace('T', ' ').slice(0, 19);
      return dialect === 'duckdb' ? `TIMESTAMP '${iso}'` : `'${iso}'`;
    }
    default: {
      const s = String(v);
      return dialect === 'duckdb' ? `'${s.replace(/'/g, "''")}'` : `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    }
  }
}

export function createTableSql(table: KqlTable, dialect: 'duckdb' | 'clickhouse'): string {
  const cols = table.columns.map((c) => `"${c.name}" ${dialect === 'duckdb' ? duckType(c.type) : chType(c.type)}`).join(', ');
  return dialect === 'duckdb' ? `CREATE TABLE "${table.name}" (${cols})` : `CREATE TABLE "${table.name}" (${cols}) ENGINE = Memory`;
}

export function insertSql(table: KqlTable, rows: Row[], dialect: 'duckdb' | 'clickhouse'): string | null {
  if (!rows.length) return null;
  const values = rows.map((r) => `(${table.columns.map((c) => sqlValue(r[c.name], c.type, dialect)).join(', ')})`).join(', ');
  return `INSERT INTO "${table.name}" VALUES ${values}`;
}

export async function duckWithTables(schema: KqlSchema, data: Record<string, Row[]>): Promise<DuckDBConnection> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await instance.connect();
  for (const t of schema.tables) {
    await conn.run(createTableSql(t, 'duckdb'));
    const ins = insertSql(t, data[t.name] ?? [], 'duckdb');
    if (ins) await conn.run(ins);
  }
  return conn;
}

export async function duckQuery(conn: DuckDBConnection, sql: string, types?: KustoType[]): Promise<unknown[][]> {
  const reader = await conn.runAndReadAll(sql);
  const rows = reader.getRowsJS() as unknown[][];
  return rows.map((r) => r.map((v, i) => normalizeValue(jsValue(v), types?.[i])));
}

/** DuckDB JS values → plain values (lists become arrays, timestamps Dates). */
function jsValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(jsValue);
  if (typeof v === 'object') {
    const o = v as { items?: unknown[]; micros?: bigint; toString(): string };
    if (Array.isArray(o.items)) return o.items.map(jsValue);
    if (typeof o.micros === 'bigint') return Number(o.micros / 1000n);
    if (v instanceof Date) return v;
    return o.toString();
  }
  return v;
}

export async function chExec(url: string, sql: string, settings: Record<string, string | number> = {}): Promise<string> {
  const params = new URLSearchParams({ output_format_json_quote_64bit_integers: '0', ...Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, String(v)])) });
  let res: Response;
  try {
    res = await fetch(`${url}/?${params}`, { method: 'POST', body: sql });
  } catch {
    // ClickHouse 18.16 closes idle keep-alive sockets; one retry on a fresh connection.
    res = await fetch(`${url}/?${params}`, { method: 'POST', body: sql, headers: { connection: 'close' } });
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`ClickHouse: ${text.trim()}\nSQL: ${sql}`);
  return text;
}

export async function chQuery(url: string, sql: string, settings: Record<string, string | number>, types?: KustoType[]): Promise<unknown[][]> {
  const text = await chExec(url, `${sql} FORMAT JSONCompact`, settings);
  const parsed = JSON.parse(text) as { data: unknown[][] };
  return parsed.data.map((r) => r.map((v, i) => normalizeValue(v, types?.[i])));
}

export async function chWithTables(url: string, schema: KqlSchema, data: Record<string, Row[]>): Promise<void> {
  for (const t of schema.tables) {
    await chExec(url, `DROP TABLE IF EXISTS "${t.name}"`);
    await chExec(url, createTableSql(t, 'clickhouse'));
    const ins = insertSql(t, data[t.name] ?? [], 'clickhouse');
    if (ins) await chExec(url, ins);
  }
}
