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

/** Every readable analytics table, whole, in a stable order. */
export async function analyticsRows(store: Store): Promise<Record<string, unknown[][]>> {
  const out: Record<string, unknown[][]> = {};
  for (const table of ['NTANetAnalytics', 'AzureNetworkAnalytics_CL', 'NTAIpDetails']) {
    const r = await store.query(`SELECT * FROM ${table}`);
    out[table] = r.rows
      .map((row) => row.map((v) => (typeof v === 'bigint' ? Number(v) : v)))
      .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  }
  return out;
}
