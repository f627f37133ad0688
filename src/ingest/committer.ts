import type { Store, StoreCommit } from '../store/types.js';

/**
 * Group commit: when the store can commit several units in one transaction (`commitMany`), units
 * that become ready while a commit is running are committed together by the next one. Each unit
 * keeps its own checkpoint, so atomicity per blob is unchanged; only the number of transactions
 * (and WAL syncs) drops. Stores without `commitMany` get one `commit` per unit.
 */
export interface Committer {
  commit(unit: StoreCommit): Promise<void>;
}

type GroupCapableStore = Store & { commitMany?: (units: readonly StoreCommit[]) => Promise<void> };

function tuplesOf(unit: StoreCommit): number {
  let n = 0;
  for (const batch of unit.tuples) n += batch.length;
  return n;
}

export function createCommitter(
  store: Store,
  options: { maxGroup?: number; maxGroupTuples?: number } = {},
): Committer {
  const many = (store as GroupCapableStore).commitMany?.bind(store);
  if (!many) return { commit: (unit) => store.commit(unit) };
  const maxGroup = options.maxGroup ?? 4096;
  // A group is bounded by its rows, not its units: a unit is one blob's chunk, from a few rows
  // (one new minute block) to hundreds of thousands (a whole hour read at once).
  const maxGroupTuples = options.maxGroupTuples ?? 500_000;
  let queue: { unit: StoreCommit; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let running = false;

  async function drain(): Promise<void> {
    running = true;
    while (queue.length > 0) {
      let take = 0;
      let rows = 0;
      while (take < queue.length && take < maxGroup && (take === 0 || rows < maxGroupTuples)) {
        rows += tuplesOf(queue[take].unit);
        take++;
      }
      const group = queue.slice(0, take);
      queue = queue.slice(group.length);
      try {
        if (group.length === 1) await store.commit(group[0].unit);
        else await many!(group.map((g) => g.unit));
        for (const g of group) g.resolve();
      } catch (err) {
        for (const g of group) g.reject(err);
      }
    }
    running = false;
  }

  return {
    commit(unit) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ unit, resolve, reject });
        if (!running) void drain();
      });
    },
  };
}
