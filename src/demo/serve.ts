import { openConsoleBackend, startConsoleServer } from '../console/index.js';
import { loadConsoleTopology } from '../console/scenario.js';

/** Serves the demo's store and scenario with the web console until the process is interrupted. */
export async function startDemoConsole(options: {
  db: string;
  scenario: string;
  port: number;
  log: (line: string) => void;
}): Promise<void> {
  const { backend, label } = await openConsoleBackend({ db: options.db });
  const loaded = await loadConsoleTopology(options.scenario);
  const server = await startConsoleServer({
    backend,
    storeLabel: label,
    port: options.port,
    topology: loaded.topology,
    scenario: loaded.scenario,
  });
  options.log(`console: ${server.url}  (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      void server.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
