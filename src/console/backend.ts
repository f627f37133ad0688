import { DuckDBInstance, JSDuckDBValueConverter, type DuckDBConnection } from '@duckdb/node-api';
import type { QueryResult, Store } from '../store/types.js';
import { QueryRefusedError } from './guard.js';

/** Limits for one statement. */
export interface QueryLimits {
  /** Wall-clock limit; the engine is interrupted when it passes. */
  timeoutMs: number;
  /** Rows returned at most; `truncated` says when more existed. */
  maxRows: number;
}

export interface LimitedResult extends QueryResult {
  truncated: boolean;
  elapsedMs: number;
}

/**
 * How the console reads data. Every console query, the dashboards' and the user's, goes through
 * one of these. A backend never writes.
 */
export interface ConsoleBackend {
  readonly dialect: 'duckdb' | 'clickhouse';
  /**
   * Whether the engine itself refuses file access and writes for the statements run here
   * (DuckDB read-only + `enable_external_access=false`; ClickHouse `readonly=1`). When false,
   * user statements rely on the static guard alone, and the console says so.
   */
  readonly sandboxed: boolean;
  query(sql: string, limits: QueryLimits): Promise<LimitedResult>;
  close(): Promise<void>;
}

/** JSON-safe cell values: bigints become numbers when exact, strings otherwise. */
export function toJsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJsonValue);
  return String(value);
}

async function runDuckDb(
  connection: DuckDBConnection,
  sql: string,
  limits: QueryLimits,
): Promise<LimitedResult> {
  const started = Date.now();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    connection.interrupt();
  }, limits.timeoutMs);
  try {
    const result = await connection.stream(sql);
    const columns = result.columnNames();
    const rows: unknown[][] = [];
    let truncated = false;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const chunkRows = chunk.convertRows(JSDuckDBValueConverter);
      for (const row of chunkRows) {
        if (rows.length >= limits.maxRows) {
          truncated = true;
          break;
        }
        rows.push(row.map(toJsonValue));
      }
      if (truncated) break;
    }
    return { columns, rows, truncated, elapsedMs: Date.now() - started };
  } catch (err) {
    if (timedOut) {
      throw new QueryRefusedError(
        `query stopped after the time limit of ${limits.timeoutMs} ms (--query-timeout)`,
        'timeout',
      );
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** DuckDB statements run one at a time per connection; a small pool keeps the UI responsive. */
function connectionPool(instance: DuckDBInstance, size: number) {
  const idle: DuckDBConnection[] = [];
  const waiting: ((c: DuckDBConnection) => void)[] = [];
  let created = 0;
  async function acquire(): Promise<DuckDBConnection> {
    const ready = idle.pop();
    if (ready) return ready;
    if (created < size) {
      created++;
      return instance.connect();
    }
    return new Promise((resolve) => waiting.push(resolve));
  }
  function release(connection: DuckDBConnection) {
    const next = waiting.shift();
    if (next) next(connection);
    else idle.push(connection);
  }
  return {
    async use<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
      const connection = await acquire();
      try {
        return await fn(connection);
      } finally {
        release(connection);
      }
    },
    closeAll() {
      for (const c of idle) c.closeSync();
      idle.length = 0;
    },
  };
}

/**
 * Opens a DuckDB store file for the console alone: read-only, with external access disabled and
 * the configuration locked, so no statement can read or write files, attach databases, load
 * extensions or turn these settings back on. DuckDB lets one process write a file at a time, so
 * this is for a store that no other process is writing; to watch ingestion live, run the console
 * in the ingesting process with {@link duckDbInstanceBackend}.
 */
export async function openDuckDbFileBackend(path: string): Promise<ConsoleBackend> {
  const instance = await DuckDBInstance.create(path, {
    access_mode: 'READ_ONLY',
    enable_external_access: 'false',
    lock_configuration: 'true',
  });
  return duckDbBackendOver(instance, true, () => instance.closeSync());
}

/**
 * Reads through a DuckDB instance that another part of this process owns and writes (ingestion
 * running in the same process). DuckDB's external-access switch is instance-wide and would stop
 * that ingestion's own file reads, so here user statements rely on the static guard.
 */
export function duckDbInstanceBackend(instance: DuckDBInstance): ConsoleBackend {
  return duckDbBackendOver(instance, false, () => undefined);
}

function duckDbBackendOver(
  instance: DuckDBInstance,
  sandboxed: boolean,
  closeInstance: () => void,
): ConsoleBackend {
  const pool = connectionPool(instance, 3);
  return {
    dialect: 'duckdb',
    sandboxed,
    query: (sql, limits) => pool.use((c) => runDuckDb(c, sql, limits)),
    async close() {
      pool.closeAll();
      closeInstance();
    },
  };
}

/**
 * Any `Store` (for example one a library user already opened). Limits are applied around the
 * store's `query`: rows are cut after the fact and the time limit only stops waiting, because the
 * Store contract has no cancellation. Prefer the engine-specific backends.
 */
export function storeBackend(store: Store): ConsoleBackend {
  return {
    dialect: store.dialect,
    sandboxed: false,
    async query(sql, limits) {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new QueryRefusedError(
                `query stopped after the time limit of ${limits.timeoutMs} ms (--query-timeout)`,
                'timeout',
              ),
            ),
          limits.timeoutMs,
        );
      });
      try {
        const result = await Promise.race([store.query(sql), timeout]);
        const truncated = result.rows.length > limits.maxRows;
        const rows = result.rows.slice(0, limits.maxRows).map((r) => r.map(toJsonValue));
        return { columns: result.columns, rows, truncated, elapsedMs: Date.now() - started };
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => store.close(),
  };
}
