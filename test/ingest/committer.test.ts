import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flowBatchFromRows, type FlowRow } from '../../src/formats/flowbatch.js';
import { openStore, type Store, type StoreCommit } from '../../src/store/index.js';
import { createCommitter } from '../../src/ingest/committer.js';
import { analyze, createAnalyticsContext } from '../../src/analytics/index.js';
import { tuple } from '../analytics/helpers.js';

/** A real DuckDB store whose group commits are recorded (sizes in tuples, in order). */
async function recordingStore(file: string): Promise<{ store: Store; groups: number[][] }> {
  const store = await openStore({ db: file });
  const groups: number[][] = [];
  const sizes = (units: readonly StoreCommit[]) =>
    units.map((u) => u.tuples.reduce((s, b) => s + b.length, 0));
  const commit = store.commit.bind(store);
  const commitMany = store.commitMany!.bind(store);
  store.commit = async (unit) => {
    groups.push(sizes([unit]));
    await commit(unit);
  };
  store.commitMany = async (units) => {
    groups.push(sizes(units));
    await commitMany(units);
  };
  return { store, groups };
}

function unit(blob: string, tuples: number): StoreCommit {
  // one flow (same pair, destination port, protocol and minute), a new source port per tuple
  const rows: FlowRow[] = Array.from({ length: tuples }, (_, i) =>
    tuple({ time_ms: 1_736_121_600_000 + i, src_port: 40_000 + i, blob, block: '@0' }),
  );
  return {
    checkpoint: {
      source: 'test',
      blob,
      lastBlockId: '@0',
      blockCount: 1,
      byteOffset: 1,
      etag: null,
      updatedAt: new Date(0).toISOString(),
    },
    tuples: [flowBatchFromRows(rows)],
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('group committer', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flowlens-committer-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('waits for units still being produced until the group is big enough, and commits at once when nothing else is coming', async () => {
    const { store, groups } = await recordingStore(join(dir, 'a.duckdb'));
    const committer = createCommitter(store, { minGroupTuples: 100 });
    const producers = [committer.producing(), committer.producing(), committer.producing()];
    let done = 0;
    const first = committer.commit(unit('a', 30)).then(() => done++);
    producers[0]();
    await tick();
    // 30 tuples queued, two producers still working: nothing committed yet
    expect(groups).toEqual([]);
    expect(done).toBe(0);
    const second = committer.commit(unit('b', 80)).then(() => done++);
    producers[1]();
    // 110 queued ≥ 100: committed although a producer is still working
    await Promise.all([first, second]);
    expect(groups).toEqual([[30, 80]]);
    const third = committer.commit(unit('c', 5));
    producers[2]();
    // the last producer ended: its small unit goes at once
    await third;
    expect(groups).toEqual([[30, 80], [5]]);
    // a lone unit with no producer announced (follow mode, one new block) is not held back
    await committer.commit(unit('d', 1));
    expect(groups.at(-1)).toEqual([1]);
    const { rows } = await store.query('SELECT count(*) AS n FROM flow_tuples');
    expect(Number(rows[0][0])).toBe(116);
    await store.close();
  });

  it('waits for the largest derived table to fill as well, while producers are still working', async () => {
    const { store, groups } = await recordingStore(join(dir, 'c.duckdb'));
    const committer = createCommitter(store, { minGroupTuples: 10, minDerivedRows: 3 });
    const ctx = createAnalyticsContext();
    const withPartials = (blob: string) => {
      const u = unit(blob, 20);
      // one flow (same pair, port, protocol, minute): one partial row per unit
      u.derived = u.tuples.flatMap((b) => analyze(b, ctx));
      expect(u.derived.find((t) => t.table === 'ta_flow_partials')?.length).toBe(1);
      return u;
    };
    const still = committer.producing();
    const a = committer.commit(withPartials('a'));
    const b = committer.commit(withPartials('b'));
    await tick();
    // 40 tuples ≥ 10, but 2 partial rows < 3: held back
    expect(groups).toEqual([]);
    const c = committer.commit(withPartials('c'));
    await Promise.all([a, b, c]);
    expect(groups).toEqual([[20, 20, 20]]);
    still();
    const { rows } = await store.query('SELECT count(*) FROM ta_flow_partials');
    expect(Number(rows[0][0])).toBe(3);
    await store.close();
  });

  it('room(): producers wait while too many tuples are queued, and resume once a group takes them', async () => {
    const { store, groups } = await recordingStore(join(dir, 'd.duckdb'));
    const committer = createCommitter(store, { minGroupTuples: 1_000, maxBacklogTuples: 50 });
    await committer.room(); // empty: room at once
    const producer = committer.producing();
    const queued = committer.commit(unit('a', 60));
    let roomy = false;
    const waiting = committer.room().then(() => (roomy = true));
    await tick();
    expect(roomy).toBe(false);
    expect(groups).toEqual([]);
    producer(); // nothing else on its way: the group goes, the backlog empties
    await Promise.all([queued, waiting]);
    expect(roomy).toBe(true);
    expect(groups).toEqual([[60]]);
    await store.close();
  });

  it('room(): a store committing unit by unit gets at most maxInFlightUnits commits at once', async () => {
    const { store, groups } = await recordingStore(join(dir, 'e.duckdb'));
    delete store.commitMany;
    const order: string[] = [];
    const recorded = store.commit.bind(store);
    store.commit = async (u) => {
      await recorded(u);
      order.push(`committed ${u.checkpoint.blob}`);
    };
    const committer = createCommitter(store, { maxInFlightUnits: 2 });
    const first = committer.commit(unit('a', 5));
    const second = committer.commit(unit('b', 5));
    // two commits running: room only once one of them is done
    const waiting = committer.room().then(() => order.push('room'));
    await Promise.all([first, second, waiting]);
    expect(order[0]).toMatch(/^committed/);
    expect(order).toContain('room');
    expect(groups).toEqual([[5], [5]]);
    await store.close();
  });

  it('an abandoned producer (a blob that failed) releases the units waiting for it', async () => {
    const { store, groups } = await recordingStore(join(dir, 'b.duckdb'));
    const committer = createCommitter(store, { minGroupTuples: 1_000 });
    const failing = committer.producing();
    const working = committer.producing();
    const waiting = committer.commit(unit('a', 10));
    working();
    await tick();
    expect(groups).toEqual([]);
    failing();
    failing(); // a second end call changes nothing
    await waiting;
    expect(groups).toEqual([[10]]);
    await store.close();
  });
});
