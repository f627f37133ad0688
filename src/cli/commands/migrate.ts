import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import {
  loadCoverageInput,
  planMigration,
  readStoreVolume,
  renderMigrationPlan,
} from '../../coverage/index.js';
import { PROFILE_NAMES } from '../../emulator/index.js';
import { runAction } from '../program.js';

interface MigrateCliOptions {
  db?: string;
  pricePerGb?: string;
  json?: boolean;
  bicep?: string;
  profile: string;
}

/** `plan.bicep` → `plan.<sub>-<rg>.bicep` when the plan spans several watcher resource groups. */
function bicepPath(base: string, index: number, count: number, sub: string, rg: string): string {
  if (count === 1) return base;
  const stem = base.replace(/\.bicep$/i, '');
  return `${stem}.${sub.slice(0, 8)}-${rg}.bicep`.replace(/[^\w./-]/g, '_') || `${stem}.${index}.bicep`;
}

export function register(program: Command): void {
  program
    .command('migrate')
    .description(
      'Plan the move from NSG flow logs to VNet flow logs: the fewest VNet flow logs that cover every NIC the NSG flow\n' +
        'logs see, which NSG flow logs to delete, settings carried over, GB/month from a store, az commands, Bicep,\n' +
        'and a coverage diff showing nothing recorded today is lost.',
    )
    .argument('<input>', 'scenario file (YAML/JSON) or a folder of Azure CLI / ARM JSON exports')
    .option('--db <file>', 'flowlens DuckDB store to estimate GB/month from (read only)')
    .option('--price-per-gb <usd>', 'price per GB of flow logs collected (UNCONFIRMED default 0.50)')
    .option('--profile <name>', `behaviour profile: ${PROFILE_NAMES.join(' | ')}`, 'ga')
    .option('--bicep <file>', 'write the Bicep for the new flow logs here')
    .option('--json', 'print the plan as one JSON object')
    .action(
      runAction(async (input: string, opts: MigrateCliOptions) => {
        if (!(PROFILE_NAMES as string[]).includes(opts.profile))
          throw new UsageError(`--profile is one of ${PROFILE_NAMES.join(', ')}`);
        const price = opts.pricePerGb === undefined ? undefined : Number(opts.pricePerGb);
        if (price !== undefined && !(price >= 0))
          throw new UsageError(`--price-per-gb must be a number ≥ 0, got "${opts.pricePerGb}"`);
        const { scenario, serviceTags } = loadCoverageInput(input);
        const volume = opts.db ? await readStoreVolume(opts.db) : undefined;
        const plan = planMigration(
          scenario,
          { profile: opts.profile, pricePerGb: price },
          { serviceTags, volume },
        );
        const written: string[] = [];
        if (opts.bicep && plan.bicep.length === 0)
          process.stderr.write('flowlens: no Bicep written: the plan creates no flow log\n');
        if (opts.bicep) {
          plan.bicep.forEach((f, i) => {
            const path = bicepPath(
              opts.bicep as string,
              i,
              plan.bicep.length,
              f.subscription,
              f.resourceGroup,
            );
            writeFileSync(path, f.text + '\n');
            written.push(path);
          });
        }
        if (opts.json) {
          const { after: _after, before: _before, afterReport: _afterReport, ...rest } = plan;
          process.stdout.write(JSON.stringify({ ...rest, bicepFiles: written }) + '\n');
        } else {
          process.stdout.write(renderMigrationPlan(plan));
          for (const w of written) process.stdout.write(`Bicep written to ${w}\n`);
        }
        if (!plan.diff.superset) process.exitCode = 1;
      }),
    );
}
