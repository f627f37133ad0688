import type { Command } from 'commander';
import { runAction } from '../program.js';
import { exportTable, openStore, parseUrlList, PUBLIC_TABLES } from '../../store/index.js';

interface ExportCliOptions {
  format: string;
  table: string;
  since?: string;
  db?: string;
  clickhouse?: string;
  cluster?: string;
  database?: string;
  out?: string;
}

export function register(program: Command): void {
  program
    .command('export')
    .description('Write a table (raw tuples or Traffic Analytics rows) to Parquet or CSV for data-lake tools')
    .requiredOption('--table <name>', `table to export: ${PUBLIC_TABLES.join(', ')}`)
    .option('--format <fmt>', 'parquet or csv', 'parquet')
    .option('--since <t>', 'only rows at or after T (ISO time, or a duration back from now such as 2h, 7d)')
    .option('--db <file>', 'DuckDB store file (default ./flowlens.duckdb)')
    .option('--clickhouse <urls>', 'ClickHouse URL(s), comma-separated')
    .option('--cluster <name>', 'ClickHouse cluster (with several URLs)')
    .option('--database <name>', 'ClickHouse database')
    .option('--out <file>', 'output file (default <table>.<format>)')
    .action(
      runAction(async (opts: ExportCliOptions) => {
        const store = await openStore({
          db: opts.clickhouse ? undefined : opts.db,
          clickhouse: opts.clickhouse ? parseUrlList(opts.clickhouse) : undefined,
          cluster: opts.cluster,
          database: opts.database,
        });
        try {
          const result = await exportTable(store, { table: opts.table, format: opts.format, since: opts.since, out: opts.out });
          process.stdout.write(`exported ${result.rows} rows of ${opts.table} to ${result.out}\n`);
        } finally {
          await store.close();
        }
      }),
    );
}
