import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { UsageError } from '../../errors.js';
import {
  emulate,
  ENCODE_THREADS,
  FLOW_LOG_BLOB_FRAMING,
  syntheticScenario,
  PROFILE_NAMES,
  type EncodeThread,
} from '../../emulator/index.js';
import { loadScenario, parseDurationSeconds, type Scenario, type ServiceTagSet } from '../../model/index.js';
import { blobServiceFrom, createAzureBlobSink } from '../../storage/sink-azure.js';
import { createFolderSink } from '../../storage/sink-fs.js';
import { parseIntegerOption, runAction } from '../program.js';

interface EmulateCliOptions {
  out?: string;
  blob?: string;
  start?: string;
  duration: string;
  profile: string;
  seed?: number;
  realtime?: boolean;
  minuteMs?: number;
  syntheticNics?: number;
  commit?: 'minute' | 'batched';
  encodeThread?: EncodeThread;
  progress?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('emulate')
    .description(
      'Emulate Azure VNet flow logs and NSG flow logs for a scenario and write PT1H.json blobs block by block,\n' +
        'to a folder or to Azure Blob Storage (Azurite or a real account).',
    )
    .argument('[scenario]', 'scenario file (YAML or JSON); omit with --synthetic-nics')
    .option('--out <dir>', 'write blobs under this folder (<dir>/<container>/<blob name>)')
    .option(
      '--blob <target>',
      'storage connection string, account SAS URL, or account URL (DefaultAzureCredential)',
    )
    .option('--start <iso>', 'start of simulated time, UTC (default: the profile default)')
    .option('--duration <d>', 'simulated duration, e.g. 20m, 1h, 2h30m', '1h')
    .option('--profile <name>', `behaviour profile: ${PROFILE_NAMES.join(' | ')}`, 'ga')
    .option('--seed <n>', 'random seed (same seed ⇒ byte-identical output)', parseIntegerOption('--seed'))
    .option('--realtime', 'commit each minute as wall-clock minutes pass, for live pipelines')
    .option(
      '--minute-ms <n>',
      'length of a simulated minute with --realtime (tests)',
      parseIntegerOption('--minute-ms'),
    )
    .option(
      '--synthetic-nics <n>',
      'emulate a generated hub-and-spoke network with N NICs',
      parseIntegerOption('--synthetic-nics'),
    )
    .option('--commit <mode>', 'fast-forward commits: minute (as Azure) or batched (default for --out)')
    .option(
      '--encode-thread <where>',
      'where records are written: auto (a worker thread for mid-sized runs), worker or main',
      'auto',
    )
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print the summary as JSON')
    .action(
      runAction(async (scenarioPath: string | undefined, opts: EmulateCliOptions) => {
        if (!opts.out === !opts.blob)
          throw new UsageError('give exactly one of --out DIR or --blob CONNECTION_STRING_OR_SAS_URL');
        if (!scenarioPath === !opts.syntheticNics)
          throw new UsageError('give a scenario file or --synthetic-nics N (not both)');
        if (opts.commit && opts.commit !== 'minute' && opts.commit !== 'batched')
          throw new UsageError('--commit is minute or batched');
        if (!ENCODE_THREADS.includes(opts.encodeThread ?? 'auto'))
          throw new UsageError('--encode-thread is auto, worker or main');
        let scenario: Scenario;
        let serviceTags: ServiceTagSet | undefined;
        if (scenarioPath) {
          const loaded = loadScenario(scenarioPath);
          scenario = loaded.scenario;
          serviceTags = loaded.serviceTags;
        } else scenario = syntheticScenario(opts.syntheticNics as number, opts.seed ?? 1);
        const sink = opts.out
          ? createFolderSink(opts.out, FLOW_LOG_BLOB_FRAMING)
          : createAzureBlobSink(blobServiceFrom(opts.blob as string), FLOW_LOG_BLOB_FRAMING);
        const showBar = opts.progress !== false && process.stderr.isTTY && !opts.json;
        const bar = showBar
          ? new cliProgress.SingleBar(
              {
                format: 'emulate [{bar}] {value}/{total} min | {tuples} tuples | {records} records',
                hideCursor: true,
              },
              cliProgress.Presets.shades_classic,
            )
          : null;
        let lastLine = Date.now();
        let started = false;
        const summary = await emulate(
          scenario,
          sink,
          {
            start: opts.start,
            duration: opts.duration,
            profile: opts.profile,
            seed: opts.seed,
            realtime: opts.realtime ?? false,
            minuteMs: opts.minuteMs,
            commit: opts.commit ?? (opts.out ? 'batched' : 'minute'),
            encodeThread: opts.encodeThread,
          },
          {
            onMinute(m, s) {
              if (bar) {
                if (!started) {
                  bar.start(Math.ceil((parseDurationSeconds(opts.duration) ?? 60) / 60), 0, {
                    tuples: 0,
                    records: 0,
                  });
                  started = true;
                }
                bar.update(s.minutes, { tuples: s.tuples, records: s.records });
              } else if (!opts.json && (opts.realtime || Date.now() - lastLine > 5000)) {
                lastLine = Date.now();
                process.stderr.write(`minute ${m.minute + 1}: ${s.records} records, ${s.tuples} tuples\n`);
              }
            },
          },
          { serviceTags },
        );
        bar?.stop();
        await sink.close();
        if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else
          process.stdout.write(
            `${sink.target}: ${summary.blobs} blobs, ${summary.records} records (${summary.vnetRecords} VNet, ${summary.nsgRecords} NSG), ` +
              `${summary.tuples} tuples, ${summary.minutes} minutes from ${summary.start} (profile ${summary.profile}, seed ${summary.seed}) in ${(summary.elapsedMs / 1000).toFixed(1)} s\n`,
          );
      }),
    );
}
