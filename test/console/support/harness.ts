/**
 * Shared set-up of the console tests: a seeded DuckDB store file, the built web app, a console
 * server, and Chromium through playwright-core with a fresh profile.
 */
import { mkdtempSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { seedMinutes } from './seed.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const WEB_ROOT = join(ROOT, 'dist', 'console', 'web');
export const SCREENSHOTS = join(ROOT, 'test-results', 'console');

/** Builds the web app when `npm run build` has not (e.g. running this file alone). */
export async function ensureWebBuilt(): Promise<string> {
  if (!existsSync(join(WEB_ROOT, 'index.html'))) {
    const { build } = await import('vite');
    await build({ configFile: join(ROOT, 'src', 'console', 'web', 'vite.config.ts'), logLevel: 'error' });
  }
  if (!existsSync(join(WEB_ROOT, 'index.html'))) throw new Error(`web app not built at ${WEB_ROOT}`);
  return WEB_ROOT;
}

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A DuckDB store file holding `minutes` minutes of seeded traffic, closed again. */
export async function seededStoreFile(dir: string, minutes = 60): Promise<string> {
  const file = join(dir, 'console.duckdb');
  const store: Store = await openStore({ db: file, intervalMinutes: 1 });
  try {
    await seedMinutes(store, 0, minutes);
  } finally {
    await store.close();
  }
  return file;
}

export const CHROMIUM = '/usr/bin/chromium';

export async function launchBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (.ci/run installs Debian's chromium)`);
  const profile = tempDir('flowlens-chromium-');
  const context = await chromium.launchPersistentContext(profile.dir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return {
    context,
    close: async () => {
      await context.close();
      profile.remove();
    },
  };
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, `${name}.png`);
}

/**
 * A DuckDB store file filled the way a user fills it: the emulator writes `duration` of the
 * scenario's flow logs to a folder, ingestion decodes them and analytics derives the Traffic
 * Analytics tables (with a threat list, so malicious flows exist). Returns the file path.
 */
export async function pipelineStoreFile(dir: string, scenarioFile: string, duration: string, threatsCsv?: string): Promise<string> {
  const { writeFileSync } = await import('node:fs');
  const { loadScenario } = await import('../../../src/model/index.js');
  const { emulate, FLOW_LOG_BLOB_FRAMING } = await import('../../../src/emulator/index.js');
  const { createFolderSink, openFolderSources } = await import('../../../src/storage/index.js');
  const { createDeriver, runIngest } = await import('../../../src/ingest/index.js');
  const folder = join(dir, 'blobs');
  const { scenario } = loadScenario(scenarioFile);
  await emulate(scenario, createFolderSink(folder, FLOW_LOG_BLOB_FRAMING), { start: '2026-11-20T10:00:00Z', duration, seed: 5 });
  let threats: string | undefined;
  if (threatsCsv) {
    threats = join(dir, 'threats.csv');
    writeFileSync(threats, threatsCsv);
  }
  const file = join(dir, 'console.duckdb');
  const store = await openStore({ db: file, intervalMinutes: 1 });
  try {
    const derive = await createDeriver({ topology: scenarioFile, threats });
    const summary = await runIngest({ sources: await openFolderSources(folder), store, derive, workers: 0, log: () => {} });
    if (summary.errors > 0) throw new Error(`ingest reported ${summary.errors} errors`);
  } finally {
    await store.close();
  }
  return file;
}
