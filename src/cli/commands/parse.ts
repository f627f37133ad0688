import { Command } from 'commander';
import { createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { UsageError } from '../../errors.js';
import { describeSummary, parseFlowLogFiles, type RowFormat } from '../../formats/index.js';
import { runAction } from '../program.js';

interface ParseCliOptions {
  format: string;
  out?: string;
  lenient?: boolean;
}

function writerTo(stream: NodeJS.WritableStream | WriteStream) {
  return async (text: string): Promise<void> => {
    if (!stream.write(text)) await once(stream, 'drain');
  };
}

export function register(program: Command): void {
  program
    .command('parse')
    .description(
      'Decode VNet (v4) and NSG (v1/v2) flow-log files into one normalised tuple per line, with the\n' +
        'FlowBatch row names as keys/columns. Directories are walked for PT1H.json files. A summary line\n' +
        '(files, records, tuples, skipped, errors) goes to stderr; malformed input exits 1 with its location.',
    )
    .argument('<paths...>', 'PT1H.json files, fragments of blocks, or directories to walk')
    .option('--format <format>', 'jsonl | csv', 'jsonl')
    .option('--out <file>', 'write rows to this file (written whole or not at all) instead of stdout')
    .option('--lenient', 'skip malformed tuples and records, count them by reason, and go on')
    .action(
      runAction(async (paths: string[], opts: ParseCliOptions) => {
        if (opts.format !== 'jsonl' && opts.format !== 'csv') throw new UsageError('--format is jsonl or csv');
        const partial = opts.out ? `${opts.out}.partial-${process.pid}` : null;
        const out = partial ? createWriteStream(partial) : process.stdout;
        const result = await parseFlowLogFiles(paths, {
          format: opts.format as RowFormat,
          lenient: opts.lenient === true,
          write: writerTo(out),
          onFileError: (_file, error) => process.stderr.write(`flowlens parse: ${error.message}\n`),
        });
        if (partial && opts.out) {
          const stream = out as WriteStream;
          stream.end();
          await once(stream, 'close');
          if (result.error) rmSync(partial, { force: true });
          else renameSync(partial, opts.out);
        }
        process.stderr.write(`flowlens parse: ${describeSummary(result)}\n`);
        if (result.error) throw result.error;
      }),
    );
}
