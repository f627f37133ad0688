/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Code inside page.evaluate() runs in the browser.
/**
 * Live updates end to end: the emulator writes blocks in (accelerated) real time, ingestion
 * follows them into the store, and the Overview open in Chromium changes without a reload
 * within 5 s of the new rows being committed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { emulate, FLOW_LOG_BLOB_FRAMING } from '../../src/emulator/index.js';
import { createFolderSink, openFolderSources } from '../../src/storage/index.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { createDeriver, runIngest } from '../../src/ingest/index.js';
import { loadScenario } from '../../src/model/index.js';
import { startConsoleServer, storeBackend, type ConsoleServer } from '../../src/console/index.js';
import { topologyFromScenario } from '../../src/console/scenario.js';
import { ensureWebBuilt, launchBrowser, ROOT, screenshotPath, tempDir } from './support/harness.js';

const HUB_SPOKE = join(ROOT, 'examples', 'hub-spoke.yaml');
const SCENARIO = existsSync(HUB_SPOKE) ? HUB_SPOKE : join(ROOT, 'examples', 'seed-lab.yaml');
const START = '2026-11-20T10:00:00Z';

let dir: ReturnType<typeof tempDir>;
let store: Store;
let server: ConsoleServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;

const FLOWS_SQL = 'SELECT sum(AllowedInFlows + AllowedOutFlows + DeniedInFlows + DeniedOutFlows), count(*) FROM NTANetAnalytics';

beforeAll(async () => {
  await ensureWebBuilt();
  dir = tempDir('flowlens-console-live-');
  store = await openStore({ db: join(dir.dir, 'live.duckdb'), intervalMinutes: 1 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await store?.close();
  dir?.remove();
});

describe('live overview', () => {
  it(`changes within 5 s after emulate → ingest --follow commits new blocks (${SCENARIO.split('/').pop()})`, async () => {
    const { scenario } = loadScenario(SCENARIO);
    const folder = join(dir.dir, 'blobs');
    const derive = await createDeriver({ topology: SCENARIO });

    // A first stretch of emulated time, ingested before the console opens.
    await emulate(scenario, createFolderSink(folder, FLOW_LOG_BLOB_FRAMING), { start: START, duration: '4m', seed: 11 });
    await runIngest({ sources: await openFolderSources(folder), store, derive, workers: 0, log: () => {} });
    const [[flowsBefore]] = (await store.query(FLOWS_SQL)).rows;
    expect(Number(flowsBefore)).toBeGreaterThan(0);

    server = await startConsoleServer({
      backend: storeBackend(store),
      port: 0,
      topology: topologyFromScenario(scenario),
      scenario,
      storeLabel: 'DuckDB (live test)',
      pollIntervalMs: 500,
    });
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.goto(`${server.url}#/overview`);
    await page.waitForFunction((v) => document.querySelector('[data-metric="flows"]')?.getAttribute('data-value') === v, String(flowsBefore));
    // Record in the page when each flows total first appears, so the delay is measured from
    // the commit to the moment the number is on screen, not to when this test looks.
    await page.evaluate(() => {
      const w = window as unknown as { __sameDocument: boolean; __seen: Record<string, number> };
      w.__sameDocument = true;
      w.__seen = {};
      const note = () => {
        const v = document.querySelector('[data-metric="flows"]')?.getAttribute('data-value');
        if (v && !(v in w.__seen)) w.__seen[v] = Date.now();
      };
      note();
      new MutationObserver(note).observe(document.getElementById('main') as HTMLElement, { subtree: true, childList: true, attributes: true });
    });
    await page.screenshot({ path: screenshotPath('live-before'), fullPage: true });

    // Now the same hour keeps growing block by block while ingestion follows it.
    const controller = new AbortController();
    const commits: number[] = [];
    const follow = runIngest({
      sources: await openFolderSources(folder),
      store,
      derive,
      workers: 0,
      follow: true,
      intervalMs: 200,
      signal: controller.signal,
      onCommit: () => commits.push(Date.now()),
      log: () => {},
    });
    try {
      await emulate(scenario, createFolderSink(folder, FLOW_LOG_BLOB_FRAMING), { start: START, duration: '8m', seed: 11, realtime: true, minuteMs: 250 });
      // Wait until ingestion has taken the last blocks: the live store holds what a one-shot
      // ingest of the finished folder holds (on a loaded machine "the totals stopped changing"
      // can be a pause, not the end).
      const reference = await openStore({ db: join(dir.dir, 'reference.duckdb'), intervalMinutes: 1 });
      let expected: string;
      try {
        await runIngest({ sources: await openFolderSources(folder), store: reference, derive, workers: 0, log: () => {} });
        expected = JSON.stringify((await reference.query(FLOWS_SQL)).rows);
      } finally {
        await reference.close();
      }
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
        if (JSON.stringify((await store.query(FLOWS_SQL)).rows) === expected) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(JSON.stringify((await store.query(FLOWS_SQL)).rows)).toBe(expected);
    } finally {
      controller.abort();
      await follow;
    }
    const [[flowsAfter]] = (await store.query(FLOWS_SQL)).rows;
    expect(Number(flowsAfter)).toBeGreaterThan(Number(flowsBefore));
    expect(commits.length).toBeGreaterThan(0);
    const lastCommit = Math.max(...commits);

    await page.waitForFunction((v) => document.querySelector('[data-metric="flows"]')?.getAttribute('data-value') === v, String(flowsAfter), { timeout: 15_000 });
    const seen = await page.evaluate(() => (window as unknown as { __seen: Record<string, number> }).__seen);
    const shownAt = seen[String(flowsAfter)];
    process.stdout.write(`live overview: last commit → new total on screen ${shownAt - lastCommit} ms\n`);
    expect(shownAt - lastCommit).toBeLessThan(5_000);
    // Same document: no reload happened.
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    await page.screenshot({ path: screenshotPath('live-after'), fullPage: true });
  }, 240_000);
});
