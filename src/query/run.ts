import type { Store } from '../store/types.js';
import { translateKql, type KqlTranslation } from './kql/index.js';
import type { KqlSchema, KustoType } from './kql/schema.js';
import { normalizeValue } from './result.js';
import { assertReadOnlySql } from './sql-guard.js';
import { schemaFromStore } from './store-schema.js';

export interface QueryOutput {
  columns: string[];
  /** Kusto types for KQL results; null for SQL pass-through. */
  types: (KustoType | null)[];
  rows: unknown[][];
  sql: string;
  chart: KqlTranslation['chart'];
}

export interface RunKqlOptions {
  schema?: KqlSchema;
  nowMs?: number;
}

/** Translates (fully, before executing anything) and runs a KQL query on a store. */
export async function runKql(store: Store, kql: string, options: RunKqlOptions = {}): Promise<QueryOutput> {
  const translation = explainKql(kql, store.dialect, options.schema ?? (await schemaFromStore(store)), options.nowMs);
  const result = await store.query(translation.sql);
  const types = translation.plan.columns.map((c) => c.type);
  return {
    columns: translation.plan.columns.map((c) => c.name),
    types,
    rows: result.rows.map((r) => r.map((v, i) => normalizeValue(v, types[i]))),
    sql: translation.sql,
    chart: translation.chart,
  };
}

/** The SQL a KQL query becomes on a dialect, ready to send (settings folded in). */
export function explainKql(kql: string, dialect: 'duckdb' | 'clickhouse', schema?: KqlSchema, nowMs?: number): KqlTranslation {
  const t = translateKql(kql, { dialect, schema, nowMs });
  const settings = Object.entries(t.settings);
  if (dialect === 'clickhouse' && settings.length) {
    return { ...t, sql: `${t.sql} SETTINGS ${settings.map(([k, v]) => `${k} = ${v}`).join(', ')}` };
  }
  return t;
}

/** Read-only SQL pass-through, checked before it reaches the engine. */
export async function runSql(store: Store, sql: string): Promise<QueryOutput> {
  assertReadOnlySql(sql, store.dialect);
  const result = await store.query(sql);
  return {
    columns: result.columns,
    types: result.columns.map(() => null),
    rows: result.rows.map((r) => r.map((v) => normalizeValue(v, undefined))),
    sql,
    chart: null,
  };
}
