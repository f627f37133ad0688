/**
 * The query stage: KQL → plan → SQL (DuckDB or ClickHouse), and read-only SQL pass-through.
 * Nothing here executes anything but read-only statements.
 */
export * from './kql/index.js';
export { runKql, runSql, explainKql, type QueryOutput, type RunKqlOptions } from './run.js';
export { assertReadOnlySql } from './sql-guard.js';
export { schemaFromStore } from './store-schema.js';
export { normalizeValue, normalizeDatetime } from './result.js';
export { formatTable, formatCsv, formatJson } from './format.js';
