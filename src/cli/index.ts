import { Command } from 'commander';
import { createRequire } from 'node:module';
import type { RegisterCommand } from './program.js';
// COMMAND IMPORTS (one line per command)
import { register as registerExport } from './commands/export.js';
import { register as registerVerify } from './commands/verify.js';
import { register as registerImport } from './commands/import.js';
import { register as registerParse } from './commands/parse.js';
import { register as registerDemo } from './commands/demo.js';
import { register as registerCoverage } from './commands/coverage.js';
import { register as registerMigrate } from './commands/migrate.js';
import { register as registerEmulate } from './commands/emulate.js';
import { register as registerQuery } from './commands/query.js';
import { register as registerIngest } from './commands/ingest.js';
import { register as registerServe } from './commands/serve.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

// One entry per command; each command file is thin and calls the library modules.
const commands: RegisterCommand[] = [
  // COMMAND LIST (one line per command)
  registerExport,
  registerVerify,
  registerImport,
  registerParse,
  registerDemo,
  registerCoverage,
  registerMigrate,
  registerEmulate,
  registerQuery,
  registerIngest,
  registerServe,
];

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('flowlens')
    .description(
      'Azure VNet and NSG flow logs on a laptop: emulate them, verify rules offline,\n' +
        'ingest blobs incrementally, and query Traffic Analytics-shaped tables with KQL or SQL.',
    )
    .version(version)
    .showHelpAfterError('(run with --help for usage)');
  for (const register of commands) register(program);
  for (const command of program.commands) tidyHelp(command);
  // List commands in pipeline order, whatever order the files registered in.
  const order = Object.keys(SUMMARIES);
  const rank = (c: Command) => (order.includes(c.name()) ? order.indexOf(c.name()) : order.length);
  (program.commands as Command[]).sort((a, b) => rank(a) - rank(b));
  return program;
}

/**
 * Command files write descriptions as wrapped prose; commander wraps again, so the line breaks
 * are folded here, and the command list shows only each description's first sentence.
 */
const SUMMARIES: Record<string, string> = {
  demo: "re-run the 2023 article's VNet vs NSG flow log lab and print its tables",
  emulate: 'write VNet and NSG flow logs for a scenario, block by block, as Azure does',
  verify: 'offline "IP flow verify" through AVNM admin rules and NSGs',
  import: 'build a scenario from az CLI / ARM / Resource Graph JSON exports',
  parse: 'decode PT1H.json files and fragments into one tuple per line',
  ingest: 'ingest only the new blocks of flow-log blobs into DuckDB or ClickHouse',
  query: 'run KQL or read-only SQL over the stored tables',
  serve: 'serve the web console and its JSON API',
  coverage: 'which flow logs record each traffic pattern, and why not',
  migrate: 'plan the move from NSG flow logs to VNet flow logs',
  export: 'export a stored table as Parquet or CSV',
};

function tidyHelp(command: Command): void {
  const description = command.description().replace(/\s*\n\s*/g, ' ').trim();
  command.description(description);
  const summary = SUMMARIES[command.name()];
  if (summary) command.summary(summary);
  else if (!command.summary()) {
    const sentence = /^(.+?\.)(\s|$)/.exec(description)?.[1] ?? description;
    command.summary(sentence.replace(/\.$/, '').replace(/^./, (c) => c.toLowerCase()));
  }
}
