import type { Command } from 'commander';
import { runAction, parseIntegerOption } from '../program.js';
import { openConsoleBackend, startConsoleServer, storeBackend, type ConsoleBackend } from '../../console/index.js';
import { loadConsoleTopology } from '../../console/scenario.js';
import { redactSecrets, startFollowing } from '../../console/follow.js';
import { openStore, parseUrlList } from '../../store/index.js';

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
  ingest?: string;
  connectionString?: string;
  ingestInterval: number;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('Serve the web console (Traffic Analytics views, live) and its JSON API')
    .option('--db <file>', 'DuckDB store file (default ./flowlens.duckdb)')
    .option('--clickhouse <url>', 'ClickHouse URL (first of a comma-separated list is used for reading)')
    .option('--database <name>', 'ClickHouse database', 'flowlens')
    .option('--port <n>', 'port (0 picks a free one)', parseIntegerOption('--port'), 8080)
    .option('--host <addr>', 'address to bind; anything but loopback needs --token', '127.0.0.1')
    .option('--token <t>', 'bearer token for every API call (or set FLOWLENS_TOKEN)')
    .option('--scenario <file>', 'topology scenario (YAML) for the topology, rules and coverage views')
    .option('--query-timeout <ms>', 'time limit of one user query', parseIntegerOption('--query-timeout'), 30_000)
    .option('--max-rows <n>', 'rows one user query returns at most', parseIntegerOption('--max-rows'), 10_000)
    .option('--ingest <folder|container-url>', 'also follow this source into the store, like `ingest --follow` (needed to watch a DuckDB file live)')
    .option('--connection-string <cs>', 'storage connection string for --ingest (or AZURE_STORAGE_CONNECTION_STRING)')
    .option('--ingest-interval <ms>', 'pause between ingest passes', parseIntegerOption('--ingest-interval'), 2_000)
    .action(
      runAction(async (opts: ServeOptions) => {
        const loaded = opts.scenario ? await loadConsoleTopology(opts.scenario) : undefined;
        let backend: ConsoleBackend;
        let label: string;
        let following: Awaited<ReturnType<typeof startFollowing>> | null = null;
        const connectionString = opts.connectionString ?? process.env.AZURE_STORAGE_CONNECTION_STRING;
        if (opts.ingest || (connectionString && opts.connectionString)) {
          // One process owns the store: ingestion writes, the console reads the same handle.
          const store = await openStore({
            db: opts.clickhouse ? undefined : (opts.db ?? './flowlens.duckdb'),
            clickhouse: opts.clickhouse ? parseUrlList(opts.clickhouse) : undefined,
            database: opts.database,
          });
          backend = storeBackend(store);
          label = opts.clickhouse ? 'ClickHouse (following ingestion)' : `DuckDB ${opts.db ?? './flowlens.duckdb'} (following ingestion)`;
          following = await startFollowing({
            store,
            target: opts.ingest,
            connectionString: opts.ingest ? undefined : connectionString,
            topology: opts.scenario,
            intervalMs: opts.ingestInterval,
            log: (line) => process.stderr.write(`flowlens ingest: ${line}\n`),
          });
        } else {
          ({ backend, label } = await openConsoleBackend({ db: opts.db, clickhouse: opts.clickhouse, database: opts.database }));
        }
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
          await following?.stop();
          await backend.close();
          throw err;
        });
        // Neither the token nor a connection string is ever printed.
        process.stdout.write(`flowlens console: ${server.url} (${redactSecrets(label)})\n`);
        const stop = async () => {
          await server.close();
          await following?.stop();
          await backend.close();
          process.exit(0);
        };
        process.once('SIGINT', () => void stop());
        process.once('SIGTERM', () => void stop());
      }),
    );
}
