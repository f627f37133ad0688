import type { Command } from 'commander';
import { renderDemoReport, runDemo } from '../../demo/index.js';
import { runAction } from '../program.js';

interface DemoCliOptions {
  out: string;
  scenario?: string;
  serve: boolean;
  port: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('demo')
    .summary("re-run the 2023 article's VNet vs NSG flow log experiment locally")
    .description(
      "Emulates one hour of examples/seed-lab.yaml under both behaviour profiles, ingests the blobs into\n" +
        "DuckDB, and prints the article's tables computed from the emitted logs; then serves the console.",
    )
    .option('--out <dir>', 'working folder (emptied first)', 'demo-data')
    .option('--scenario <file>', 'another scenario with the same lab names')
    .option('--no-serve', 'stop after printing the tables')
    .option('--port <n>', 'console port', '8080')
    .option('--json', 'print the report as JSON')
    .action(
      runAction(async (opts: DemoCliOptions) => {
        const log = opts.json ? () => {} : (line: string) => process.stderr.write(`${line}\n`);
        const report = await runDemo({ outDir: opts.out, scenarioPath: opts.scenario, log });
        process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : `${renderDemoReport(report)}\n`);
        log(`demo finished in ${report.seconds.toFixed(1)} s; store: ${report.storePath}`);
        if (opts.serve) {
          // The same `flowlens serve` a user would run next, on the demo's store and scenario.
          const { buildProgram } = await import('../index.js');
          await buildProgram().parseAsync(['serve', '--db', report.storePath, '--scenario', report.scenarioPath, '--port', opts.port], {
            from: 'user',
          });
        }
      }),
    );
}
