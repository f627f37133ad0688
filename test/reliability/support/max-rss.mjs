// Preloaded (node --import) into a child whose peak memory a test bounds: at exit, writes the
// process's peak resident set size (KiB, from getrusage) to the file named by FLOWLENS_MAX_RSS_FILE.
import { writeFileSync } from 'node:fs';
import process from 'node:process';

process.on('exit', () => {
  const file = process.env.FLOWLENS_MAX_RSS_FILE;
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS));
});
