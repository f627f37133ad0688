import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Starts `flowlens <args>` as its own Node process (TypeScript through tsx's loader, one process:
 * a SIGKILL hits the ingester itself, not a wrapper). `ingest` runs through an entry that registers
 * only the ingest command (same module as the CLI's) to keep start-up short.
 */
export function spawnCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
} {
  const entry = args[0] === 'ingest' ? 'test/ingest/support/ingest-main.ts' : 'src/cli/main.ts';
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => {
    child.on('exit', (code, signal) => {
      // Let the pipes drain.
      setImmediate(() => resolve({ code, signal, stdout, stderr }));
    });
  });
  return { child, done };
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnCli(args, env).done;
}
