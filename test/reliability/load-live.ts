/**
 * Load with live ingestion: the console under 50 concurrent clients (autocannon, keep-alive
 * connections, a fixed number of requests each so none is left uncounted) issuing overview and
 * KQL requests while ingestion runs. Every piece is the real CLI in its own process:
 * `flowlens emulate --realtime` commits a block per NIC blob per (shortened) minute into Azurite;
 * - ClickHouse (bounded and long form): `flowlens ingest --follow --clickhouse …` and
 *   `flowlens serve --clickhouse …`, two processes sharing a real clickhouse-server;
 * - DuckDB (long form only, see below): `flowlens serve --connection-string …`, which runs
 *   `ingest --follow` inside the console process (DuckDB lets one process own the file).
 *
 * Freshness is measured from outside: one poller watches the committed block lists in Azurite,
 * another asks the console (through the same loaded API) how many blocks of each blob it can
 * query; a block's freshness is the time from its commit being seen to a console answer that
 * includes it, so it includes the console's own latency under load (an upper bound).
 * Asserted: every request answered (no connection error, no status but 200, or 408 when a
 * query outlives the console's 30 s limit), KQL answers hold rows, the store grows during the
 * load, every block committed meanwhile becomes queryable. Reported in the table (timings, never
 * asserted here): p50/p99, requests over the time limit (counted as failures), freshness median
 * against its 5 s target.
 *
 * The DuckDB variant does not meet them today: the DuckDB store runs every query and every ingest
 * step on one connection behind one mutex, so console requests queue behind commits (measured
 * 2026-11-27, load avg ~20: one overview 2–3 s, 4 of 50 clients' requests done in 20 s, freshness
 * median 50 s). It runs in the long form only; the fix belongs to the store (reads on their own
 * connections).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite, type AzuriteHandle } from '../support/azurite.js';
import { startClickHouseCluster, type ClickHouseCluster } from '../support/clickhouse.js';
import { ROOT } from '../ingest/support/cli.js';
import { record } from './support/report.js';
import { bounded, LONG } from './support/mode.js';

const CLIENTS = 50;
const CONTAINER = 'insights-logs-flowlogflowevent';
const FRESHNESS_TARGET_S = 5;
const KQL = [
  'NTANetAnalytics | summarize flows = count() by FlowDirection',
  'NTANetAnalytics | summarize bytes = sum(BytesSrcToDest) by SrcIp | top 5 by bytes',
  'NTANetAnalytics | where FlowStatus == "Denied" | summarize n = count()',
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cli(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

function stop(child: ChildProcess | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function until<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  context: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs / 1000} s\n${context().slice(-3000)}`);
    await sleep(250);
  }
}

async function sql(base: string, text: string): Promise<unknown[][]> {
  const res = await fetch(`${base}/api/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ language: 'sql', text }),
  });
  const body = (await res.json()) as { rows?: unknown[][]; error?: string };
  if (res.status !== 200 || !body.rows)
    throw new Error(`console SQL: HTTP ${res.status} ${body.error ?? ''}`);
  return body.rows;
}

/** Blocks per blob that are queryable now. */
type VisibleBlocks = () => Promise<unknown[][]>;

/** First time each (blob, n-th data block) was seen committed in Azurite, and seen queryable. */
function freshnessTracker(container: ContainerClient, visibleBlocks: VisibleBlocks) {
  const committed = new Map<string, number>();
  const visible = new Map<string, number>();
  const etags = new Map<string, string>();
  const known = new Set<string>(); // blocks that existed before tracking began: not measured
  let running = true;
  let watchingCommits = true;
  let first = true;
  const key = (blob: string, n: number) => `${blob}#${n}`;
  const azure = (async () => {
    while (running && watchingCommits) {
      const now = Date.now();
      for await (const b of container.listBlobsFlat()) {
        if (etags.get(b.name) === b.properties.etag) continue;
        etags.set(b.name, b.properties.etag ?? '');
        const list = await container.getBlockBlobClient(b.name).getBlockList('committed');
        const dataBlocks = Math.max(0, (list.committedBlocks?.length ?? 0) - 2); // head and tail
        for (let n = 1; n <= dataBlocks; n++) {
          const k = key(b.name, n);
          if (first) known.add(k);
          else if (!committed.has(k)) committed.set(k, now);
        }
      }
      first = false;
      await sleep(200);
    }
  })();
  const storeSide = (async () => {
    while (running) {
      const rows = await visibleBlocks().catch(() => null);
      const now = Date.now();
      for (const [blob, n] of rows ?? []) {
        for (let i = 1; i <= Number(n); i++)
          if (!visible.has(key(String(blob), i))) visible.set(key(String(blob), i), now);
      }
      await sleep(300);
    }
  })();
  return {
    /** Stops noting new commits (the emulator goes on), so that the blocks noted so far can catch up. */
    async freeze() {
      watchingCommits = false;
      await azure;
    },
    async stop() {
      running = false;
      await Promise.all([azure, storeSide]);
    },
    samples(): number[] {
      const out: number[] = [];
      for (const [k, t] of committed) {
        if (known.has(k)) continue;
        const v = visible.get(k);
        if (v !== undefined) out.push(Math.max(0, v - t) / 1000);
      }
      return out.sort((a, b) => a - b);
    },
    pending: () => [...committed.keys()].filter((k) => !known.has(k) && !visible.has(k)).length,
  };
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

type Variant = 'clickhouse' | 'duckdb';

function liveLoad(variant: Variant) {
  describe(`load with live ingestion (${variant})`, () => {
    let dir: string;
    let azurite: AzuriteHandle;
    let clickhouse: ClickHouseCluster | undefined;
    let emulator: ReturnType<typeof cli>;
    let ingest: ReturnType<typeof cli> | undefined;
    let serve: ReturnType<typeof cli>;
    let base: string;
    let container: ContainerClient;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'flowlens-loadlive-'));
      azurite = await startAzurite();
      container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
        CONTAINER,
      );
      if (variant === 'clickhouse') clickhouse = await startClickHouseCluster({ shards: 1 });
      emulator = cli([
        'emulate',
        '--blob',
        azurite.connectionString,
        '--realtime',
        '--minute-ms',
        '3000',
        '--synthetic-nics',
        '12',
        '--duration',
        '24h',
        '--seed',
        '11',
        '--no-progress',
      ]);
      // The follow ingest needs the container to exist when it starts (see the report).
      await until(
        'emulator writes its first blocks',
        async () => (await container.exists()) && (await container.listBlobsFlat().next()).value,
        120_000,
        emulator.output,
      );
      if (clickhouse) {
        const url = clickhouse.urls[0];
        ingest = cli([
          'ingest',
          '--connection-string',
          azurite.connectionString,
          '--container',
          CONTAINER,
          '--clickhouse',
          url,
          '--database',
          'flowlens_live',
          '--follow',
          '--interval',
          '1s',
          '--no-progress',
        ]);
        await until(
          'ingest --follow stores its first tuples',
          async () => {
            const res = await fetch(
              `${url}/?query=${encodeURIComponent('SELECT count() FROM flowlens_live.flow_tuples')}`,
            );
            return res.ok && Number((await res.text()).trim()) > 0;
          },
          180_000,
          ingest.output,
        );
        serve = cli(['serve', '--clickhouse', url, '--database', 'flowlens_live', '--port', '0']);
      } else {
        serve = cli([
          'serve',
          '--db',
          join(dir, 'live.duckdb'),
          '--port',
          '0',
          '--connection-string',
          azurite.connectionString,
          '--ingest-interval',
          '1000',
        ]);
      }
      base = await until(
        'console starts',
        async () => /flowlens console: (http:\/\/[^/\s]+)/.exec(serve.output())?.[1],
        180_000,
        serve.output,
      );
      await until(
        'console shows ingested tuples',
        async () => Number((await sql(base, 'SELECT count(*) FROM FlowTuples'))[0][0]) > 0,
        180_000,
        serve.output,
      );
      // Warm-up (Kusto.Language loads on the first KQL request); not measured.
      await fetch(`${base}/api/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ language: 'kql', text: KQL[0] }),
      });
    }, 420_000);
    afterAll(async () => {
      await stop(serve?.child);
      await stop(ingest?.child);
      await stop(emulator?.child);
      await clickhouse?.stop();
      await azurite?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 180_000);

    it(`console (${variant}): ${CLIENTS} clients (autocannon), overview and KQL, while ingest --follow reads emulate --realtime: every request answered, every block queryable`, async () => {
      const perClient = bounded(2, 20);
      // Queryable means: in the store, for ClickHouse asked directly (the console's latency under
      // load is measured separately); through the console for DuckDB, which no other process can open.
      const visibleBlocks: VisibleBlocks = clickhouse
        ? async () => {
            const q =
              'SELECT blob, uniqExact(block) FROM flowlens_live.flow_tuples GROUP BY blob FORMAT JSONCompact';
            const res = await fetch(`${clickhouse!.urls[0]}/?query=${encodeURIComponent(q)}`);
            if (!res.ok) throw new Error(`ClickHouse: HTTP ${res.status}`);
            return ((await res.json()) as { data: unknown[][] }).data;
          }
        : () => sql(base, 'SELECT blob, count(DISTINCT block) FROM FlowTuples GROUP BY blob');
      const tracker = freshnessTracker(container, visibleBlocks);
      await sleep(1000); // let the trackers take their first look before the load starts
      const tuplesBefore = Number((await sql(base, 'SELECT count(*) FROM FlowTuples'))[0][0]);
      let badBodies = 0;
      const statuses = new Map<number, number>();
      const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
      const kqlRequest = (text: string) => ({
        method: 'POST',
        path: '/api/query',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ language: 'kql', text }),
        onResponse: (status: number, body: string) => {
          count(status);
          if (status !== 200) return;
          try {
            if (!Array.isArray((JSON.parse(body) as { rows?: unknown }).rows)) badBodies++;
          } catch {
            badBodies++;
          }
        },
      });
      const overview = {
        method: 'GET',
        path: '/api/overview',
        onResponse: (status: number) => count(status),
      };
      const result = await autocannon({
        url: base,
        connections: CLIENTS,
        amount: CLIENTS * perClient,
        timeout: 60,
        requests: [overview, kqlRequest(KQL[0]), overview, kqlRequest(KQL[1]), overview, kqlRequest(KQL[2])],
      });
      // Requests still queued in the console when autocannon stops are drained before measuring.
      const tuplesAfter = await until(
        'console answers after the load',
        async () => Number((await sql(base, 'SELECT count(*) FROM FlowTuples'))[0][0]),
        120_000,
        serve.output,
      );
      // Blocks committed near the end of the load get time to show up.
      await tracker.freeze();
      await until(
        'blocks committed during the load become queryable',
        async () => tracker.pending() === 0,
        60_000,
        () => '',
      ).catch(() => undefined);
      await tracker.stop();
      const fresh = tracker.samples();
      const pending = tracker.pending();
      const timedOut = statuses.get(408) ?? 0;
      const otherStatuses = [...statuses].filter(([s]) => s !== 200 && s !== 408);
      const failures = result.errors + result.timeouts + result.non2xx + badBodies;
      const median = fresh.length ? pct(fresh, 50) : NaN;
      const freshnessMet = median <= FRESHNESS_TARGET_S;
      record({
        scenario: `load: console (${variant}), ${CLIENTS} clients + live ingest`,
        cases: result.requests.total,
        failures,
        lost: null,
        duplicated: null,
        note:
          `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${(result.requests.total / Math.max(1, result.duration)).toFixed(1)} req/s` +
          `${timedOut ? `, ${timedOut} over the console's 30 s query limit (HTTP 408)` : ''}; ` +
          `freshness median ${median.toFixed(1)} s (target ${FRESHNESS_TARGET_S} s: ${freshnessMet ? 'met' : 'MISSED'}), p90 ${pct(fresh, 90)?.toFixed(1)} s over ${fresh.length} blocks; ` +
          `tuples ${tuplesBefore}→${tuplesAfter}; load avg ${loadavg()[0].toFixed(1)}`,
      });
      process.stdout.write(
        `live load (${variant}): ${result.requests.total} requests in ${result.duration.toFixed(1)} s, statuses ${JSON.stringify(Object.fromEntries(statuses))}, errors ${result.errors}, timeouts ${result.timeouts}, bad bodies ${badBodies}; ` +
          `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms; freshness median ${median.toFixed(2)} s (n=${fresh.length}, ${pending} never seen); tuples ${tuplesBefore}→${tuplesAfter}\n`,
      );
      // Every request answered, none refused or garbled; the failures column above also counts
      // answers that came too late (408) and the note compares freshness with its target: those
      // are timings, which this project reports rather than asserts (they depend on the machine).
      expect({ errors: result.errors, timeouts: result.timeouts, otherStatuses, badBodies }).toEqual({
        errors: 0,
        timeouts: 0,
        otherStatuses: [],
        badBodies: 0,
      });
      expect(result.requests.total).toBe(CLIENTS * perClient);
      // The ingest was live during the load, and every block committed meanwhile became queryable.
      expect(tuplesAfter).toBeGreaterThan(tuplesBefore);
      expect(fresh.length).toBeGreaterThanOrEqual(10);
      expect(pending).toBe(0);
    }, 900_000);
  });
}

liveLoad('clickhouse');
if (LONG) liveLoad('duckdb');
