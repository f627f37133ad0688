/**
 * KQL translation overhead on DuckDB: five typical Traffic Analytics queries, each run as the
 * translated KQL and as a hand-written SQL equivalent in the same process, alternating, over a
 * generated NTANetAnalytics-shaped table (default 20M rows, built with DuckDB range() into
 * bench/data/query.duckdb and reused). Prints medians, ratios, translation time after warm-up;
 * with --json the last line is one JSON object.
 *
 * Translation is timed from the KQL string to the SQL string, two ways: `translation*` for a text
 * not seen before (each timed run appends its own `// comment`, so Kusto.Language parses and
 * analyses the whole query again — what a user typing a new query pays) and `cachedTranslation*`
 * for the same text again (the translator remembers the plans of texts it has translated).
 * `--translation-only` skips the database (no data generated, no queries run).
 *
 *   npm run bench:query -- [--rows 20000000] [--runs 5] [--json] [--translation-only]
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
const translationOnly = args.includes('--translation-only');
const NOW = Date.UTC(2026, 0, 10);

mkdirSync('bench/data', { recursive: true });
const file = `bench/data/query-${rows}.duckdb`;
const fresh = !translationOnly && !existsSync(file);
const con = translationOnly ? null : await (await DuckDBInstance.create(file)).connect();
if (fresh && con) {
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
  const r = await con!.runAndReadAll(sql);
  return { ms: performance.now() - t0, rows: r.currentRowCount };
}

const translate = (kql: string) => translateKql(kql, { dialect: 'duckdb', schema: schema as never, nowMs: NOW }).sql;
let unique = 0;
/** The query as a text the translator has not seen: same query, its own trailing comment. */
const freshText = (kql: string) => `${kql}\n// run ${++unique}`;

/** Median wall and CPU milliseconds of `n` translations; CPU time is what a shared machine can't inflate. */
function timeTranslation(n: number, textOf: () => string): { wall: number; cpu: number; sql: string } {
  const wall: number[] = [];
  const cpu: number[] = [];
  let sql = '';
  for (let i = 0; i < n; i++) {
    const text = textOf();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    sql = translate(text);
    const dc = process.cpuUsage(c0);
    wall.push(performance.now() - t0);
    cpu.push((dc.user + dc.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu), sql };
}

// Warm up: the first parses load Kusto.Language, build its grammar and binding caches and let the
// JIT compile the parser and binder paths these queries use.
for (let i = 0; i < 40; i++) for (const c of cases) translate(freshText(c.kql));

interface Result {
  query: string;
  translationMs: number;
  translationCpuMs: number;
  cachedTranslationMs: number;
  cachedTranslationCpuMs: number;
  translatedMs?: number;
  handWrittenMs?: number;
  ratio?: number;
  rows?: number;
  sameRowCount?: boolean;
}
// All translations are timed before any query runs, so DuckDB's threads and the garbage of
// large results do not land in the translator's wall or CPU time.
const translations = cases.map((c) => {
  const fresh = timeTranslation(20, () => freshText(c.kql));
  translate(c.kql);
  const cached = timeTranslation(20, () => c.kql);
  if (fresh.sql !== cached.sql) throw new Error(`${c.name}: a fresh translation and a cached one differ`);
  return { fresh, cached, sql: cached.sql };
});

const results: Result[] = [];
for (const [i, c] of cases.entries()) {
  const { fresh, cached, sql } = translations[i];
  if (!con) {
    const res = {
      query: c.name,
      translationMs: +fresh.wall.toFixed(2),
      translationCpuMs: +fresh.cpu.toFixed(2),
      cachedTranslationMs: +cached.wall.toFixed(3),
      cachedTranslationCpuMs: +cached.cpu.toFixed(3),
    };
    results.push(res);
    if (!json) console.log(`${c.name.padEnd(28)} translation ${res.translationMs} ms (cpu ${res.translationCpuMs} ms)  same text again ${res.cachedTranslationMs} ms (cpu ${res.cachedTranslationCpuMs} ms)`);
    continue;
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
    translationMs: +fresh.wall.toFixed(2),
    translationCpuMs: +fresh.cpu.toFixed(2),
    cachedTranslationMs: +cached.wall.toFixed(3),
    cachedTranslationCpuMs: +cached.cpu.toFixed(3),
    rows: kqlRows,
    sameRowCount: kqlRows === sqlRows,
  };
  results.push(res);
  if (!json) console.log(`${c.name.padEnd(28)} translated ${res.translatedMs} ms  hand-written ${res.handWrittenMs} ms  ratio ${res.ratio}  translation ${res.translationMs} ms (cpu ${res.translationCpuMs} ms, same text again ${res.cachedTranslationMs} ms)  rows ${kqlRows}/${sqlRows}`);
}
const summary = {
  bench: 'query',
  rows,
  runs,
  translationOnly,
  maxRatio: translationOnly ? null : Math.max(...results.map((r) => r.ratio ?? 0)),
  maxTranslationMs: Math.max(...results.map((r) => r.translationMs)),
  maxTranslationCpuMs: Math.max(...results.map((r) => r.translationCpuMs)),
  maxCachedTranslationMs: Math.max(...results.map((r) => r.cachedTranslationMs)),
  loadAverage: (await import('node:os')).loadavg()[0],
  results,
};
console.log(JSON.stringify(summary));
