import type { Command } from 'commander';
import { runAction, parseIntegerOption } from '../program.js';
import { openConsoleBackend, startConsoleServer } from '../../console/index.js';
import { loadConsoleTopology } from '../../console/scenario.js';

interface ServeOptions {
  db?: string;
  clickhouse?: string;
  database?: string;
  port: number;
  host: string;
  token?: string;
  scenario?: string;
  queryTimeout: number;
  maxRows: number;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('Serve the web console (Traffic Analytics views, live) and its JSON API')
    .option('--db <file>', 'DuckDB store file (default ./flowlens.duckdb)')
    .option('--clickhouse <url>', 'ClickHouse URL (first of a comma-separated list is used)')
    .option('--database <name>', 'ClickHouse database')
    .option('--port <n>', 'port (0 picks a free one)', parseIntegerOption('--port'), 8080)
    .option('--host <addr>', 'address to bind; anything but loopback needs --token', '127.0.0.1')
    .option('--token <t>', 'bearer token for every API call (or set FLOWLENS_TOKEN)')
    .option('--scenario <file>', 'topology scenario (YAML) for the topology, rules and coverage views')
    .option('--query-timeout <ms>', 'time limit of one user query', parseIntegerOption('--query-timeout'), 30_000)
    .option('--max-rows <n>', 'rows one user query returns at most', parseIntegerOption('--max-rows'), 10_000)
    .action(
      runAction(async (opts: ServeOptions) => {
        const { backend, label } = await openConsoleBackend({ db: opts.db, clickhouse: opts.clickhouse, database: opts.database });
        const loaded = opts.scenario ? await loadConsoleTopology(opts.scenario) : undefined;
        const server = await startConsoleServer({
          backend,
          storeLabel: label,
          host: opts.host,
          port: opts.port,
          token: opts.token ?? process.env.FLOWLENS_TOKEN ?? undefined,
          queryTimeoutMs: opts.queryTimeout,
          maxRows: opts.maxRows,
          topology: loaded?.topology,
          scenario: loaded?.scenario,
        }).catch(async (err: unknown) => {
          await backend.close();
          throw err;
        });
        // The token is never printed: whoever started the console already has it.
        process.stdout.write(`flowlens console: ${server.url} (${label})\n`);
        const stop = async () => {
          await server.close();
          await backend.close();
          process.exit(0);
        };
        process.once('SIGINT', () => void stop());
        process.once('SIGTERM', () => void stop());
      }),
    );
}
