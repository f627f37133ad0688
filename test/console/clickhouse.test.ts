/**
 * The console's ClickHouse read path against Debian's clickhouse-server: the dashboard queries
 * run in ClickHouse's dialect and agree with hand-written SQL, and the engine itself refuses
 * writes, file table functions and over-long queries (behind the static guard).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickHouseBackend, consoleQueries as q, QueryRefusedError, type ConsoleBackend } from '../../src/console/index.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { startClickHouseCluster, type ClickHouseCluster } from '../support/clickhouse.js';
import { seedMinutes } from './support/seed.js';

const DATABASE = 'flowlens_console_test';
let cluster: ClickHouseCluster;
let store: Store;
let backend: ConsoleBackend;
const limits = { timeoutMs: 20_000, maxRows: 10_000 };

beforeAll(async () => {
  cluster = await startClickHouseCluster({ shards: 1 });
  store = await openStore({ clickhouse: cluster.urls, database: DATABASE, intervalMinutes: 1 });
  await seedMinutes(store, 0, 12);
  backend = clickHouseBackend(cluster.urls[0], DATABASE);
}, 180_000);

afterAll(async () => {
  await backend?.close();
  await store?.close();
  await cluster?.stop();
});

describe('console on ClickHouse', () => {
  it('overview numbers equal hand-written ClickHouse SQL', async () => {
    const o = await q.overview(backend, {});
    const [[flows, denied, bytes]] = (
      await store.query(
        'SELECT sum(AllowedInFlows + AllowedOutFlows + DeniedInFlows + DeniedOutFlows), sum(DeniedInFlows + DeniedOutFlows), sum(BytesSrcToDest + BytesDestToSrc) FROM NTANetAnalytics',
      )
    ).rows;
    expect([o.totals.flows, o.totals.denied, o.totals.bytes]).toEqual([Number(flows), Number(denied), Number(bytes)]);
    expect(o.totals.flows).toBeGreaterThan(0);
    expect(o.talkers.length).toBeGreaterThan(0);
    expect(o.series.reduce((s, p) => s + p.allowed + p.denied, 0)).toBe(o.totals.flows);
    const rules = await q.ruleHits(backend, {});
    expect(rules.reduce((s, r) => s + r.flows, 0)).toBe(o.totals.flows);
    const page = await q.flowTuples(backend, { cidr: '10.1.0.0/24', decision: 'D', limit: 5 });
    const [[count]] = (await store.query("SELECT count() FROM FlowTuples WHERE (startsWith(src_ip, '10.1.0.') OR startsWith(dst_ip, '10.1.0.')) AND decision = 'D'")).rows;
    expect(page.total).toBe(Number(count));
  });

  it('the engine refuses writes and file table functions even without the guard', async () => {
    await expect(backend.query('CREATE TABLE console_probe (a UInt8) ENGINE = Memory', limits)).rejects.toThrow(/readonly|Cannot execute/i);
    await expect(backend.query("SELECT * FROM file('/etc/passwd', 'TSV', 'line String')", limits)).rejects.toThrow();
  });

  it('stops a long query at the server-side time limit', async () => {
    const started = Date.now();
    await expect(backend.query('SELECT count() FROM numbers(100000000000000)', { timeoutMs: 1000, maxRows: 10 })).rejects.toBeInstanceOf(QueryRefusedError);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
