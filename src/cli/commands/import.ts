import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { importAzureFolder } from '../../model/index.js';
import { runAction } from '../program.js';

interface ImportCliOptions {
  out?: string;
  subscription?: string;
  resourceGroup?: string;
}

export function register(program: Command): void {
  const cmd = program.command('import').description('Build a scenario from real configuration exports.');
  cmd
    .command('azure')
    .description(
      'Read every *.json under <dir> (az ... list/show -o json output, REST/Resource Graph results, or ARM\n' +
        'template exports with literal names), dispatch each resource on its `type`, and write a scenario.\n' +
        'Unknown resource types are listed and ignored.',
    )
    .argument('<dir>', 'folder of JSON files')
    .option('--out <file>', 'write the scenario here (.yaml/.yml or .json); default: YAML on stdout')
    .option('--subscription <guid>', 'subscription for ARM template exports (they carry no resource IDs)')
    .option('--resource-group <name>', 'resource group for ARM template exports')
    .action(
      runAction((dir: string, opts: ImportCliOptions) => {
        const result = importAzureFolder(dir, { subscription: opts.subscription, resourceGroup: opts.resourceGroup });
        const text = opts.out?.toLowerCase().endsWith('.json') ? `${JSON.stringify(result.scenario, null, 2)}\n` : stringify(result.scenario, { lineWidth: 0 });
        if (opts.out) writeFileSync(opts.out, text);
        else process.stdout.write(text);
        const s = result.loaded.scenario;
        const summary = [
          `imported ${s.vnets.length} VNets, ${s.nsgs.length} NSGs, ${s.nics.length} NICs, ${s.asgs.length} ASGs, ` +
            `${s.privateEndpoints.length} private endpoints, ${s.networkManagers.length} network managers, ${s.flowLogs.length} flow logs` +
            (opts.out ? ` -> ${opts.out}` : ''),
          ...result.notes.map((n) => `note: ${n}`),
          ...result.ignored.map((i) => `ignored: ${i.file}: ${i.type} ${i.name}`),
        ];
        process.stderr.write(`${summary.join('\n')}\n`);
      }),
    );
}
