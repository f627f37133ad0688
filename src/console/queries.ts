/**
 * Every number the console shows comes from a query in this file, so tests can run the same
 * functions, or hand-written SQL, against the store and compare.
 *
 * Tables and columns are the Traffic Analytics shapes (`NTANetAnalytics`, `NTAIpDetails`) and
 * the raw `FlowTuples` table (column names of `FlowRow`, ARCHITECTURE.md).
 */
import type { ConsoleBackend, QueryLimits } from './backend.js';

export type Dialect = ConsoleBackend['dialect'];

/** Time range in epoch milliseconds; either end open. */
export interface TimeRange {
  from?: number;
  to?: number;
}

const TRUSTED_LIMITS: QueryLimits = { timeoutMs: 30_000, maxRows: 100_000 };

export const NTA = 'NTANetAnalytics';
export const IP_DETAILS = 'NTAIpDetails';
export const TUPLES = 'FlowTuples';

/** SQL fragments that differ between DuckDB and ClickHouse. */
export function sqlDialect(dialect: Dialect) {
  const duck = dialect === 'duckdb';
  return {
    epochMs: (col: string) => (duck ? `epoch_ms(${col})` : `(toUInt64(toUnixTimestamp(${col})) * 1000)`),
    firstPipeField: (col: string) =>
      duck ? `split_part(split_part(${col}, ' ', 1), '|', 1)` : `splitByChar('|', splitByChar(' ', ${col})[1])[1]`,
    ipv4ToNumber: (col: string) =>
      duck
        ? `(TRY_CAST(split_part(${col}, '.', 1) AS BIGINT) * 16777216 + TRY_CAST(split_part(${col}, '.', 2) AS BIGINT) * 65536 + TRY_CAST(split_part(${col}, '.', 3) AS BIGINT) * 256 + TRY_CAST(split_part(${col}, '.', 4) AS BIGINT))`
        : `toInt64(IPv4StringToNum(${col}))`,
    num: (expr: string) => (duck ? `CAST(coalesce(${expr}, 0) AS DOUBLE)` : `toFloat64(ifNull(${expr}, 0))`),
  };
}

/** SQL string literal. */
export function lit(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

const FLOWS = '(AllowedInFlows + AllowedOutFlows + DeniedInFlows + DeniedOutFlows)';
const ALLOWED = '(AllowedInFlows + AllowedOutFlows)';
const DENIED = '(DeniedInFlows + DeniedOutFlows)';
const BYTES = '(coalesce(BytesSrcToDest, 0) + coalesce(BytesDestToSrc, 0))';
const PACKETS = '(coalesce(PacketsSrcToDest, 0) + coalesce(PacketsDestToSrc, 0))';

function timeWhere(dialect: Dialect, range: TimeRange, column = 'FlowStartTime'): string {
  const d = sqlDialect(dialect);
  const parts: string[] = [];
  if (range.from !== undefined) parts.push(`${d.epochMs(column)} >= ${Math.trunc(range.from)}`);
  if (range.to !== undefined) parts.push(`${d.epochMs(column)} < ${Math.trunc(range.to)}`);
  return parts.length ? parts.join(' AND ') : '1 = 1';
}

async function rowsOf(backend: ConsoleBackend, sql: string) {
  return (await backend.query(sql, TRUSTED_LIMITS)).rows;
}

async function objectsOf<T>(backend: ConsoleBackend, sql: string): Promise<T[]> {
  const result = await backend.query(sql, TRUSTED_LIMITS);
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i]])) as T);
}

const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

// ---------------------------------------------------------------- overview

export interface Totals {
  rows: number;
  flows: number;
  allowed: number;
  denied: number;
  bytes: number;
  packets: number;
  firstMs: number | null;
  lastMs: number | null;
}

export async function totals(b: ConsoleBackend, range: TimeRange): Promise<Totals> {
  const d = sqlDialect(b.dialect);
  const [row] = await rowsOf(
    b,
    `SELECT count(*), sum(${d.num(FLOWS)}), sum(${d.num(ALLOWED)}), sum(${d.num(DENIED)}),
            sum(${d.num(BYTES)}), sum(${d.num(PACKETS)}),
            min(${d.epochMs('FlowStartTime')}), max(${d.epochMs('FlowStartTime')})
     FROM ${NTA} WHERE ${timeWhere(b.dialect, range)}`,
  );
  return {
    rows: n(row[0]),
    flows: n(row[1]),
    allowed: n(row[2]),
    denied: n(row[3]),
    bytes: n(row[4]),
    packets: n(row[5]),
    firstMs: row[6] === null ? null : n(row[6]),
    lastMs: row[7] === null ? null : n(row[7]),
  };
}

/** Whole range of data, for the time-range picker. */
export async function dataExtent(b: ConsoleBackend): Promise<{ firstMs: number | null; lastMs: number | null }> {
  const t = await totals(b, {});
  return { firstMs: t.firstMs, lastMs: t.lastMs };
}

export interface SeriesPoint {
  t: number;
  flowType: string;
  allowed: number;
  denied: number;
  bytes: number;
}

/** Bin width so that a range gives about 60 points, rounded to a whole minute count. */
export function binWidthMs(range: Required<TimeRange>): number {
  const minute = 60_000;
  const steps = [1, 5, 10, 15, 30, 60, 180, 360, 720, 1440].map((m) => m * minute);
  const ideal = Math.max(1, range.to - range.from) / 60;
  return steps.find((s) => s >= ideal) ?? steps[steps.length - 1];
}

export async function timeSeries(b: ConsoleBackend, range: TimeRange, binMs: number): Promise<SeriesPoint[]> {
  const d = sqlDialect(b.dialect);
  const rows = await rowsOf(
    b,
    `SELECT CAST(floor(${d.epochMs('FlowStartTime')} / ${binMs}) * ${binMs} AS BIGINT) AS t, FlowType,
            sum(${d.num(ALLOWED)}), sum(${d.num(DENIED)}), sum(${d.num(BYTES)})
     FROM ${NTA} WHERE ${timeWhere(b.dialect, range)}
     GROUP BY t, FlowType ORDER BY t, FlowType`,
  );
  return rows.map((r) => ({ t: n(r[0]), flowType: String(r[1] ?? ''), allowed: n(r[2]), denied: n(r[3]), bytes: n(r[4]) }));
}

export interface FlowTypeRow {
  flowType: string;
  flows: number;
  allowed: number;
  denied: number;
  bytes: number;
}

export async function byFlowType(b: ConsoleBackend, range: TimeRange): Promise<FlowTypeRow[]> {
  const d = sqlDialect(b.dialect);
  const rows = await rowsOf(
    b,
    `SELECT FlowType, sum(${d.num(FLOWS)}) AS flows, sum(${d.num(ALLOWED)}), sum(${d.num(DENIED)}), sum(${d.num(BYTES)})
     FROM ${NTA} WHERE ${timeWhere(b.dialect, range)}
     GROUP BY FlowType ORDER BY flows DESC, FlowType`,
  );
  return rows.map((r) => ({ flowType: String(r[0] ?? ''), flows: n(r[1]), allowed: n(r[2]), denied: n(r[3]), bytes: n(r[4]) }));
}

export interface TalkerRow {
  ip: string;
  bytes: number;
  flows: number;
}

/** Hosts by bytes sent or received; a host counts on either side of a row. */
export async function topTalkers(b: ConsoleBackend, range: TimeRange, limit = 10): Promise<TalkerRow[]> {
  const d = sqlDialect(b.dialect);
  const where = timeWhere(b.dialect, range);
  const rows = await rowsOf(
    b,
    `SELECT ip, sum(bytes) AS total_bytes, sum(flows) AS total_flows FROM (
       SELECT SrcIp AS ip, ${d.num(BYTES)} AS bytes, ${d.num(FLOWS)} AS flows FROM ${NTA} WHERE ${where} AND SrcIp <> ''
       UNION ALL
       SELECT DestIp AS ip, ${d.num(BYTES)} AS bytes, ${d.num(FLOWS)} AS flows FROM ${NTA} WHERE ${where} AND DestIp <> ''
     ) AS sides GROUP BY ip ORDER BY total_bytes DESC, ip LIMIT ${limit}`,
  );
  return rows.map((r) => ({ ip: String(r[0]), bytes: n(r[1]), flows: n(r[2]) }));
}

export interface ConversationRow {
  src: string;
  dest: string;
  flows: number;
  bytes: number;
}

export async function topConversations(b: ConsoleBackend, range: TimeRange, limit = 10): Promise<ConversationRow[]> {
  const d = sqlDialect(b.dialect);
  const rows = await rowsOf(
    b,
    `SELECT SrcIp, DestIp, sum(${d.num(FLOWS)}) AS flows, sum(${d.num(BYTES)}) AS bytes
     FROM ${NTA} WHERE ${timeWhere(b.dialect, range)} AND SrcIp <> '' AND DestIp <> ''
     GROUP BY SrcIp, DestIp ORDER BY bytes DESC, flows DESC, SrcIp, DestIp LIMIT ${limit}`,
  );
  return rows.map((r) => ({ src: String(r[0]), dest: String(r[1]), flows: n(r[2]), bytes: n(r[3]) }));
}

export interface PortRow {
  port: number;
  protocol: string;
  flows: number;
  bytes: number;
}

export async function topPorts(b: ConsoleBackend, range: TimeRange, limit = 10): Promise<PortRow[]> {
  const d = sqlDialect(b.dialect);
  const rows = await rowsOf(
    b,
    `SELECT DestPort, L4Protocol, sum(${d.num(FLOWS)}) AS flows, sum(${d.num(BYTES)}) AS bytes
     FROM ${NTA} WHERE ${timeWhere(b.dialect, range)}
     GROUP BY DestPort, L4Protocol ORDER BY flows DESC, bytes DESC, DestPort, L4Protocol LIMIT ${limit}`,
  );
  return rows.map((r) => ({ port: n(r[0]), protocol: String(r[1] ?? ''), flows: n(r[2]), bytes: n(r[3]) }));
}

export interface DeniedSourceRow {
  source: string;
  denied: number;
}

/** Sources of denied flows; a public source is blank in SrcIp, so its first listed IP is used. */
export async function topDeniedSources(b: ConsoleBackend, range: TimeRange, limit = 10): Promise<DeniedSourceRow[]> {
  const d = sqlDialect(b.dialect);
  const rows = await rowsOf(
    b,
    `SELECT src, sum(d) AS denied_flows FROM (
       SELECT CASE WHEN SrcIp <> '' THEN SrcIp ELSE ${d.firstPipeField('SrcPublicIps')} END AS src,
              ${d.num(DENIED)} AS d
       FROM ${NTA} WHERE ${timeWhere(b.dialect, range)}
     ) AS s WHERE d > 0 AND src <> '' GROUP BY src ORDER BY denied_flows DESC, src LIMIT ${limit}`,
  );
  return rows.map((r) => ({ source: String(r[0]), denied: n(r[1]) }));
}

export interface Overview {
  range: TimeRange;
  /** First and last flow start in the whole store. */
  extent: { firstMs: number | null; lastMs: number | null };
  binMs: number;
  totals: Totals;
  series: SeriesPoint[];
  flowTypes: FlowTypeRow[];
  talkers: TalkerRow[];
  conversations: ConversationRow[];
  ports: PortRow[];
  deniedSources: DeniedSourceRow[];
}

export async function overview(b: ConsoleBackend, range: TimeRange): Promise<Overview> {
  // Without a range the totals are the extent too, which saves one pass over the table.
  const whole = range.from === undefined && range.to === undefined;
  const [t, extentTotals] = whole ? await totals(b, range).then((x) => [x, x] as const) : await Promise.all([totals(b, range), totals(b, {})]);
  const extent = { firstMs: extentTotals.firstMs, lastMs: extentTotals.lastMs };
  const from = range.from ?? extent.firstMs ?? Date.now() - 3_600_000;
  const to = range.to ?? (extent.lastMs ?? Date.now()) + 1;
  const binMs = binWidthMs({ from, to });
  const [series, flowTypes, talkers, conversations, ports, deniedSources] = await Promise.all([
    timeSeries(b, range, binMs),
    byFlowType(b, range),
    topTalkers(b, range),
    topConversations(b, range),
    topPorts(b, range),
    topDeniedSources(b, range),
  ]);
  return { range, extent, binMs, totals: t, series, flowTypes, talkers, conversations, ports, deniedSources };
}

// ---------------------------------------------------------------- rules

export interface RuleHitRow {
  aclGroup: string;
  rule: string;
  allowed: number;
  denied: number;
  flows: number;
}

export async function ruleHits(b: ConsoleBackend, range: TimeRange): Promise<RuleHitRow[]> {
  const d = sqlDialect(b.dialect);
  const rows = await rowsOf(
    b,
    `SELECT AclGroup, AclRule, sum(${d.num(ALLOWED)}) AS allowed, sum(${d.num(DENIED)}) AS denied, sum(${d.num(FLOWS)}) AS flows
     FROM ${NTA} WHERE ${timeWhere(b.dialect, range)}
     GROUP BY AclGroup, AclRule ORDER BY flows DESC, AclGroup, AclRule`,
  );
  return rows.map((r) => ({ aclGroup: String(r[0] ?? ''), rule: String(r[1] ?? ''), allowed: n(r[2]), denied: n(r[3]), flows: n(r[4]) }));
}

export interface DenyBin {
  aclGroup: string;
  rule: string;
  t: number;
  denied: number;
}

export async function deniedByRuleOverTime(b: ConsoleBackend, range: TimeRange, binMs: number): Promise<DenyBin[]> {
  const d = sqlDialect(b.dialect);
  const rows = await rowsOf(
    b,
    `SELECT AclGroup, AclRule, CAST(floor(${d.epochMs('FlowStartTime')} / ${binMs}) * ${binMs} AS BIGINT) AS t, sum(${d.num(DENIED)}) AS denied
     FROM ${NTA} WHERE ${timeWhere(b.dialect, range)}
     GROUP BY AclGroup, AclRule, t HAVING sum(${d.num(DENIED)}) > 0 ORDER BY AclGroup, AclRule, t`,
  );
  return rows.map((r) => ({ aclGroup: String(r[0] ?? ''), rule: String(r[1] ?? ''), t: n(r[2]), denied: n(r[3]) }));
}

/**
 * A deny spike: a bin whose denied count is at least `factor` times the rule's mean over its
 * denying bins and at least `minimum`. The thresholds are a presentation choice, not Azure's.
 */
export function denySpikes(bins: DenyBin[], factor = 3, minimum = 5): DenyBin[] {
  const byRule = new Map<string, DenyBin[]>();
  for (const bin of bins) {
    const key = `${bin.aclGroup}\u0000${bin.rule}`;
    const list = byRule.get(key) ?? [];
    list.push(bin);
    byRule.set(key, list);
  }
  const spikes: DenyBin[] = [];
  for (const list of byRule.values()) {
    const mean = list.reduce((s, x) => s + x.denied, 0) / list.length;
    for (const bin of list) if (list.length > 1 && bin.denied >= minimum && bin.denied >= factor * mean) spikes.push(bin);
  }
  return spikes.sort((a, b) => b.denied - a.denied || a.t - b.t);
}

// ---------------------------------------------------------------- flows (raw tuples)

export interface FlowFilter extends TimeRange {
  ip?: string;
  cidr?: string;
  port?: number;
  protocol?: number;
  rule?: string;
  state?: 'B' | 'C' | 'E' | 'D';
  decision?: 'A' | 'D';
  encryption?: string;
  limit?: number;
  offset?: number;
}

/** [first, last] address of an IPv4 CIDR, as numbers; throws on malformed input. */
export function ipv4CidrRange(cidr: string): [number, number] {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(cidr.trim());
  if (!m) throw new RangeError(`"${cidr}" is not an IPv4 address or CIDR (a.b.c.d/n)`);
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) throw new RangeError(`"${cidr}" has an octet above 255`);
  const bits = m[5] === undefined ? 32 : Number(m[5]);
  if (bits > 32) throw new RangeError(`"${cidr}" has a prefix length above 32`);
  const base = ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
  const size = 2 ** (32 - bits);
  const first = Math.floor(base / size) * size;
  return [first, first + size - 1];
}

export function flowFilterWhere(dialect: Dialect, f: FlowFilter): string {
  const d = sqlDialect(dialect);
  const parts: string[] = [];
  if (f.from !== undefined) parts.push(`time_ms >= ${Math.trunc(f.from)}`);
  if (f.to !== undefined) parts.push(`time_ms < ${Math.trunc(f.to)}`);
  if (f.ip) parts.push(`(src_ip = ${lit(f.ip)} OR dst_ip = ${lit(f.ip)})`);
  if (f.cidr) {
    const [lo, hi] = ipv4CidrRange(f.cidr);
    parts.push(`((${d.ipv4ToNumber('src_ip')} BETWEEN ${lo} AND ${hi}) OR (${d.ipv4ToNumber('dst_ip')} BETWEEN ${lo} AND ${hi}))`);
  }
  if (f.port !== undefined) parts.push(`(src_port = ${Math.trunc(f.port)} OR dst_port = ${Math.trunc(f.port)})`);
  if (f.protocol !== undefined) parts.push(`protocol = ${Math.trunc(f.protocol)}`);
  if (f.rule) parts.push(`rule = ${lit(f.rule)}`);
  if (f.state) parts.push(`state = ${lit(f.state)}`);
  if (f.decision) parts.push(`decision = ${lit(f.decision)}`);
  if (f.encryption) parts.push(`encryption = ${lit(f.encryption)}`);
  return parts.length ? parts.join(' AND ') : '1 = 1';
}

export const FLOW_COLUMNS = [
  'time_ms', 'src_ip', 'src_port', 'dst_ip', 'dst_port', 'protocol', 'direction', 'state', 'decision',
  'encryption', 'rule', 'mac', 'bytes_s2d', 'bytes_d2s', 'blob', 'block',
] as const;

export interface FlowPage {
  total: number;
  columns: string[];
  rows: unknown[][];
}

export async function flowTuples(b: ConsoleBackend, f: FlowFilter): Promise<FlowPage> {
  const where = flowFilterWhere(b.dialect, f);
  const limit = Math.min(Math.max(1, Math.trunc(f.limit ?? 100)), 1000);
  const offset = Math.max(0, Math.trunc(f.offset ?? 0));
  const [[count]] = await rowsOf(b, `SELECT count(*) FROM ${TUPLES} WHERE ${where}`);
  const result = await b.query(
    `SELECT ${FLOW_COLUMNS.join(', ')} FROM ${TUPLES} WHERE ${where}
     ORDER BY time_ms, blob, block, src_ip, dst_ip, src_port, dst_port LIMIT ${limit} OFFSET ${offset}`,
    TRUSTED_LIMITS,
  );
  return { total: n(count), columns: result.columns, rows: result.rows };
}

// ---------------------------------------------------------------- topology

export interface TrafficEdge {
  src: string;
  dest: string;
  flows: number;
  bytes: number;
  denied: number;
}

/** Subnet-to-subnet traffic (`<RG>/<VNet>/<Subnet>` names), both ends known. */
export async function subnetEdges(b: ConsoleBackend, range: TimeRange): Promise<TrafficEdge[]> {
  return edgesBy(b, range, 'SrcSubnet', 'DestSubnet');
}

/** VM-to-VM traffic (`<RG>/<VM>` names), both ends known. */
export async function vmEdges(b: ConsoleBackend, range: TimeRange): Promise<TrafficEdge[]> {
  return edgesBy(b, range, 'SrcVm', 'DestVm');
}

async function edgesBy(b: ConsoleBackend, range: TimeRange, src: string, dest: string): Promise<TrafficEdge[]> {
  const d = sqlDialect(b.dialect);
  const rows = await rowsOf(
    b,
    `SELECT ${src}, ${dest}, sum(${d.num(FLOWS)}) AS flows, sum(${d.num(BYTES)}) AS bytes, sum(${d.num(DENIED)}) AS denied
     FROM ${NTA} WHERE ${timeWhere(b.dialect, range)} AND ${src} <> '' AND ${dest} <> ''
     GROUP BY ${src}, ${dest} ORDER BY bytes DESC, ${src}, ${dest}`,
  );
  return rows.map((r) => ({ src: String(r[0]), dest: String(r[1]), flows: n(r[2]), bytes: n(r[3]), denied: n(r[4]) }));
}

/** VM → subnet pairs seen in the data, to place VMs when no scenario is loaded. */
export async function vmSubnets(b: ConsoleBackend, range: TimeRange): Promise<{ vm: string; subnet: string; ip: string }[]> {
  const where = timeWhere(b.dialect, range);
  const rows = await rowsOf(
    b,
    `SELECT DISTINCT vm, subnet, ip FROM (
       SELECT SrcVm AS vm, SrcSubnet AS subnet, SrcIp AS ip FROM ${NTA} WHERE ${where}
       UNION ALL SELECT DestVm AS vm, DestSubnet AS subnet, DestIp AS ip FROM ${NTA} WHERE ${where}
     ) AS s WHERE vm <> '' AND subnet <> '' ORDER BY vm, subnet, ip`,
  );
  return rows.map((r) => ({ vm: String(r[0]), subnet: String(r[1]), ip: String(r[2] ?? '') }));
}

export type EdgeLevel = 'subnet' | 'vm';

/** The aggregated rows behind a topology node or edge. */
export async function rowsForSelection(
  b: ConsoleBackend,
  range: TimeRange,
  sel: { level: EdgeLevel; src?: string; dest?: string; node?: string },
  limit = 200,
): Promise<{ columns: string[]; rows: unknown[][] }> {
  const [s, t] = sel.level === 'vm' ? ['SrcVm', 'DestVm'] : ['SrcSubnet', 'DestSubnet'];
  const parts = [timeWhere(b.dialect, range)];
  if (sel.src) parts.push(`${s} = ${lit(sel.src)}`);
  if (sel.dest) parts.push(`${t} = ${lit(sel.dest)}`);
  if (sel.node) parts.push(`(${s} = ${lit(sel.node)} OR ${t} = ${lit(sel.node)})`);
  const d = sqlDialect(b.dialect);
  const result = await b.query(
    `SELECT ${d.epochMs('FlowStartTime')} AS FlowStartMs, FlowType, SrcIp, DestIp, DestPort, L4Protocol, FlowDirection, FlowStatus,
            AclRule, ${FLOWS} AS Flows, ${BYTES} AS Bytes
     FROM ${NTA} WHERE ${parts.join(' AND ')} ORDER BY FlowStartMs, SrcIp, DestIp, DestPort LIMIT ${limit}`,
    TRUSTED_LIMITS,
  );
  return { columns: result.columns, rows: result.rows };
}

// ---------------------------------------------------------------- public IPs

export interface CountryRow {
  country: string;
  flows: number;
  bytes: number;
  malicious: number;
}

/** External and malicious traffic by ISO country code (the `Country` column). */
export async function trafficByCountry(b: ConsoleBackend, range: TimeRange): Promise<CountryRow[]> {
  const d = sqlDialect(b.dialect);
  const rows = await rowsOf(
    b,
    `SELECT Country, sum(${d.num(FLOWS)}) AS flows, sum(${d.num(BYTES)}) AS bytes,
            sum(CASE WHEN FlowType = 'MaliciousFlow' THEN ${d.num(FLOWS)} ELSE 0 END) AS malicious
     FROM ${NTA} WHERE ${timeWhere(b.dialect, range)} AND FlowType IN ('ExternalPublic', 'MaliciousFlow') AND Country <> ''
     GROUP BY Country ORDER BY flows DESC, Country`,
  );
  return rows.map((r) => ({ country: String(r[0]), flows: n(r[1]), bytes: n(r[2]), malicious: n(r[3]) }));
}

export interface RegionRow {
  region: string;
  flows: number;
  bytes: number;
}

export async function trafficByAzureRegion(b: ConsoleBackend, range: TimeRange): Promise<RegionRow[]> {
  const d = sqlDialect(b.dialect);
  const rows = await rowsOf(
    b,
    `SELECT AzureRegion, sum(${d.num(FLOWS)}) AS flows, sum(${d.num(BYTES)}) AS bytes
     FROM ${NTA} WHERE ${timeWhere(b.dialect, range)} AND FlowType = 'AzurePublic' AND AzureRegion <> ''
     GROUP BY AzureRegion ORDER BY flows DESC, AzureRegion`,
  );
  return rows.map((r) => ({ region: String(r[0]), flows: n(r[1]), bytes: n(r[2]) }));
}

export interface MaliciousIpRow {
  ip: string;
  threatType: string;
  description: string;
  location: string;
}

export async function maliciousIps(b: ConsoleBackend, range: TimeRange): Promise<MaliciousIpRow[]> {
  const rows = await rowsOf(
    b,
    `SELECT Ip, max(ThreatType), max(ThreatDescription), max(Location)
     FROM ${IP_DETAILS} WHERE ${timeWhere(b.dialect, range, 'FlowIntervalStartTime')} AND FlowType = 'MaliciousFlow'
     GROUP BY Ip ORDER BY Ip`,
  );
  return rows.map((r) => ({ ip: String(r[0]), threatType: String(r[1] ?? ''), description: String(r[2] ?? ''), location: String(r[3] ?? '') }));
}

export interface PublicIpSummaryRow {
  flowType: string;
  ips: number;
}

export async function publicIpSummary(b: ConsoleBackend, range: TimeRange): Promise<PublicIpSummaryRow[]> {
  const rows = await rowsOf(
    b,
    `SELECT FlowType, count(DISTINCT Ip) AS ips FROM ${IP_DETAILS}
     WHERE ${timeWhere(b.dialect, range, 'FlowIntervalStartTime')} GROUP BY FlowType ORDER BY FlowType`,
  );
  return rows.map((r) => ({ flowType: String(r[0]), ips: n(r[1]) }));
}

// ---------------------------------------------------------------- live

/** Cheap change marker: row counts of the tables the views read. */
export async function dataVersion(b: ConsoleBackend): Promise<string> {
  // The store's physical tables count in microseconds; the views would fold every row. Stores
  // laid out differently fall back to the views.
  const physical = await rowsOf(b, `SELECT (SELECT count(*) FROM ta_flow_partials), (SELECT count(*) FROM flow_tuples)`).catch(() => null);
  const [row] = physical ?? (await rowsOf(b, `SELECT (SELECT count(*) FROM ${NTA}), (SELECT count(*) FROM ${TUPLES})`));
  return `${n(row[0])}:${n(row[1])}`;
}

export { objectsOf };
