/**
 * The web console: a JSON API, live updates by server-sent events and the web app built from
 * `console/web/`. Every number it shows comes from `queries.ts`.
 */
import { existsSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { openDuckDbFileBackend, type ConsoleBackend } from './backend.js';
import { clickHouseBackend, redactUrl } from './clickhouse.js';

export { consoleConfigSchema, isLoopbackHost, type ConsoleConfig, type ConsoleOptions } from './config.js';
export {
  openDuckDbFileBackend,
  duckDbInstanceBackend,
  storeBackend,
  type ConsoleBackend,
  type QueryLimits,
  type LimitedResult,
} from './backend.js';
export { clickHouseBackend, redactUrl } from './clickhouse.js';
export { assertReadOnlySql, maskSql, QueryRefusedError, type RefusalKind } from './guard.js';
export { startConsoleServer, findWebRoot, type ConsoleServer, type ConsoleServerInput } from './server.js';
export { emptyTopology, buildGraph, type ConsoleTopology, type Graph } from './topology.js';
export * as consoleQueries from './queries.js';

export interface StoreLocation {
  db?: string;
  clickhouse?: string;
  database?: string;
}

/** Opens the read path the console uses for a store given on the command line. */
export async function openConsoleBackend(where: StoreLocation): Promise<{ backend: ConsoleBackend; label: string }> {
  if (where.db && where.clickhouse) throw new UsageError('give either --db or --clickhouse, not both');
  if (where.clickhouse) {
    const first = where.clickhouse.split(',')[0].trim();
    return { backend: clickHouseBackend(first, where.database), label: `ClickHouse ${redactUrl(first)}` };
  }
  const file = where.db ?? './flowlens.duckdb';
  if (!existsSync(file)) throw new UsageError(`no store at ${file}: ingest first, or give --db FILE`);
  try {
    return { backend: await openDuckDbFileBackend(file), label: `DuckDB ${file}` };
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    if (/lock/i.test(message)) {
      throw new UsageError(
        `${file} is open for writing by another process (DuckDB allows one writer and no readers beside it); ` +
          'stop that process, or serve a copy of the file',
      );
    }
    throw new UsageError(`cannot open ${file}: ${message}`);
  }
}
