/**
 * Micro benchmark of the DuckDB bulk load path: FlowBatch → data chunks (raw column copies,
 * store-wide string dictionary) in committed transactions, against the baseline of a per-value
 * appender writing the same rows with VARCHAR strings (what a naive store does).
 *
 *   npx tsx bench/store-load.ts [--rows 1000000] [--batch 50000] [--json]
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  allocateFlowBatch,
  createInterner,
  FlowState,
  type FlowBatch,
} from '../src/formats/flowbatch.js';
import { openDuckDbStore } from '../src/store/duckdb/store.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const ROWS = arg('rows', 1_000_000);
const BATCH = arg('batch', 50_000);
const JSON_OUT = process.argv.includes('--json');

/** Deterministic v4-like tuples: 200 NICs, a few thousand peers, realistic state mix. */
function makeBatches(): FlowBatch[] {
  const batches: FlowBatch[] = [];
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0), seed / 4294967296);
  for (let done = 0; done < ROWS; done += BATCH) {
    const n = Math.min(BATCH, ROWS - done);
    const b = allocateFlowBatch(n);
    const it = createInterner(b.strings);
    const blob = it.intern(`blob-${done / BATCH}`);
    for (let i = 0; i < n; i++) {
      const nic = Math.floor(rand() * 200);
      b.time_ms[i] = 1_700_000_000_000 + done + i;
      b.version[i] = 4;
      b.record_time[i] = it.intern('2026-11-26T22:00:00.0000000Z');
      b.mac[i] = it.intern(`00224800${(nic + 4096).toString(16).toUpperCase()}`);
      b.flow_log_id[i] = it.intern('/SUBSCRIPTIONS/S/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NW/FLOWLOGS/FL');
      b.target_resource_id[i] = it.intern('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub');
      b.acl_id[i] = it.intern('00000000-1234-abcd-ef00-c1c2c3c4c5c6');
      b.rule[i] = it.intern(rand() < 0.9 ? 'DefaultRule_AllowInternetOutBound' : 'UserRule_deny-ssh');
      b.src_ip[i] = it.intern(`10.0.${nic >> 8}.${nic & 255}`);
      const peer = Math.floor(rand() * 5000);
      b.dst_ip[i] = it.intern(`203.0.${peer >> 8}.${peer & 255}`);
      b.src_port[i] = 1024 + Math.floor(rand() * 60000);
      b.dst_port[i] = rand() < 0.7 ? 443 : 80;
      b.protocol[i] = 6;
      b.direction[i] = rand() < 0.5 ? 0 : 1;
      const st = rand();
      b.state[i] = st < 0.3 ? FlowState.B : st < 0.6 ? FlowState.C : st < 0.95 ? FlowState.E : FlowState.D;
      b.decision[i] = b.state[i] === FlowState.D ? 1 : 0;
      b.encryption[i] = it.intern('NX');
      const has = b.state[i] === FlowState.C || b.state[i] === FlowState.E;
      b.packets_s2d[i] = has ? Math.floor(rand() * 100) : NaN;
      b.bytes_s2d[i] = has ? Math.floor(rand() * 100000) : NaN;
      b.packets_d2s[i] = has ? Math.floor(rand() * 100) : NaN;
      b.bytes_d2s[i] = has ? Math.floor(rand() * 100000) : NaN;
      b.blob[i] = blob;
      b.block[i] = it.intern(`block-${i >> 12}`);
    }
    b.length = n;
    batches.push(b);
  }
  return batches;
}

async function ours(dir: string, batches: FlowBatch[]): Promise<number> {
  const store = await openDuckDbStore({ path: join(dir, 'ours.duckdb'), intervalMinutes: 10 });
  await store.init();
  const t0 = performance.now();
  let k = 0;
  for (const batch of batches) {
    await store.commit({
      checkpoint: { source: 'bench', blob: `blob-${k}`, lastBlockId: 'x', blockCount: 1, byteOffset: 0, etag: null, updatedAt: new Date().toISOString() },
      tuples: [batch],
    });
    k++;
  }
  const seconds = (performance.now() - t0) / 1000;
  const count = (await store.query('SELECT count(*) FROM flow_tuples')).rows[0][0];
  if (count !== ROWS) throw new Error(`ours stored ${String(count)} rows, expected ${ROWS}`);
  await store.close();
  return seconds;
}

async function baseline(dir: string, batches: FlowBatch[]): Promise<number> {
  const instance = await DuckDBInstance.create(join(dir, 'baseline.duckdb'));
  const con = await instance.connect();
  await con.run(`CREATE TABLE t (time_ms BIGINT, record_time VARCHAR, version UTINYINT, mac VARCHAR, flow_log_id VARCHAR,
    target_resource_id VARCHAR, acl_id VARCHAR, rule VARCHAR, src_ip VARCHAR, dst_ip VARCHAR, src_port USMALLINT, dst_port USMALLINT,
    protocol UTINYINT, direction VARCHAR, state VARCHAR, decision VARCHAR, encryption VARCHAR, packets_s2d BIGINT, bytes_s2d BIGINT,
    packets_d2s BIGINT, bytes_d2s BIGINT, blob VARCHAR, block VARCHAR)`);
  const t0 = performance.now();
  const letters = ['', 'B', 'C', 'E', 'D'];
  for (const b of batches) {
    await con.run('BEGIN');
    const app = await con.createAppender('t');
    const s = (ref: number) => b.strings[ref];
    const big = (x: number) => (x !== x ? app.appendNull() : app.appendBigInt(BigInt(x)));
    for (let i = 0; i < b.length; i++) {
      app.appendBigInt(BigInt(b.time_ms[i]));
      app.appendVarchar(s(b.record_time[i]));
      app.appendUTinyInt(b.version[i]);
      app.appendVarchar(s(b.mac[i]));
      app.appendVarchar(s(b.flow_log_id[i]));
      app.appendVarchar(s(b.target_resource_id[i]));
      app.appendVarchar(s(b.acl_id[i]));
      app.appendVarchar(s(b.rule[i]));
      app.appendVarchar(s(b.src_ip[i]));
      app.appendVarchar(s(b.dst_ip[i]));
      app.appendUSmallInt(b.src_port[i]);
      app.appendUSmallInt(b.dst_port[i]);
      app.appendUTinyInt(b.protocol[i]);
      app.appendVarchar(b.direction[i] ? 'O' : 'I');
      app.appendVarchar(letters[b.state[i]]);
      app.appendVarchar(b.decision[i] ? 'D' : 'A');
      app.appendVarchar(s(b.encryption[i]));
      big(b.packets_s2d[i]);
      big(b.bytes_s2d[i]);
      big(b.packets_d2s[i]);
      big(b.bytes_d2s[i]);
      app.appendVarchar(s(b.blob[i]));
      app.appendVarchar(s(b.block[i]));
      app.endRow();
    }
    app.flushSync();
    app.closeSync();
    await con.run('COMMIT');
  }
  const seconds = (performance.now() - t0) / 1000;
  con.closeSync();
  instance.closeSync();
  return seconds;
}

const dir = join('bench', 'data', 'store-load');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const batches = makeBatches();
const oursSeconds = await ours(dir, batches);
const baseSeconds = await baseline(dir, batches);
rmSync(dir, { recursive: true, force: true });
const result = {
  bench: 'store-load',
  rows: ROWS,
  batch_rows: BATCH,
  seconds: Number(oursSeconds.toFixed(3)),
  rows_per_s: Math.round(ROWS / oursSeconds),
  baseline_seconds: Number(baseSeconds.toFixed(3)),
  baseline_rows_per_s: Math.round(ROWS / baseSeconds),
  ratio: Number((baseSeconds / oursSeconds).toFixed(2)),
};
if (!JSON_OUT) {
  console.log(`bulk path (data chunks + dictionary): ${result.seconds}s, ${result.rows_per_s} rows/s`);
  console.log(`baseline (per-value appender, VARCHAR): ${result.baseline_seconds}s, ${result.baseline_rows_per_s} rows/s`);
  console.log(`ratio: ${result.ratio}x`);
}
console.log(JSON.stringify(result));
