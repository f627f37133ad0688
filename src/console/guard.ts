import { FlowlensError } from '../errors.js';

export type RefusalKind = 'not-read-only' | 'file-access' | 'multiple-statements' | 'timeout' | 'empty';

/** A user statement the console will not run, or stopped. HTTP 400 (timeout: 408). */
export class QueryRefusedError extends FlowlensError {
  override readonly exitCode: number = 2;
  constructor(
    message: string,
    readonly kind: RefusalKind,
  ) {
    super(message);
  }
}

/** Statements that change data, settings or the catalog, or leave the database. */
const FORBIDDEN_KEYWORDS = [
  'insert', 'update', 'delete', 'merge', 'upsert', 'create', 'drop', 'alter', 'truncate', 'rename',
  'attach', 'detach', 'copy', 'export', 'import', 'install', 'load', 'pragma', 'set', 'reset',
  'call', 'optimize', 'system', 'kill', 'grant', 'revoke', 'checkpoint', 'vacuum', 'begin',
  'commit', 'rollback', 'use', 'into', 'outfile', 'infile', 'secret', 'exchange', 'move',
];

/**
 * Functions that read or write files, URLs, other databases or the environment, in DuckDB or
 * ClickHouse. DuckDB's engine refuses them too when external access is off; the list also covers
 * ClickHouse and the in-process DuckDB mode, where the engine switch cannot be used.
 */
const FILE_FUNCTIONS = [
  'read_csv', 'read_csv_auto', 'read_json', 'read_json_auto', 'read_json_objects', 'read_ndjson',
  'read_ndjson_auto', 'read_ndjson_objects', 'read_parquet', 'parquet_scan', 'parquet_metadata',
  'parquet_schema', 'parquet_file_metadata', 'parquet_kv_metadata', 'read_text', 'read_blob',
  'glob', 'sniff_csv', 'read_xlsx', 'iceberg_scan', 'iceberg_metadata', 'delta_scan',
  'sqlite_scan', 'sqlite_attach', 'postgres_scan', 'postgres_attach', 'postgres_query',
  'mysql_scan', 'mysql_query', 'duckdb_secrets', 'getenv', 'file', 'url', 's3', 's3cluster',
  'hdfs', 'remote', 'remotesecure', 'cluster', 'clusterallreplicas', 'input', 'mysql',
  'postgresql', 'jdbc', 'odbc', 'executable', 'azureblobstorage', 'gcs', 'mongodb', 'redis',
  'sqlite', 'hudi', 'deltalake', 'iceberg', 'dictionary', 'filesystem', 'load_extension',
];

/**
 * Replaces string literals with `''`, quoted identifiers with `"q"` and removes comments, so
 * that keyword checks neither miss code hidden in comments nor trip on words inside literals.
 */
export function maskSql(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    const next = sql[i + 1];
    if (ch === '-' && next === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      out += ' ';
    } else if (ch === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
      out += ' ';
    } else if (ch === "'" || ch === '"' || ch === '`') {
      let j = i + 1;
      for (; j < sql.length; j++) {
        if (sql[j] === '\\' && ch === "'") {
          j++;
          continue;
        }
        if (sql[j] === ch) {
          if (sql[j + 1] === ch) {
            j++;
            continue;
          }
          break;
        }
      }
      out += ch === "'" ? "''" : '"q"';
      i = j + 1;
    } else if (ch === '$' && /[A-Za-z_]*\$/.test(sql.slice(i + 1, i + 40))) {
      // DuckDB dollar-quoted strings: $tag$ ... $tag$
      const tag = sql.slice(i, sql.indexOf('$', i + 1) + 1);
      const end = sql.indexOf(tag, i + tag.length);
      out += "''";
      i = end < 0 ? sql.length : end + tag.length;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/**
 * Checks that user SQL is one read-only query that touches no file. Throws
 * {@link QueryRefusedError} with a message that says what to change.
 */
export function assertReadOnlySql(sql: string): void {
  const masked = maskSql(sql).trim().replace(/;\s*$/, '');
  if (masked === '') throw new QueryRefusedError('empty query', 'empty');
  if (masked.includes(';')) {
    throw new QueryRefusedError('only one statement per query is allowed', 'multiple-statements');
  }
  const first = /^\(*\s*([A-Za-z]+)/.exec(masked)?.[1]?.toLowerCase();
  if (first !== 'select' && first !== 'with' && first !== 'from' && first !== 'values') {
    throw new QueryRefusedError(
      `only read-only queries (SELECT, WITH, FROM) are allowed; "${first ?? masked.slice(0, 20)}" is not`,
      'not-read-only',
    );
  }
  const words = masked.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? [];
  for (const word of words) {
    if (FORBIDDEN_KEYWORDS.includes(word)) {
      throw new QueryRefusedError(
        `read-only queries only: "${word.toUpperCase()}" is not allowed in the console`,
        'not-read-only',
      );
    }
  }
  const call = /([A-Za-z_][A-Za-z0-9_]*)\s*\(/g;
  for (let m = call.exec(masked); m; m = call.exec(masked)) {
    const name = m[1].toLowerCase();
    if (FILE_FUNCTIONS.includes(name)) {
      throw new QueryRefusedError(
        `${m[1]}() reads or writes outside the store; file, URL and database functions are disabled in the console`,
        'file-access',
      );
    }
  }
  // DuckDB reads a file when a string literal stands where a table name goes: FROM 'x.csv'.
  if (/\b(from|join)\s*\(?\s*''/i.test(masked)) {
    throw new QueryRefusedError(
      'a string in place of a table name reads a file; file access is disabled in the console',
      'file-access',
    );
  }
}
