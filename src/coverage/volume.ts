/**
 * Flow-log volume per NIC, read from a flowlens store (`FlowTuples` view), for the migration's
 * GB/month estimate. Read-only: only SELECTs go through `Store.query`.
 *
 * Estimate (documented in docs/coverage.md): for each NIC the plan records with VNet flow logs,
 * the bytes its tuples take in the VNet flow-log format (each field's text length plus commas and
 * quotes) plus one record envelope per NIC-minute with traffic. NICs that only have NSG flow-log
 * tuples today stand in with those (an NSG v1 log has no C/E tuples, so it underestimates). The
 * observed span is scaled to 30 days.
 */
import { existsSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { openStore } from '../store/index.js';

export interface NicVolume {
  mac: string;
  /** Highest flow-log version seen for the MAC (4 = VNet flow logs). */
  version: number;
  tuples: number;
  /** Bytes of the tuples in VNet flow-log text form. */
  tupleBytes: number;
  /** Distinct minutes with traffic (= records a VNet flow log writes for the NIC). */
  minutes: number;
  /** `flows[]` entries over all records: distinct (minute, aclID). */
  aclGroups: number;
  /** `flowGroups[]` entries over all records: distinct (minute, aclID, rule). */
  ruleGroups: number;
  /** Bytes of the aclID and rule strings over those entries. */
  groupStringBytes: number;
}

export interface StoreVolume {
  db: string;
  /** Observed span in ms (first to last tuple, plus one minute). */
  spanMs: number;
  byMac: Map<string, NicVolume>;
  /** Bytes of today's NSG flow-log tuples (versions 1 and 2), same text model. */
  nsgTupleBytes: number;
  nsgMinutes: number;
}

const TUPLE_BYTES_SQL = `
  length(CAST(time_ms AS VARCHAR)) + length(coalesce(src_ip, '')) + length(coalesce(dst_ip, '')) +
  length(CAST(src_port AS VARCHAR)) + length(CAST(dst_port AS VARCHAR)) + length(CAST(protocol AS VARCHAR)) +
  2 + coalesce(length(encryption), 2) +
  length(CAST(coalesce(packets_s2d, 0) AS VARCHAR)) + length(CAST(coalesce(bytes_s2d, 0) AS VARCHAR)) +
  length(CAST(coalesce(packets_d2s, 0) AS VARCHAR)) + length(CAST(coalesce(bytes_d2s, 0) AS VARCHAR)) + 15`;

export async function readStoreVolume(db: string): Promise<StoreVolume> {
  if (!existsSync(db)) throw new UsageError(`--db ${db}: no such store file (run flowlens ingest first)`);
  const store = await openStore({ db });
  try {
    const per = await store.query(
      `SELECT upper(mac) AS mac, max(version) AS version, count(*) AS tuples, sum(${TUPLE_BYTES_SQL}) AS tuple_bytes,
              count(DISTINCT time_ms // 60000) AS minutes,
              sum(CASE WHEN version < 4 THEN ${TUPLE_BYTES_SQL} ELSE 0 END) AS nsg_bytes,
              count(DISTINCT CASE WHEN version < 4 THEN time_ms // 60000 END) AS nsg_minutes,
              count(CASE WHEN version = 4 THEN 1 END) AS v4_tuples,
              sum(CASE WHEN version = 4 THEN ${TUPLE_BYTES_SQL} ELSE 0 END) AS v4_bytes,
              count(DISTINCT CASE WHEN version = 4 THEN time_ms // 60000 END) AS v4_minutes
       FROM FlowTuples WHERE mac IS NOT NULL GROUP BY upper(mac)`,
    );
    // Record structure per NIC: one flows[] entry per (minute, aclID), one flowGroups[] per rule.
    const groups = await store.query(
      `SELECT mac, v4, count(DISTINCT CAST(m AS VARCHAR) || '|' || acl) AS acls, count(*) AS rules,
              sum(length(rule)) + sum(length(acl)) AS string_bytes
       FROM (SELECT DISTINCT upper(mac) AS mac, version = 4 AS v4, time_ms // 60000 AS m,
                    coalesce(acl_id, '') AS acl, coalesce(rule, '') AS rule
             FROM FlowTuples WHERE mac IS NOT NULL)
       GROUP BY mac, v4`,
    );
    const groupStats = new Map<string, { acls: number; rules: number; bytes: number }>();
    for (const g of groups.rows)
      groupStats.set(`${String(g[0])}|${g[1] === true}`, {
        acls: Number(g[2]),
        rules: Number(g[3]),
        bytes: Number(g[4] ?? 0),
      });
    const span = await store.query('SELECT min(time_ms) AS lo, max(time_ms) AS hi FROM FlowTuples');
    const col = (name: string) => per.columns.indexOf(name);
    const byMac = new Map<string, NicVolume>();
    let nsgTupleBytes = 0;
    let nsgMinutes = 0;
    for (const r of per.rows) {
      const n = (name: string) => Number(r[col(name)] ?? 0);
      const hasV4 = n('v4_tuples') > 0;
      // A NIC already logged by a VNet flow log: its v4 tuples are what the plan keeps paying for.
      const mac = String(r[col('mac')]);
      const gs = groupStats.get(`${mac}|${hasV4}`) ?? { acls: 0, rules: 0, bytes: 0 };
      byMac.set(mac, {
        mac,
        aclGroups: gs.acls,
        ruleGroups: gs.rules,
        groupStringBytes: gs.bytes,
        version: n('version'),
        tuples: hasV4 ? n('v4_tuples') : n('tuples'),
        tupleBytes: hasV4 ? n('v4_bytes') : n('tuple_bytes'),
        minutes: hasV4 ? n('v4_minutes') : n('minutes'),
      });
      nsgTupleBytes += n('nsg_bytes');
      nsgMinutes += n('nsg_minutes');
    }
    const lo = Number(span.rows[0]?.[0] ?? 0);
    const hi = Number(span.rows[0]?.[1] ?? 0);
    return { db, spanMs: byMac.size ? hi - lo + 60_000 : 0, byMac, nsgTupleBytes, nsgMinutes };
  } finally {
    await store.close();
  }
}
