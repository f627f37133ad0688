/**
 * Load: the console under 50 concurrent clients (plain fetch loops, loopback only), each issuing
 * overview and KQL requests in turn. Every request must succeed; p50/p99 latency is reported in
 * the table (timing is reported, never asserted).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDuckDbFileBackend, startConsoleServer, type ConsoleBackend, type ConsoleServer } from '../../src/console/index.js';
import { seededStoreFile } from '../console/support/harness.js';
import { record } from './support/report.js';
import { bounded } from './support/mode.js';

const CLIENTS = 50;
const KQL = [
  'NTANetAnalytics | summarize flows = count() by FlowDirection',
  'NTANetAnalytics | summarize bytes = sum(BytesSrcToDest) by SrcIp | top 5 by bytes',
  'NTANetAnalytics | where FlowStatus == "Denied" | summarize n = count()',
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

describe('load', () => {
  let dir: string;
  let backend: ConsoleBackend;
  let server: ConsoleServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowlens-load-'));
    mkdirSync(join(dir, 's'));
    backend = await openDuckDbFileBackend(await seededStoreFile(join(dir, 's'), bounded(10, 60)));
    server = await startConsoleServer({ backend, host: '127.0.0.1', port: 0 });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`console: ${CLIENTS} concurrent clients, overview and KQL, no failed request`, async () => {
    const perClient = bounded(2, 20);
    const base = `http://127.0.0.1:${server.port}`;
    const latencies: number[] = [];
    const failures: string[] = [];
    // Warm-up (Kusto.Language loads on the first KQL request); not measured.
    await fetch(`${base}/api/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ language: 'kql', text: KQL[0] }) });
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let i = 0; i < perClient; i++) {
          const kql = (client + i) % 2 === 1;
          const t0 = performance.now();
          try {
            const res = kql
              ? await fetch(`${base}/api/query`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json' },
                  body: JSON.stringify({ language: 'kql', text: KQL[(client + i) % KQL.length] }),
                })
              : await fetch(`${base}/api/overview`);
            const body = (await res.json()) as { rows?: unknown[]; error?: string };
            if (res.status !== 200 || (kql && !Array.isArray(body.rows))) failures.push(`${kql ? 'kql' : 'overview'}: HTTP ${res.status} ${body.error ?? ''}`);
          } catch (err) {
            failures.push(String(err));
          }
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const p50 = Math.round(percentile(latencies, 50));
    const p99 = Math.round(percentile(latencies, 99));
    record({
      scenario: `load: console, ${CLIENTS} clients`,
      cases: latencies.length,
      failures: failures.length,
      lost: null,
      duplicated: null,
      note: `p50 ${p50} ms, p99 ${p99} ms, ${(latencies.length / seconds).toFixed(1)} req/s, load avg ${loadavg()[0].toFixed(1)}`,
    });
    process.stdout.write(`console load: ${latencies.length} requests, ${failures.length} failed, p50 ${p50} ms, p99 ${p99} ms\n`);
    expect(latencies).toHaveLength(CLIENTS * perClient);
    expect(failures.slice(0, 5)).toEqual([]);
  }, 300_000);
});
