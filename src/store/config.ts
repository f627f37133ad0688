import { z } from 'zod';

/** Aggregation intervals Traffic Analytics offers (10, 60) plus 1 minute for near-real-time. */
export const INTERVAL_MINUTES = [1, 10, 60] as const;

export const storeOptionsSchema = z
  .object({
    /** DuckDB file; the default store when no ClickHouse URL is given. */
    db: z.string().min(1).optional(),
    /** ClickHouse HTTP URLs, one per shard (comma-separated on the command line). */
    clickhouse: z.array(z.string().url()).min(1).optional(),
    /** Cluster name in the servers' `remote_servers`; required with more than one URL. */
    cluster: z.string().min(1).optional(),
    /** ClickHouse database (created if missing). */
    database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('flowlens'),
    /** Traffic Analytics aggregation interval in minutes. */
    intervalMinutes: z
      .number()
      .refine((n) => (INTERVAL_MINUTES as readonly number[]).includes(n), 'interval must be 1, 10 or 60 minutes')
      .default(10),
    /** DuckDB threads (default: DuckDB decides). */
    threads: z.number().int().positive().optional(),
    /**
     * DuckDB: forbid reading or writing anything but the store file (external access off, the
     * setting locked). For connections that run users' queries; `export` needs it off.
     */
    noExternalAccess: z.boolean().default(false),
  })
  .refine((o) => !(o.db && o.clickhouse), 'choose either a DuckDB file or ClickHouse, not both')
  .refine((o) => !(o.clickhouse && o.clickhouse.length > 1 && !o.cluster), 'several ClickHouse URLs need a cluster name');

export type StoreOptions = z.input<typeof storeOptionsSchema>;
export type ResolvedStoreOptions = z.output<typeof storeOptionsSchema>;

export const DEFAULT_DB_PATH = './flowlens.duckdb';

/** `--clickhouse a,b` → ['a', 'b']. */
export function parseUrlList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
