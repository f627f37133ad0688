import { spawn } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteHandle } from '../support/azurite.js';
import { freePort } from '../support/ports.js';

/**
 * Runs every command of the README's `sh` examples, in order, in a scratch folder, so the README
 * cannot rot. `npm` lines are the set-up contract CI itself runs; `az` lines need a subscription
 * and are replaced by the exports the import tests use; `$AZURE_STORAGE_CONNECTION_STRING` points
 * at a real Azurite; `flowlens serve` runs until it answers, then stops.
 */
const repo = process.cwd();

function readmeCommands(markdown: string): string[] {
  const commands: string[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1].split('\n')) {
      const command = line.trim();
      if (command && !command.startsWith('#')) commands.push(command);
    }
  }
  return commands;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runShell(command: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 180_000): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a long-running command and waits until `ready` matches its output, then stops it. */
function runUntilReady(command: string, cwd: string, env: NodeJS.ProcessEnv, ready: RegExp): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', `exec ${command}`], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const check = () => {
      const url = ready.exec(stdout + stderr)?.[0];
      if (!url) return;
      // The API answering with numbers from the store is what "the console runs" means here.
      fetch(new URL('/api/overview', url))
        .then(async (res) => {
          stdout += `\nHTTP ${res.status} ${(await res.text()).slice(0, 200)}`;
        })
        .catch((err: Error) => {
          stderr += `\nfetch failed: ${err.message}`;
        })
        .finally(() => child.kill('SIGTERM'));
      child.stdout.off('data', onData);
      child.stderr.off('data', onData);
    };
    const onData = (d: Buffer, sink: 'out' | 'err') => {
      if (sink === 'out') stdout += d;
      else stderr += d;
      check();
    };
    child.stdout.on('data', (d) => onData(d, 'out'));
    child.stderr.on('data', (d) => onData(d, 'err'));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('README examples', () => {
  let dir: string;
  let azurite: AzuriteHandle;
  let env: NodeJS.ProcessEnv;
  let commands: string[];

  beforeAll(async () => {
    commands = readmeCommands(await readFile(join(repo, 'README.md'), 'utf8'));
    dir = await mkdtemp(join(tmpdir(), 'flowlens-readme-'));
    await cp(join(repo, 'examples'), join(dir, 'examples'), { recursive: true });
    // What `az network … list -o json` would have written (the import tests' Azure CLI fixtures).
    await cp(join(repo, 'test', 'model', 'testdata', 'azure-cli'), join(dir, 'exports'), { recursive: true });
    const bin = join(dir, '.bin');
    await mkdir(bin);
    await writeFile(join(bin, 'flowlens'), `#!/bin/sh\nexec "${process.execPath}" "${join(repo, 'dist', 'cli', 'main.js')}" "$@"\n`);
    await chmod(join(bin, 'flowlens'), 0o755);
    azurite = await startAzurite();
    env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString };
  }, 120_000);

  afterAll(async () => {
    await azurite?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('has the set-up commands and examples of every main command', () => {
    expect(commands).toContain('npm ci && npm run demo');
    expect(commands).toContain('npm ci && npm test');
    for (const name of ['emulate', 'verify', 'ingest', 'query', 'coverage', 'migrate', 'export', 'serve', 'import azure']) {
      expect(commands.some((c) => c.startsWith(`flowlens ${name}`)), name).toBe(true);
    }
  });

  it('runs every flowlens command in it, in order, successfully', async () => {
    const ran: string[] = [];
    for (const command of commands) {
      if (command.startsWith('npm ') || command.startsWith('az ')) continue;
      expect(command.startsWith('flowlens '), `README example is not a flowlens command: ${command}`).toBe(true);
      if (command.startsWith('flowlens serve')) {
        const port = await freePort();
        const result = await runUntilReady(`${command} --port ${port}`, dir, env, /http:\/\/127\.0\.0\.1:\d+\/?/);
        expect(result.stdout, `${command}\n${result.stderr}`).toMatch(/HTTP 200/);
      } else {
        const result = await runShell(command, dir, env);
        expect(result.code, `${command}\nstdout: ${result.stdout.slice(-2000)}\nstderr: ${result.stderr.slice(-2000)}`).toBe(0);
      }
      ran.push(command);
    }
    expect(ran.length).toBeGreaterThanOrEqual(12);
  }, 900_000);
});
