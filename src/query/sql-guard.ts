import { UsageError } from '../errors.js';
import type { Dialect } from './kql/sql.js';

/**
 * `--sql` pass-through is read-only: one SELECT/WITH/EXPLAIN statement, no writes, no ATTACH or
 * COPY, and no table functions that read files or the network (DuckDB read_csv/read_parquet/
 * read_json/glob/…; ClickHouse file()/url()/remote()/…). Checked on the text with string literals
 * and comments removed, before anything is sent to the engine.
 */

const FORBIDDEN_KEYWORDS = [
  'insert', 'update', 'delete', 'create', 'drop', 'alter', 'attach', 'detach', 'copy', 'export', 'import',
  'install', 'load', 'pragma', 'set', 'reset', 'call', 'truncate', 'optimize', 'rename', 'kill',
  'grant', 'revoke', 'vacuum', 'checkpoint', 'outfile', 'begin', 'commit', 'rollback', 'upsert', 'exchange', 'watch',
  'secret',
];

const FORBIDDEN_FUNCTIONS = [
  // DuckDB
  'read_csv', 'read_csv_auto', 'read_parquet', 'parquet_scan', 'read_json', 'read_json_auto', 'read_json_objects',
  'read_ndjson', 'read_ndjson_auto', 'read_ndjson_objects', 'json_scan', 'csv_scan', 'glob', 'read_text', 'read_blob',
  'sniff_csv', 'query', 'query_table', 'iceberg_scan', 'delta_scan', 'sqlite_scan', 'postgres_scan', 'mysql_scan', 'parquet_metadata',
  'parquet_schema', 'parquet_file_metadata', 'parquet_kv_metadata', 'read_xlsx', 'st_read', 'httpfs',
  // ClickHouse
  'file', 'url', 'remote', 'remotesecure', 'cluster', 'clusterallreplicas', 's3', 'hdfs', 'mysql', 'postgresql',
  'jdbc', 'odbc', 'input', 'executable', 'merge', 'dictionary', 'generaterandom', 'catboostevaluate', 'modelevaluate',
];

export function stripLiteralsAndComments(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      out += ' ';
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
      out += ' ';
    } else if (c === "'" || c === '`' || c === '"') {
      // Quoted identifiers stay (as a placeholder name); string literals become ''.
      const quote = c;
      let j = i + 1;
      let body = '';
      while (j < sql.length) {
        if (sql[j] === '\\' && quote === "'") {
          body += sql[j + 1] ?? '';
          j += 2;
          continue;
        }
        if (sql[j] === quote) {
          if (sql[j + 1] === quote) {
            body += quote;
            j += 2;
            continue;
          }
          break;
        }
        body += sql[j];
        j++;
      }
      // A quoted name that looks like a path, in FROM/JOIN, is how DuckDB is asked to read a file (FROM "x.csv").
      const pathLike = quote !== "'" && /[/\\:]|\.[A-Za-z0-9]{1,10}$/.test(body);
      out += quote === "'" ? " '' " : pathLike ? ' "__path__" ' : ` "${body.replace(/[^A-Za-z0-9_]/g, '_')}" `;
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

export function assertReadOnlySql(sql: string, dialect: Dialect): void {
  const text = stripLiteralsAndComments(sql).trim().replace(/;\s*$/, '');
  if (!text) throw new UsageError('empty SQL');
  if (text.includes(';')) throw new UsageError('only one SQL statement is accepted');
  const first = /^\(*\s*([A-Za-z]+)/.exec(text)?.[1]?.toLowerCase();
  if (!first || !['select', 'with', 'explain', 'describe', 'desc', 'show'].includes(first)) {
    throw new UsageError(`only read-only statements are accepted (SELECT, WITH, EXPLAIN), got "${first ?? text.slice(0, 20)}"`);
  }
  const words = text.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? [];
  for (const w of words) {
    if (FORBIDDEN_KEYWORDS.includes(w)) throw new UsageError(`read-only SQL: "${w.toUpperCase()}" is not allowed`);
  }
  if (/\b(from|join)\s*(\(\s*)?"__path__"/i.test(text)) {
    throw new UsageError('read-only SQL: a table named like a file path is not allowed (DuckDB would read the file)');
  }
  // Quoted function names ("read_csv"(...)) are calls too.
  const calls = text.toLowerCase().matchAll(/["`]?([a-z_][a-z0-9_]*)["`]?\s*\(/g);
  for (const m of calls) {
    if (FORBIDDEN_FUNCTIONS.includes(m[1])) throw new UsageError(`read-only SQL: ${m[1]}() reads files or the network and is not allowed`);
  }
  // DuckDB reads a file named by a string in FROM/JOIN: FROM 'data.csv'.
  if (/\b(from|join)\s*(\(\s*)?''/i.test(text)) throw new UsageError('read-only SQL: reading files by name is not allowed');
  void dialect;
}
