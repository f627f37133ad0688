import { Command } from 'commander';
import { register } from '../../../src/cli/commands/ingest.js';

/**
 * `flowlens ingest` alone: the real command module, without loading every other command, so the
 * crash test's twenty restarts do not pay the whole CLI's start-up each time.
 */
const program = new Command().name('flowlens');
register(program);
await program.parseAsync(process.argv);
