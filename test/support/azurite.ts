import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from './ports.js';

/** The well-known development account every Azurite instance accepts. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteHandle {
  port: number;
  connectionString: string;
  blobEndpoint: string;
  stop(): Promise<void>;
  /** Kills the server process (for fault tests) without waiting politely. */
  kill(): void;
  process: ChildProcess;
}

/**
 * Starts a real Azurite blob service from node_modules on a free loopback port, in memory.
 * Fails with Azurite's own output when it does not come up: tests never skip for a missing server.
 */
export async function startAzurite(options: { port?: number; timeoutMs?: number } = {}): Promise<AzuriteHandle> {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('azurite/package.json'));
  const entry = join(pkgDir, 'dist', 'src', 'blob', 'main.js');
  const port = options.port ?? (await freePort());
  const child = spawn(
    process.execPath,
    [
      entry,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(port),
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--disableTelemetry',
      '--loose',
      '--silent',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const timeoutMs = options.timeoutMs ?? 30_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Azurite did not start on 127.0.0.1:${port} within ${timeoutMs} ms. Output:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('successfully listens on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with code ${code} before listening. Output:\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  const blobEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
    `BlobEndpoint=${blobEndpoint};`;
  return {
    port,
    connectionString,
    blobEndpoint,
    process: child,
    kill: () => {
      child.kill('SIGKILL');
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
