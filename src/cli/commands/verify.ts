import { Command, Option } from 'commander';
import { statSync } from 'node:fs';
import { importAzureFolder, loadScenario, type LoadedScenario } from '../../model/index.js';
import { formatVerifyText, verifyFlow, verifyResultJson, type NsgOrder } from '../../policy/index.js';
import { parseIntegerOption, runAction } from '../program.js';

interface VerifyCliOptions {
  from: string;
  to: string;
  protocol: string;
  port?: number;
  srcPort?: number;
  nsgOrder?: NsgOrder;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('verify')
    .description(
      'Offline "IP flow verify": evaluate AVNM security admin rules and NSGs for one flow and show the decision,\n' +
        'the deciding rule, what VNet and NSG flow logs would record, and the whole evaluation chain.',
    )
    .argument('<scenario>', 'scenario file (YAML/JSON) or a folder of Azure CLI / ARM JSON exports')
    .requiredOption('--from <vm|nic|ip>', 'source: VM, NIC, private endpoint or external host name, or an IPv4 address')
    .requiredOption('--to <vm|nic|ip>', 'destination (a NIC public IP is evaluated at that NIC)')
    .requiredOption('--protocol <tcp|udp|icmp>', 'protocol (also esp, ah)')
    .option('--port <n>', 'destination port (tcp/udp)', parseIntegerOption('--port'))
    .option('--src-port <n>', 'source port (default 49152)', parseIntegerOption('--src-port'))
    .addOption(new Option('--nsg-order <order>', "subnet/NIC NSG order (default: the scenario's nsgEvaluationOrder)").choices(['documented', 'subnet-first', 'nic-first']))
    .option('--json', 'print one JSON object {decision, rule, chain, recordedRule, ...}')
    .action(
      runAction((input: string, opts: VerifyCliOptions) => {
        const loaded: LoadedScenario = statSync(input, { throwIfNoEntry: false })?.isDirectory() ? importAzureFolder(input).loaded : loadScenario(input);
        const result = verifyFlow(loaded, opts);
        process.stdout.write(opts.json ? `${JSON.stringify(verifyResultJson(result))}\n` : formatVerifyText(result));
      }),
    );
}
