import type { Store } from '../../../src/store/types.js';

/**
 * What "identical stores" means in these tests: the same raw tuples (every column, lineage
 * included) and the same derived rows, compared by row count, a per-row hash sum (duplicates
 * change it, unlike XOR) and rows per (blob, block).
 */
export interface StoreDigest {
  tuples: number;
  checksum: string;
  perBlock: Record<string, number>;
  duplicatedBlocks: number;
}

export async function digestStore(store: Store): Promise<StoreDigest> {
  const total = await store.query(
    `SELECT count(*)::BIGINT AS n, coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR AS h FROM (SELECT * EXCLUDE (time) FROM FlowTuples) AS t`,
  );
  const blocks = await store.query(
    `SELECT blob || '#' || block AS k, count(*)::BIGINT AS n FROM FlowTuples GROUP BY ALL ORDER BY k`,
  );
  const perBlock: Record<string, number> = {};
  for (const [k, n] of blocks.rows) perBlock[String(k)] = Number(n);
  return {
    tuples: Number(total.rows[0][0]),
    checksum: String(total.rows[0][1]),
    perBlock,
    duplicatedBlocks: 0,
  };
}
