import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { coverage, coverageTable, loadCoverageInput, renderCoverageReport } from '../../coverage/index.js';
import { PROFILE_NAMES } from '../../emulator/index.js';
import { runAction } from '../program.js';

interface CoverageCliOptions {
  json?: boolean;
  profile: string;
  at?: string;
}

export function register(program: Command): void {
  program
    .command('coverage')
    .description(
      'For every traffic pattern of a scenario (or every NIC pair when it has none): which NSG flow logs and\n' +
        'VNet flow logs record it, in which blob, and if not, why. Prints the coverage table of the 2023 article\n' +
        'computed for this scenario, and a per-pattern table.',
    )
    .argument('<input>', 'scenario file (YAML/JSON) or a folder of Azure CLI / ARM JSON exports')
    .option('--profile <name>', `behaviour profile: ${PROFILE_NAMES.join(' | ')}`, 'ga')
    .option('--at <iso>', 'time the blob paths are given for (default: the profile default start)')
    .option('--json', 'print {table, report} as one JSON object')
    .action(
      runAction((input: string, opts: CoverageCliOptions) => {
        if (!(PROFILE_NAMES as string[]).includes(opts.profile))
          throw new UsageError(`--profile is one of ${PROFILE_NAMES.join(', ')}`);
        const { scenario, serviceTags } = loadCoverageInput(input);
        const report = coverage(scenario, { profile: opts.profile, at: opts.at }, serviceTags);
        if (opts.json) process.stdout.write(JSON.stringify({ table: coverageTable(report), report }) + '\n');
        else process.stdout.write(renderCoverageReport(report));
      }),
    );
}
