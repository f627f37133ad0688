import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { runAction } from '../program.js';
import { explainKql, formatCsv, formatJson, formatTable, runKql, runSql, schemaFromStore, type QueryOutput } from '../../query/index.js';
import { openStore, parseUrlList } from '../../store/index.js';

interface QueryOptions {
  sql?: string;
  db?: string;
  clickhouse?: string;
  cluster?: string;
  format: string;
  explain?: boolean;
}

export function register(program: Command): void {
  program
    .command('query')
    .description('Run KQL (as in Log Analytics) or read-only SQL over the stored tables')
    .argument('[kql]', 'KQL query, e.g. "NTANetAnalytics | summarize sum(BytesSrcToDest) by SrcIp | top 10 by sum_BytesSrcToDest"')
    .option('--sql <sql>', 'read-only SQL in the store dialect instead of KQL')
    .option('--db <file>', 'DuckDB store file (default ./flowlens.duckdb)')
    .option('--clickhouse <urls>', 'ClickHouse HTTP URL(s), comma-separated')
    .option('--cluster <name>', 'ClickHouse cluster name when several URLs are given')
    .option('--format <format>', 'table | csv | json', 'table')
    .option('--explain', 'print the SQL the KQL query becomes, without running it')
    .action(
      runAction(async (kql: string | undefined, options: QueryOptions) => {
        if (!['table', 'csv', 'json'].includes(options.format)) throw new UsageError(`--format must be table, csv or json, got "${options.format}"`);
        if ((kql === undefined) === (options.sql === undefined)) throw new UsageError('give either a KQL query or --sql, not both or neither');
        const store = await openStore({
          db: options.db,
          clickhouse: options.clickhouse ? parseUrlList(options.clickhouse) : undefined,
          cluster: options.cluster,
          // Users' SQL runs here: the engine itself refuses files and the network, whatever the guard misses.
          noExternalAccess: true,
        });
        try {
          if (options.explain) {
            if (kql === undefined) throw new UsageError('--explain applies to KQL queries');
            const t = explainKql(kql, store.dialect, await schemaFromStore(store));
            process.stdout.write(`${t.sql}\n`);
            if (t.chart) process.stdout.write(`-- render ${t.chart.type}\n`);
            return;
          }
          const out: QueryOutput = kql !== undefined ? await runKql(store, kql) : await runSql(store, options.sql as string);
          const text = options.format === 'csv' ? formatCsv(out) : options.format === 'json' ? formatJson(out) : formatTable(out);
          process.stdout.write(text);
          if (out.chart && options.format === 'table') process.stdout.write(`(render ${out.chart.type})\n`);
        } finally {
          await store.close();
        }
      }),
    );
}
