import { Command } from 'commander';
import { createRequire } from 'node:module';
import type { RegisterCommand } from './program.js';
// COMMAND IMPORTS (one line per command)
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
  return program;
}
