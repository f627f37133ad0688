import { flowBatchFromRows, type FlowRow } from '../../src/formats/flowbatch.js';
import { analyze, type AnalyticsContext } from '../../src/analytics/index.js';
import { openStore, type Store } from '../../src/store/index.js';

export function tuple(over: Partial<FlowRow>): FlowRow {
  return {
    time_ms: 1663146003637,
    record_time: '2022-09-14T09:00:52.5625085Z',
    version: 4,
    mac: '112233445566',
    flow_log_id:
      '/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_EASTUS2EUAP/FLOWLOGS/VNETFLOWLOG',
    target_resource_id:
      '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myResourceGroup/providers/Microsoft.Network/virtualNetworks/myVNet',
    acl_id: '00000000-1234-abcd-ef00-c1c2c3c4c5c6',
    rule: 'DefaultRule_AllowInternetOutBound',
    src_ip: '10.0.0.6',
    dst_ip: '203.0.113.17',
    src_port: 22730,
    dst_port: 443,
    protocol: 6,
    direction: 'O',
    state: 'B',
    decision: 'A',
    encryption: 'NX',
    packets_s2d: 0,
    bytes_s2d: 0,
    packets_d2s: 0,
    bytes_d2s: 0,
    blob: 'blob-1',
    block: 'b1',
    ...over,
  };
}

/** Parses a v4 tuple string as written in the flow log, into a FlowRow. */
export function v4(text: string, over: Partial<FlowRow> = {}): FlowRow {
  const f = text.split(',');
  const counter = (s: string) => (s === '' ? null : Number(s));
  const state = f[7] as FlowRow['state'];
  return tuple({
    time_ms: Number(f[0]),
    src_ip: f[1],
    dst_ip: f[2],
    src_port: Number(f[3]),
    dst_port: Number(f[4]),
    protocol: Number(f[5]),
    direction: f[6] as FlowRow['direction'],
    state,
    decision: state === 'D' ? 'D' : 'A',
    encryption: f[8],
    packets_s2d: counter(f[9]),
    bytes_s2d: counter(f[10]),
    packets_d2s: counter(f[11]),
    bytes_d2s: counter(f[12]),
    ...over,
  });
}

export interface Harness {
  store: Store;
  /** Analyzes and commits one batch per call (one commit = one blob's new blocks). */
  ingest(rows: FlowRow[], blob?: string, blockCount?: number): Promise<void>;
  rows(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function harness(ctx: AnalyticsContext, intervalMinutes = 10): Promise<Harness> {
  const store = await openStore({ db: ':memory:', intervalMinutes });
  const counts = new Map<string, number>();
  return {
    store,
    async ingest(rows, blob = rows[0]?.blob ?? 'blob-1') {
      const batch = flowBatchFromRows(rows.map((r) => ({ ...r, blob })));
      const n = (counts.get(blob) ?? 0) + 1;
      counts.set(blob, n);
      await store.commit({
        checkpoint: { source: 'test', blob, lastBlockId: `b${n}`, blockCount: n, byteOffset: n, etag: null, updatedAt: new Date(0).toISOString() },
        tuples: [batch],
        derived: analyze(batch, ctx),
      });
    },
    async rows(sql) {
      const r = await store.query(sql);
      return r.rows.map((values) => Object.fromEntries(r.columns.map((c, i) => [c, values[i]])));
    },
    close: () => store.close(),
  };
}
