/**
 * KQL translation overhead on DuckDB: five typical Traffic Analytics queries, each run as the
 * translated KQL and as a hand-written SQL equivalent in the same process, alternating, over a
 * generated NTANetAnalytics-shaped table (default 20M rows, built with DuckDB range() into
 * bench/data/query.duckdb and reused). Prints medians, ratios, translation time after warm-up;
 * with --json the last line is one JSON object.
 *
 *   npm run bench:query -- [--rows 20000000] [--runs 5] [--json]
 */
import { existsSync, mkdirSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { translateKql } from '../src/query/kql/index.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const rows = opt('rows', 20_000_000);
const runs = opt('runs', 5);
const json = args.includes('--json');
const NOW = Date.UTC(2026, 0, 10);

mkdirSync('bench/data', { recursive: true });
const file = `bench/data/query-${rows}.duckdb`;
const fresh = !existsSync(file);
const instance = await DuckDBInstance.create(file);
const con = await instance.connect();
if (fresh) {
  const t0 = performance.now();
  // Dictionary lists keep generation cheap (no per-row string building); DuckDB folds the literals.
  const list = (xs: string[]) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;
  const privateIps = Array.from({ length: 2000 }, (_, j) => `10.${j % 4}.${(j >> 2) % 50}.${j % 250}`);
  const publicIps = Array.from({ length: 3000 }, (_, j) => `203.0.${j % 200}.${(j * 7) % 250}`);
  const newIps = Array.from({ length: 50 }, (_, j) => `198.51.100.${j}`);
  await con.run(`CREATE TABLE NTANetAnalytics AS
    SELECT
      CASE WHEN i % 100000 = 7 THEN TIMESTAMP '2026-01-09 12:00:00' ELSE TIMESTAMP '2026-01-03 00:00:00' + to_microseconds((i * 7919 % (7 * 86400)) * 1000000) END AS TimeGenerated,
      'FlowLog' AS SubType,
      CASE WHEN i % 3 = 0 OR i % 100000 = 7 THEN 'ExternalPublic' ELSE ['IntraVNet', 'InterVNet', 'AzurePublic', 'MaliciousFlow', 'S2S'][1 + (i * 31 % 5)::INT] END AS FlowType,
      ${list(privateIps)}[1 + (i * 7 % 2000)::INT] AS SrcIp,
      CASE WHEN i % 100000 = 7 THEN ${list(newIps)}[1 + (i // 100000 % 50)::INT]
           WHEN i % 3 = 0 THEN ${list(publicIps)}[1 + (i * 13 % 3000)::INT]
           ELSE ${list(privateIps)}[1 + (i * 11 % 2000)::INT] END AS DestIp,
      [22, 80, 443, 3389, 53, 1433, 8080][1 + (i * 37 % 7)::INT] AS DestPort,
      CASE WHEN i % 11 = 0 THEN 'Denied' ELSE 'Allowed' END AS FlowStatus,
      CASE WHEN i % 2 = 0 THEN 'Inbound' ELSE 'Outbound' END AS FlowDirection,
      ['DefaultRule_DenyAllInBound', 'UserRule_allow-https', 'UserRule_allow-ssh', 'platformrule', 'UserRule_deny-rdp'][1 + (i * 13 % 5)::INT] AS AclRule,
      (i * 101 % 100000)::BIGINT AS BytesSrcToDest,
      (i * 37 % 50000)::BIGINT AS BytesDestToSrc,
      (i % 3)::BIGINT AS DeniedInFlows,
      (i % 5)::BIGINT AS AllowedOutFlows
    FROM range(${rows}) t(i)`);
  await con.run('CHECKPOINT');
  if (!json) console.log(`generated ${rows} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const schema = {
  tables: [
    {
      name: 'NTANetAnalytics',
      columns: [
        { name: 'TimeGenerated', type: 'datetime' },
        { name: 'SubType', type: 'string' },
        { name: 'FlowType', type: 'string' },
        { name: 'SrcIp', type: 'string' },
        { name: 'DestIp', type: 'string' },
        { name: 'DestPort', type: 'int' },
        { name: 'FlowStatus', type: 'string' },
        { name: 'FlowDirection', type: 'string' },
        { name: 'AclRule', type: 'string' },
        { name: 'BytesSrcToDest', type: 'long' },
        { name: 'BytesDestToSrc', type: 'long' },
        { name: 'DeniedInFlows', type: 'long' },
        { name: 'AllowedOutFlows', type: 'long' },
      ],
    },
  ],
} as const;

const cases = [
  {
    name: 'top talkers',
    kql: `NTANetAnalytics | where SubType == 'FlowLog' | summarize TotalBytes = sum(BytesSrcToDest + BytesDestToSrc) by SrcIp | top 10 by TotalBytes desc`,
    sql: `SELECT SrcIp, CAST(sum(BytesSrcToDest + BytesDestToSrc) AS BIGINT) AS TotalBytes FROM NTANetAnalytics WHERE SubType = 'FlowLog' GROUP BY SrcIp ORDER BY TotalBytes DESC NULLS LAST LIMIT 10`,
  },
  {
    name: 'denied flows by rule',
    kql: `NTANetAnalytics | where FlowStatus == 'Denied' | summarize Flows = count(), Sources = dcount(SrcIp) by AclRule | sort by Flows desc`,
    sql: `SELECT AclRule, count(*) AS Flows, count(DISTINCT SrcIp) AS Sources FROM NTANetAnalytics WHERE FlowStatus = 'Denied' GROUP BY AclRule ORDER BY Flows DESC NULLS LAST`,
  },
  {
    name: 'bytes per hour by flow type',
    kql: `NTANetAnalytics | where TimeGenerated > ago(7d) | summarize Bytes = sum(BytesSrcToDest + BytesDestToSrc) by FlowType, bin(TimeGenerated, 1h) | render timechart`,
    sql: `SELECT FlowType, date_trunc('hour', TimeGenerated) AS TimeGenerated, CAST(sum(BytesSrcToDest + BytesDestToSrc) AS BIGINT) AS Bytes FROM NTANetAnalytics WHERE TimeGenerated > TIMESTAMP '2026-01-03 00:00:00' GROUP BY 1, 2`,
  },
  {
    name: 'new external IPs',
    kql: `NTANetAnalytics | where FlowType == 'ExternalPublic' and TimeGenerated > ago(1d) | distinct DestIp | join kind=leftanti (NTANetAnalytics | where FlowType == 'ExternalPublic' and TimeGenerated <= ago(1d) | distinct DestIp) on DestIp`,
    // Anti join written the way DuckDB runs fastest (NOT IN would be a slower mark join).
    sql: `SELECT DISTINCT n.DestIp FROM NTANetAnalytics n WHERE n.FlowType = 'ExternalPublic' AND n.TimeGenerated > TIMESTAMP '2026-01-09 00:00:00'
          AND NOT EXISTS (SELECT 1 FROM NTANetAnalytics o WHERE o.FlowType = 'ExternalPublic' AND o.TimeGenerated <= TIMESTAMP '2026-01-09 00:00:00' AND o.DestIp = n.DestIp)`,
  },
  {
    name: 'ports per IP pair',
    kql: `NTANetAnalytics | summarize Ports = dcount(DestPort), Bytes = sum(BytesSrcToDest) by SrcIp, DestIp | top 20 by Ports desc`,
    sql: `SELECT SrcIp, DestIp, count(DISTINCT DestPort) AS Ports, CAST(sum(BytesSrcToDest) AS BIGINT) AS Bytes FROM NTANetAnalytics GROUP BY SrcIp, DestIp ORDER BY Ports DESC NULLS LAST LIMIT 20`,
  },
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function time(sql: string): Promise<{ ms: number; rows: number }> {
  const t0 = performance.now();
  const r = await con.runAndReadAll(sql);
  return { ms: performance.now() - t0, rows: r.currentRowCount };
}

// Warm up the parser (first parse loads and JITs Kusto.Language).
for (let i = 0; i < 3; i++) for (const c of cases) translateKql(c.kql, { dialect: 'duckdb', schema: schema as never, nowMs: NOW });

const results = [];
for (const c of cases) {
  const tt: number[] = [];
  const cpu: number[] = [];
  let sql = '';
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    sql = translateKql(c.kql, { dialect: 'duckdb', schema: schema as never, nowMs: NOW }).sql;
    const dc = process.cpuUsage(c0);
    tt.push(performance.now() - t0);
    // CPU time of this process: what translation costs when the machine is shared.
    cpu.push((dc.user + dc.system) / 1000);
  }
  const kqlTimes: number[] = [];
  const sqlTimes: number[] = [];
  let kqlRows = 0;
  let sqlRows = 0;
  await time(sql);
  await time(c.sql);
  for (let r = 0; r < runs; r++) {
    // Alternate which one runs first so caches and machine load hit both alike.
    const order = r % 2 === 0 ? ['kql', 'sql'] : ['sql', 'kql'];
    for (const which of order) {
      const t = await time(which === 'kql' ? sql : c.sql);
      if (which === 'kql') {
        kqlTimes.push(t.ms);
        kqlRows = t.rows;
      } else {
        sqlTimes.push(t.ms);
        sqlRows = t.rows;
      }
    }
  }
  const res = {
    query: c.name,
    translatedMs: +median(kqlTimes).toFixed(1),
    handWrittenMs: +median(sqlTimes).toFixed(1),
    ratio: +(median(kqlTimes) / median(sqlTimes)).toFixed(3),
    translationMs: +median(tt).toFixed(2),
    translationCpuMs: +median(cpu).toFixed(2),
    rows: kqlRows,
    sameRowCount: kqlRows === sqlRows,
  };
  results.push(res);
  if (!json) console.log(`${c.name.padEnd(28)} translated ${res.translatedMs} ms  hand-written ${res.handWrittenMs} ms  ratio ${res.ratio}  translation ${res.translationMs} ms (cpu ${res.translationCpuMs} ms)  rows ${kqlRows}/${sqlRows}`);
}
const summary = {
  bench: 'query',
  rows,
  runs,
  maxRatio: Math.max(...results.map((r) => r.ratio)),
  maxTranslationMs: Math.max(...results.map((r) => r.translationMs)),
  maxTranslationCpuMs: Math.max(...results.map((r) => r.translationCpuMs)),
  loadAverage: (await import('node:os')).loadavg()[0],
  results,
};
console.log(JSON.stringify(summary));
