import type { Command } from 'commander';
import { runAction, parseIntegerOption } from '../program.js';

interface IngestCliOptions {
  connectionString?: string;
  accountUrl?: string;
  container?: string;
  prefix?: string[];
  db?: string;
  clickhouse?: string;
  cluster?: string;
  database?: string;
  follow?: boolean;
  interval: string;
  since?: string;
  until?: string;
  topology?: string;
  analytics: boolean;
  geo?: string;
  serviceTags?: string;
  threats?: string;
  workers?: number;
  storeThreads?: number;
  concurrency?: number;
  maxChunkBytes?: number;
  lease: boolean;
  leaseSeconds?: number;
  retryQuarantined?: boolean;
  progress: boolean;
  json?: boolean;
}

/** Exit code when the run finished but some blobs were quarantined or failed. */
export const EXIT_INGEST_ERRORS = 3;

export function register(program: Command): void {
  program
    .command('ingest')
    .description(
      'Ingest flow-log blobs incrementally (only new blocks) from a folder or an Azure Blob container',
    )
    .argument('[source]', 'folder, or container URL https://ACCOUNT.blob.core.windows.net/CONTAINER[?SAS]')
    .option('--connection-string <s>', 'storage connection string (or set AZURE_STORAGE_CONNECTION_STRING)')
    .option('--account-url <url>', 'account URL, signed in with DefaultAzureCredential')
    .option(
      '--container <name>',
      'container with --connection-string/--account-url (default insights-logs-flowlogflowevent)',
    )
    .option('--prefix <p...>', 'listing prefixes (default flowLogResourceID=/ and resourceId=/)')
    .option('--db <file>', 'DuckDB store file (default ./flowlens.duckdb)')
    .option('--clickhouse <urls>', 'ClickHouse URL(s), comma-separated (one per shard)')
    .option('--cluster <name>', 'ClickHouse cluster (with several URLs)')
    .option('--database <name>', 'ClickHouse database')
    .option('--follow', 'keep polling and ingest each new minute block')
    .option('--interval <d>', 'pause between polls with --follow (e.g. 1s, 10s)', '10s')
    .option('--since <t>', 'only hours ending after T (ISO time, date, or -2h)')
    .option('--until <t>', 'only hours starting before T')
    .option('--topology <scenario>', 'scenario YAML for Traffic Analytics enrichment')
    .option('--no-analytics', 'store raw tuples only (no Traffic Analytics aggregates)')
    .option('--geo <src>', "geolocation for analytics: 'bundled' (default), 'none', or a CSV file")
    .option('--service-tags <file>', 'Azure Service Tags JSON for analytics')
    .option('--threats <file>', 'threat list CSV (ip_or_cidr,threat_type,description) for analytics')
    .option('--workers <n>', 'decoder threads (0 = main thread)', parseIntegerOption('--workers'))
    .option(
      '--store-threads <n>',
      'DuckDB threads while ingesting (default: the cores the decoder threads leave, at least 1)',
      parseIntegerOption('--store-threads'),
    )
    .option(
      '--concurrency <n>',
      'blobs read and decoded at once (default 64 with DuckDB, which commits them in groups; 16 with ClickHouse)',
      parseIntegerOption('--concurrency'),
    )
    .option('--max-chunk-bytes <n>', 'largest ranged read / commit', parseIntegerOption('--max-chunk-bytes'))
    .option('--no-lease', 'do not take blob leases (only one ingest process per container)')
    .option('--lease-seconds <n>', 'lease length, 15-60 s', parseIntegerOption('--lease-seconds'))
    .option('--retry-quarantined', 'try blobs that failed to decode again')
    .option('--no-progress', 'no progress bar or progress lines')
    .option('--json', 'print the summary as one JSON line')
    .action(
      runAction(async (target: string | undefined, opts: IngestCliOptions) => {
        // Loaded on use, so that `flowlens --help` and other commands start fast.
        const { openStore, parseUrlList } = await import('../../store/index.js');
        const {
          createDeriver,
          createProgressReporter,
          formatSummary,
          openTarget,
          parseDuration,
          parseInstant,
          runIngest,
          ingestStoreThreads,
        } = await import('../../ingest/index.js');
        const opened = await openTarget({
          target,
          connectionString:
            opts.connectionString ?? (target ? undefined : process.env.AZURE_STORAGE_CONNECTION_STRING),
          accountUrl: opts.accountUrl,
          container: opts.container,
          prefixes: opts.prefix,
          lease: opts.lease,
          leaseSeconds: opts.leaseSeconds,
        });
        const store = await openStore({
          db: opts.clickhouse ? undefined : opts.db,
          clickhouse: opts.clickhouse ? parseUrlList(opts.clickhouse) : undefined,
          cluster: opts.cluster,
          database: opts.database,
          threads: opts.clickhouse ? undefined : (opts.storeThreads ?? ingestStoreThreads(opts.workers)),
        });
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        const progress = opts.progress ? createProgressReporter() : null;
        try {
          const derive = opts.analytics
            ? await createDeriver({
                topology: opts.topology,
                geo: opts.geo,
                serviceTags: opts.serviceTags,
                threats: opts.threats,
              })
            : undefined;
          const summary = await runIngest({
            sources: opened.sources,
            claims: opened.claims,
            store,
            derive,
            follow: opts.follow ?? false,
            intervalMs: parseDuration(opts.interval),
            since: opts.since ? parseInstant(opts.since) : undefined,
            until: opts.until ? parseInstant(opts.until) : undefined,
            workers: opts.workers,
            concurrency: opts.concurrency,
            maxChunkBytes: opts.maxChunkBytes,
            retryQuarantined: opts.retryQuarantined ?? false,
            onProgress: progress ? (p) => progress.update(p) : undefined,
            signal: controller.signal,
          });
          progress?.stop();
          process.stdout.write((opts.json ? JSON.stringify(summary) : formatSummary(summary)) + '\n');
          if (summary.errors > 0) process.exitCode = EXIT_INGEST_ERRORS;
        } catch (err) {
          progress?.stop();
          throw err;
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          await store.close();
          await opened.close();
        }
      }),
    );
}
