import type { Store } from '../store/types.js';
import { defaultSchema, findTable, type KqlColumn, type KqlSchema, type KustoType } from './kql/schema.js';

const PUBLIC_TABLES = ['NTANetAnalytics', 'AzureNetworkAnalytics_CL', 'NTAIpDetails', 'FlowTuples'];

/**
 * The KQL schema of a live store: its readable tables and views with their real columns, so
 * Kusto reports unknown columns exactly for what the store holds. Types come from the reference
 * schema where the column is known there (ClickHouse has no distinct bool type), else from the
 * SQL type. Falls back to the reference schema for a table the store does not describe.
 */
export async function schemaFromStore(store: Store): Promise<KqlSchema> {
  const list = PUBLIC_TABLES.map((t) => `'${t}'`).join(', ');
  const sql =
    store.dialect === 'duckdb'
      ? `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_name IN (${list}) ORDER BY table_name, ordinal_position`
      : `SELECT table, name, type FROM system.columns WHERE database = currentDatabase() AND table IN (${list})`;
  let rows: unknown[][];
  try {
    rows = (await store.query(sql)).rows;
  } catch {
    return defaultSchema;
  }
  const byTable = new Map<string, KqlColumn[]>();
  for (const [table, name, type] of rows as [string, string, string][]) {
    const known = findTable(defaultSchema, table)?.columns.find((c) => c.name === name);
    const col: KqlColumn = { name, type: known?.type ?? kustoTypeOfSql(type) };
    byTable.set(table, [...(byTable.get(table) ?? []), col]);
  }
  const schema: KqlSchema = {
    tables: PUBLIC_TABLES.map((name) => {
      const columns = byTable.get(name);
      return columns && columns.length ? { name, columns } : findTable(defaultSchema, name)!;
    }),
  };
  return sameAsLast(schema);
}

let lastSchema: { key: string; schema: KqlSchema } | null = null;

/**
 * The store's schema rarely changes between queries: hand back the very object of the last call
 * when it is equal, so the translator finds its Kusto GlobalState and remembered translations by
 * identity instead of building or looking them up again.
 */
function sameAsLast(schema: KqlSchema): KqlSchema {
  const key = JSON.stringify(schema.tables);
  if (lastSchema && lastSchema.key === key) return lastSchema.schema;
  lastSchema = { key, schema };
  return schema;
}

export function kustoTypeOfSql(sqlType: string): KustoType {
  const t = sqlType.replace(/^Nullable\((.*)\)$/, '$1').replace(/^LowCardinality\((.*)\)$/, '$1').toUpperCase();
  if (t.startsWith('ARRAY') || t.endsWith('[]') || t.startsWith('LIST')) return 'dynamic';
  if (t === 'BOOLEAN' || t === 'BOOL') return 'bool';
  if (/^(TINYINT|SMALLINT|INTEGER|INT|UTINYINT|USMALLINT|INT8|INT16|INT32|UINT8|UINT16)$/.test(t)) return 'int';
  if (/^(BIGINT|HUGEINT|UINTEGER|UBIGINT|INT64|UINT32|UINT64)$/.test(t)) return 'long';
  if (/^(DOUBLE|FLOAT|REAL|FLOAT32|FLOAT64|DECIMAL.*)$/.test(t)) return 'real';
  if (/^(TIMESTAMP.*|DATETIME.*|DATE)$/.test(t)) return 'datetime';
  return 'string';
}
