/**
 * The store stage: where tuples, Traffic Analytics rows, checkpoints and ingest errors live.
 * `openStore()` picks the backend; callers only see the `Store` interface (types.ts).
 */
import { UsageError } from '../errors.js';
import { DEFAULT_DB_PATH, storeOptionsSchema, type StoreOptions } from './config.js';
import { openDuckDbStore } from './duckdb/store.js';
import type { Store } from './types.js';

export * from './types.js';
export * from './config.js';
export { ALL_TABLES, FLOW_TUPLES, TA_FLOW_PARTIALS, TA_IP_PARTIALS, TA_TOPOLOGY, PUBLIC_TABLES, tableDef } from './schema.js';
export type { TableDef, ColumnDef, ColumnKind, PublicTable } from './schema.js';
export { openDuckDbStore } from './duckdb/store.js';

/** Opens (and initialises) a store: ClickHouse when URLs are given, else a DuckDB file. */
export async function openStore(options: StoreOptions = {}): Promise<Store> {
  const parsed = storeOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new UsageError(`store options: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  const o = parsed.data;
  let store: Store;
  if (o.clickhouse) {
    const { openClickHouseStore } = await import('./clickhouse/store.js');
    store = await openClickHouseStore({
      urls: o.clickhouse,
      cluster: o.cluster,
      database: o.database,
      intervalMinutes: o.intervalMinutes,
    });
  } else {
    store = await openDuckDbStore({
      path: o.db ?? DEFAULT_DB_PATH,
      intervalMinutes: o.intervalMinutes,
      threads: o.threads,
      noExternalAccess: o.noExternalAccess,
    });
  }
  await store.init();
  return store;
}
export { exportTable, parseSince, type ExportOptions } from './export.js';
