import { openConsoleBackend, startConsoleServer } from '../console/index.js';

/** Serves the demo's store with the web console until the process is interrupted. */
export async function startDemoConsole(options: { db: string; port: number; log: (line: string) => void }): Promise<void> {
  const { backend, label } = await openConsoleBackend({ db: options.db });
  const server = await startConsoleServer({ backend, storeLabel: label, port: options.port });
  options.log(`console: ${server.url}  (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      void server.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
