/**
 * Faults during ingestion, scale-out store: a ClickHouse shard killed mid-insert.
 *
 * A real two-shard ClickHouse cluster (test/support/clickhouse.ts). Ingest (with the analytics
 * deriver, so derived rows are inserted too) runs into one database; while commits are in flight
 * the second shard — which holds the rows of about half the blobs, not the metadata — is
 * SIGKILLed, kept down for an outage, and restarted on the same ports and data directory.
 *
 * - `ingest --follow`: the ingest must keep running through the outage (no crash, nothing
 *   quarantined), retry the failed blobs on its next passes, and finish once the shard is back.
 * - batch `ingest`: the run must not crash or quarantine; its in-run retries (0.5 + 1 + 1.5 s
 *   backoff) may or may not outlast the outage, so a second run is allowed ("run again") and the
 *   number of runs is reported.
 *
 * Either way the store must equal a clean run into another database of the same cluster: same
 * rows in every lineage table (sorted row text, SHA-256), same rows per (blob, block).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_TABLES, openStore, type Store, type StoreCommit } from '../../src/store/index.js';
import { createDeriver, runIngest, type Deriver, type IngestSummary } from '../../src/ingest/index.js';
import { openFolderSource } from '../../src/storage/index.js';
import { startClickHouseCluster, type ClickHouseCluster } from '../support/clickhouse.js';
import { writeFolder, type TestLogSpec } from '../ingest/support/writer.js';
import type { StoreDigest } from '../ingest/support/digest.js';
import { lossAndDuplication } from './support/compare.js';
import { record } from './support/report.js';
import { bounded } from './support/mode.js';

const MINUTES = 5;
/** The shard that is killed: holds rows only (the metadata lives on the first server). */
const VICTIM = 1;

/** Every lineage table's rows (commit ids excluded: they are random per commit) as one digest. */
async function digestClickHouse(store: Store): Promise<StoreDigest & { derivedRows: number }> {
  const hash = createHash('sha256');
  let derivedRows = 0;
  let tuples = 0;
  for (const def of ALL_TABLES.filter((t) => t.lineage)) {
    const cols = def.columns.map((c) => c.name);
    const r = await store.query(`SELECT ${cols.join(', ')} FROM ${def.name}`);
    const rows = r.rows.map((row) => row.map((v) => (v === null ? '∅' : Array.isArray(v) ? `[${v.join(',')}]` : String(v))).join('|')).sort();
    hash.update(`${def.name}\n${rows.join('\n')}\n`);
    if (def.name === 'flow_tuples') tuples = rows.length;
    else derivedRows += rows.length;
  }
  const blocks = await store.query(`SELECT blob, block, count() FROM flow_tuples GROUP BY blob, block`);
  const perBlock: Record<string, number> = {};
  for (const [blob, block, n] of blocks.rows) perBlock[`${String(blob)}#${String(block)}`] = Number(n);
  return { tuples, checksum: hash.digest('hex'), perBlock, duplicatedBlocks: 0, derivedRows };
}

/**
 * Wraps the store so the test can kill the shard while a commit is in flight, and count commits
 * that failed (the store's own code runs unchanged).
 */
function faultingStore(store: Store, onCommitStarted: (n: number) => void): Store & { failedCommits: () => number } {
  let started = 0;
  let failed = 0;
  return Object.assign(Object.create(store) as Store, {
    commit: async (unit: StoreCommit) => {
      onCommitStarted(++started);
      try {
        await store.commit(unit);
      } catch (err) {
        failed++;
        throw err;
      }
    },
    failedCommits: () => failed,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('faults during ingestion: ClickHouse', () => {
  let dir: string;
  let logs: string;
  let cluster: ClickHouseCluster;
  let derive: Deriver;
  let clean: StoreDigest & { derivedRows: number };
  const spec: TestLogSpec = { blobs: bounded(24, 96), tuplesPerRecord: 3, seed: 71 };
  const open = (database: string) => openStore({ clickhouse: cluster.urls, cluster: cluster.cluster, database });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flowlens-chfault-'));
    logs = join(dir, 'logs');
    await writeFolder(logs, spec, MINUTES);
    cluster = await startClickHouseCluster({ shards: 2 });
    derive = await createDeriver({ geo: 'none' });
    const store = await open('flowlens_clean');
    try {
      const s = await runIngest({ sources: [openFolderSource(logs)], store, derive, workers: 0, concurrency: 4, log: () => {} });
      expect(s.errors).toBe(0);
      clean = await digestClickHouse(store);
    } finally {
      await store.close();
    }
    expect(clean.tuples).toBe(spec.blobs * MINUTES * spec.tuplesPerRecord);
    expect(clean.derivedRows).toBeGreaterThan(0);
  }, 300_000);
  afterAll(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Kills the victim shard at the 3rd commit, keeps it down `outageMs`, restarts it. */
  function scheduleOutage(outageMs: number) {
    let outage: Promise<void> | null = null;
    let restartedAt = 0;
    const onCommitStarted = (n: number) => {
      if (n !== 3 || outage) return;
      outage = (async () => {
        await cluster.stopNode(VICTIM, { signal: 'SIGKILL' });
        await sleep(outageMs);
        await cluster.startNode(VICTIM);
        restartedAt = Date.now();
      })();
    };
    return { onCommitStarted, done: () => outage, restartedAt: () => restartedAt };
  }

  it('`ingest --follow`: shard killed mid-insert and restarted; the ingest keeps going, retries, nothing lost or doubled', async () => {
    const outageMs = bounded(4_000, 15_000);
    const inner = await open('flowlens_follow');
    const fault = scheduleOutage(outageMs);
    const store = faultingStore(inner, fault.onCommitStarted);
    const lines: string[] = [];
    const controller = new AbortController();
    const t0 = Date.now();
    try {
      const running = runIngest({
        sources: [openFolderSource(logs)],
        store,
        derive,
        workers: 0,
        concurrency: 4,
        follow: true,
        intervalMs: 500,
        signal: controller.signal,
        log: (l) => lines.push(l),
      });
      let crashed: unknown = null;
      void running.catch((err) => (crashed = err));
      // Done when the shard is back and every blob's checkpoint covers all its blocks.
      const deadline = Date.now() + 240_000;
      for (;;) {
        await sleep(500);
        if (crashed) break;
        if (fault.restartedAt() === 0) continue;
        const cps = await inner.listCheckpoints();
        if (cps.length === spec.blobs && cps.every((c) => c.blockCount === MINUTES)) break;
        if (Date.now() > deadline) break;
      }
      controller.abort();
      const summary: IngestSummary | null = await running.catch(() => null);
      await fault.done();
      const caughtUpSeconds = (Date.now() - fault.restartedAt()) / 1000;
      const faulted = await digestClickHouse(inner);
      const { lost, duplicated } = lossAndDuplication(clean, faulted);
      const retries = lines.filter((l) => l.includes('will retry')).length;
      record({
        scenario: 'fault: ClickHouse shard killed, ingest --follow',
        cases: 1,
        failures: (crashed ? 1 : 0) + (faulted.checksum === clean.checksum ? 0 : 1) + (store.failedCommits() > 0 ? 0 : 1),
        lost,
        duplicated,
        note: `${store.failedCommits()} commits failed, ${retries} blob retries, outage ${outageMs / 1000} s, caught up ${caughtUpSeconds.toFixed(1)} s after restart, ${((Date.now() - t0) / 1000).toFixed(0)} s total`,
      });
      expect(crashed, String(crashed)).toBeNull();
      expect(summary?.quarantined).toEqual([]);
      // The kill really interrupted commits, and the ingest retried them.
      expect(store.failedCommits()).toBeGreaterThan(0);
      expect(retries).toBeGreaterThan(0);
      expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
      expect(faulted).toEqual(clean);
    } finally {
      controller.abort();
      await inner.close();
    }
  }, 600_000);

  it('batch `ingest`: shard killed mid-insert and restarted; the run retries with backoff, a re-run finishes, nothing lost or doubled', async () => {
    const outageMs = bounded(1_000, 5_000);
    const inner = await open('flowlens_batch');
    const fault = scheduleOutage(outageMs);
    const store = faultingStore(inner, fault.onCommitStarted);
    const lines: string[] = [];
    const summaries: IngestSummary[] = [];
    try {
      summaries.push(await runIngest({ sources: [openFolderSource(logs)], store, derive, workers: 0, concurrency: 4, log: (l) => lines.push(l) }));
      await fault.done();
      // "run again": what a user (or a cron job) does after a run reports errors.
      for (let i = 0; i < 3 && summaries[summaries.length - 1].errors > 0; i++) {
        summaries.push(await runIngest({ sources: [openFolderSource(logs)], store: inner, derive, workers: 0, concurrency: 4, log: (l) => lines.push(l) }));
      }
      const faulted = await digestClickHouse(inner);
      const { lost, duplicated } = lossAndDuplication(clean, faulted);
      const gaveUp = lines.filter((l) => l.includes('gave up')).length;
      record({
        scenario: 'fault: ClickHouse shard killed, batch ingest',
        cases: 1,
        failures: (faulted.checksum === clean.checksum ? 0 : 1) + (store.failedCommits() > 0 ? 0 : 1),
        lost,
        duplicated,
        note: `${store.failedCommits()} commits failed, outage ${outageMs / 1000} s, ${summaries.length} run(s)${gaveUp > 0 ? `, first run gave up on ${gaveUp} blob(s) after its 3 retries` : ''}`,
      });
      expect(summaries.flatMap((s) => s.quarantined)).toEqual([]);
      expect(store.failedCommits()).toBeGreaterThan(0);
      expect(summaries[summaries.length - 1].errors).toBe(0);
      expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
      expect(faulted).toEqual(clean);
    } finally {
      await inner.close();
    }
  }, 600_000);
});
