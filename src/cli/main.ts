#!/usr/bin/env node
import { buildProgram } from './index.js';

// `flowlens parse … | head` closes stdout early; that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

await buildProgram().parseAsync(process.argv);
