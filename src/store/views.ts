/**
 * The readable tables users query, as views over the physical tables, generated for each
 * dialect from one description. Everything here is SQL both DuckDB and ClickHouse 18.16 accept:
 * no table CTEs, no JOIN (18.16 needs ANY/ALL strictness, DuckDB rejects it), searched CASE
 * only, `concat()` rather than `||`.
 *
 * Incremental aggregation: `ta_flow_partials` holds per-minute partial aggregates, one per
 * (capture point, key, public IP). The views fold them in two levels:
 *   level 1 — per interval, key and public IP (sums, port lists, enrichment);
 *   level 2 — per interval and key, joining the public-IP entries into Src/DestPublicIps.
 * A block arriving in a later commit only adds partial rows, so the folded row stays right.
 */
import { TA_ENRICHMENT_COLUMNS, TA_FLOW_PARTIALS, TA_SUM_COLUMNS } from './schema.js';

export type DialectName = 'duckdb' | 'clickhouse';

export interface ViewDialect {
  name: DialectName;
  /** Readable string of a `dict` column (DuckDB: dictionary lookup; ClickHouse: the column). */
  resolve(column: string): string;
  /** Millisecond epoch → the dialect's timestamp type. */
  timestamp(msExpr: string): string;
  toText(expr: string): string;
  /** Level-1 aggregate of a u16 list column (duplicates allowed). */
  portsLevel1(column: string): string;
  /** Level-2: distinct, sorted, `|`-joined text. */
  portsLevel2(column: string): string;
  /** Space-joined, sorted list of text entries. */
  joinEntries(expr: string): string;
  /** Integer sum that stays a 64-bit integer (DuckDB widens sum(BIGINT) to HUGEINT). */
  sum(expr: string): string;
  falseLiteral: string;
  /** FROM clause suffix that brings the dictionary into scope (`d`). */
  dictionaryScope: string;
  /** Physical table name to read from (ClickHouse: the Distributed table). */
  table(name: string): string;
}

export const duckDialect: ViewDialect = {
  name: 'duckdb',
  resolve: (c) => `d.v[${c} + 1]`,
  timestamp: (ms) => `epoch_ms(${ms})`,
  toText: (e) => `CAST(${e} AS VARCHAR)`,
  portsLevel1: (c) => `flatten(list(${c}))`,
  portsLevel2: (c) => `array_to_string(list_sort(list_distinct(flatten(list(${c})))), '|')`,
  joinEntries: (e) => `coalesce(string_agg(${e}, ' ' ORDER BY ${e}), '')`,
  sum: (e) => `CAST(sum(${e}) AS BIGINT)`,
  falseLiteral: 'false',
  dictionaryScope: `, (SELECT list(value ORDER BY id) AS v FROM flow_strings) AS d`,
  table: (n) => n,
};

export const clickhouseDialect: ViewDialect = {
  name: 'clickhouse',
  resolve: (c) => c,
  timestamp: (ms) => `toDateTime(intDiv(${ms}, 1000), 'UTC')`,
  toText: (e) => `toString(${e})`,
  portsLevel1: (c) => `groupUniqArrayArray(${c})`,
  portsLevel2: (c) => `arrayStringConcat(arrayMap(x -> toString(x), arraySort(groupUniqArrayArray(${c}))), '|')`,
  joinEntries: (e) => `arrayStringConcat(arraySort(groupArray(${e})), ' ')`,
  sum: (e) => `sum(${e})`,
  falseLiteral: '0',
  dictionaryScope: '',
  table: (n) => n,
};

/** Well-known destination ports → L7 protocol names (Microsoft does not publish its table). */
export const L7_PORTS: ReadonlyArray<[number, string]> = [
  [20, 'ftp-data'],
  [21, 'ftp'],
  [22, 'ssh'],
  [23, 'telnet'],
  [25, 'smtp'],
  [53, 'dns'],
  [67, 'dhcp'],
  [80, 'http'],
  [110, 'pop3'],
  [123, 'ntp'],
  [135, 'msrpc'],
  [137, 'netbios-ns'],
  [139, 'netbios-ssn'],
  [143, 'imap'],
  [161, 'snmp'],
  [389, 'ldap'],
  [443, 'https'],
  [445, 'smb'],
  [465, 'smtps'],
  [587, 'smtp'],
  [636, 'ldaps'],
  [993, 'imaps'],
  [995, 'pop3s'],
  [1433, 'mssql'],
  [1521, 'oracle'],
  [2049, 'nfs'],
  [3306, 'mysql'],
  [3389, 'rdp'],
  [5432, 'postgresql'],
  [5671, 'amqps'],
  [5985, 'winrm'],
  [5986, 'winrm'],
  [6379, 'redis'],
  [8080, 'http'],
  [8443, 'https'],
  [9092, 'kafka'],
  [27017, 'mongodb'],
];

function l7Expr(port: string): string {
  const cases = L7_PORTS.map(([p, name]) => `WHEN ${port} = ${p} THEN '${name}'`).join(' ');
  return `CASE ${cases} ELSE 'unknown' END`;
}

/** Key columns of the partial table (dictionary ids in DuckDB, strings in ClickHouse). */
const KEY = [
  'version',
  'mac',
  'flow_log_id',
  'target_resource_id',
  'target_resource_type',
  'src_ip',
  'dst_ip',
  'public_side',
  'dst_port',
  'protocol',
  'direction',
  'decision',
  'acl_group',
  'acl_rule',
  'rule_type',
  'encryption',
  'flow_type',
  'country',
  'azure_region',
];

/** Enrichment columns are functions of the key for one topology snapshot; `max` picks one. */
const ENRICHMENT = TA_ENRICHMENT_COLUMNS;
const SUMS = TA_SUM_COLUMNS;

// keep the view in step with the table definition
for (const c of [...KEY, ...ENRICHMENT, ...SUMS]) {
  if (!TA_FLOW_PARTIALS.columns.some((col) => col.name === c)) throw new Error(`views: unknown partial column ${c}`);
}

/**
 * The folded flow rows; NTANetAnalytics and _CL project from it. Aggregates get level prefixes
 * (`a_` level 1, `b_` level 2): ClickHouse 18.16 rejects `max(x) AS x` as a cyclic alias.
 */
function foldedFlows(d: ViewDialect, intervalMinutes: number, versions: string): string {
  const span = intervalMinutes * 60_000;
  const level1 = `
    SELECT (minute_ms - (minute_ms % ${span})) AS istart, ${KEY.join(', ')}, public_ip,
      ${ENRICHMENT.map((c) => `max(${c}) AS a_${c}`).join(', ')},
      ${d.portsLevel1('src_ports')} AS a_ports,
      ${SUMS.map((c) => `sum(${c}) AS a_${c}`).join(', ')},
      min(first_ms) AS a_first_ms, max(last_ms) AS a_last_ms, max(last_begin_ms) AS a_last_begin_ms
    FROM ${d.table('ta_flow_partials')}
    WHERE version IN (${versions})
    GROUP BY istart, ${KEY.join(', ')}, public_ip`;
  const entry = `concat(${d.resolve('public_ip')}, '|', ${d.toText('a_started')}, '|', ${d.toText('a_completed')}, '|', ${d.toText(
    'a_packets_s2d',
  )}, '|', ${d.toText('a_packets_d2s')}, '|', ${d.toText('a_bytes_s2d')}, '|', ${d.toText('a_bytes_d2s')})`;
  const level2 = `
    SELECT istart, ${KEY.join(', ')},
      ${ENRICHMENT.map((c) => `max(a_${c}) AS ${c}`).join(', ')},
      ${d.portsLevel2('a_ports')} AS src_ports,
      ${SUMS.map((c) => `${d.sum(`a_${c}`)} AS ${c}`).join(', ')},
      min(a_first_ms) AS first_ms, max(a_last_ms) AS last_ms, max(a_last_begin_ms) AS last_begin_ms,
      ${d.joinEntries(entry)} AS public_ips
    FROM (${level1}) AS l1${d.dictionaryScope}
    GROUP BY istart, ${KEY.join(', ')}`;
  return level2;
}

function strCol(d: ViewDialect, c: string): string {
  return `coalesce(${d.resolve(c)}, '')`;
}

export function ntaNetAnalyticsView(d: ViewDialect, intervalMinutes: number): string {
  const span = intervalMinutes * 60_000;
  const s = (c: string) => strCol(d, c);
  return `SELECT
    ${d.timestamp(`f.istart + ${span}`)} AS TimeGenerated,
    ${d.timestamp(`f.istart + ${span}`)} AS TimeProcessed,
    'FlowLog' AS SubType,
    '3' AS FaSchemaVersion,
    ${d.timestamp('f.istart')} AS FlowIntervalStartTime,
    ${d.timestamp(`f.istart + ${span}`)} AS FlowIntervalEndTime,
    ${d.timestamp('f.first_ms')} AS FlowStartTime,
    ${d.timestamp('coalesce(f.last_begin_ms, f.last_ms)')} AS FlowEndTime,
    ${s('flow_type')} AS FlowType,
    ${s('src_ip')} AS SrcIp,
    ${s('dst_ip')} AS DestIp,
    f.src_ports AS SrcPorts,
    f.dst_port AS DestPort,
    CASE WHEN f.protocol = 6 THEN 'T' WHEN f.protocol = 17 THEN 'U' ELSE ${d.toText('f.protocol')} END AS L4Protocol,
    ${l7Expr('f.dst_port')} AS L7Protocol,
    CASE WHEN f.direction = 0 THEN 'Inbound' ELSE 'Outbound' END AS FlowDirection,
    CASE WHEN f.decision = 0 THEN 'Allowed' ELSE 'Denied' END AS FlowStatus,
    ${s('acl_group')} AS AclGroup,
    ${s('acl_rule')} AS AclRule,
    '' AS NsgList, '' AS NsgRule, '' AS NsgRuleType,
    ${s('mac')} AS MacAddress,
    ${s('target_resource_id')} AS TargetResourceId,
    ${s('target_resource_type')} AS TargetResourceType,
    ${s('flow_log_id')} AS FlowLogResourceId,
    ${s('flow_log_id')} AS LogResourceId,
    ${s('src_subscription')} AS SrcSubscription,
    ${s('dest_subscription')} AS DestSubscription,
    ${s('src_region')} AS SrcRegion,
    ${s('dest_region')} AS DestRegion,
    ${s('src_nic')} AS SrcNic,
    ${s('dest_nic')} AS DestNic,
    ${s('src_vm')} AS SrcVm,
    ${s('dest_vm')} AS DestVm,
    ${s('src_subnet')} AS SrcSubnet,
    ${s('dest_subnet')} AS DestSubnet,
    ${s('src_vnet')} AS SrcVnet,
    ${s('dest_vnet')} AS DestVnet,
    ${s('connection_type')} AS ConnectionType,
    ${s('connection_name')} AS ConnectionName,
    ${s('connecting_vnets')} AS ConnectingVnets,
    ${s('country')} AS Country,
    ${s('azure_region')} AS AzureRegion,
    CASE WHEN f.public_side = 1 THEN f.public_ips ELSE '' END AS SrcPublicIps,
    CASE WHEN f.public_side = 2 THEN f.public_ips ELSE '' END AS DestPublicIps,
    ${s('src_service_tag')} AS SrcServiceTags,
    ${s('dest_service_tag')} AS DestServiceTags,
    f.allowed_in AS AllowedInFlows,
    f.denied_in AS DeniedInFlows,
    f.allowed_out AS AllowedOutFlows,
    f.denied_out AS DeniedOutFlows,
    f.completed AS CompletedFlows,
    f.packets_s2d AS PacketsSrcToDest,
    f.packets_d2s AS PacketsDestToSrc,
    f.bytes_s2d AS BytesSrcToDest,
    f.bytes_d2s AS BytesDestToSrc,
    f.record_count AS RecordCount,
    ${s('encryption')} AS FlowEncryption,
    ${d.falseLiteral} AS IsFlowCapturedAtUdrHop
  FROM (${foldedFlows(d, intervalMinutes, '4')}) AS f${d.dictionaryScope}`;
}

export function azureNetworkAnalyticsView(d: ViewDialect, intervalMinutes: number): string {
  const span = intervalMinutes * 60_000;
  const s = (c: string) => strCol(d, c);
  return `SELECT
    ${d.timestamp(`f.istart + ${span}`)} AS TimeGenerated,
    'FlowLog' AS SubType_s,
    '2' AS FASchemaVersion_s,
    ${d.timestamp(`f.istart + ${span}`)} AS TimeProcessed_t,
    ${d.timestamp('f.istart')} AS FlowIntervalStartTime_t,
    ${d.timestamp(`f.istart + ${span}`)} AS FlowIntervalEndTime_t,
    ${d.timestamp('f.first_ms')} AS FlowStartTime_t,
    ${d.timestamp('coalesce(f.last_begin_ms, f.last_ms)')} AS FlowEndTime_t,
    ${s('flow_type')} AS FlowType_s,
    ${s('src_ip')} AS SrcIP_s,
    ${s('dst_ip')} AS DestIP_s,
    f.dst_port AS DestPort_d,
    CASE WHEN f.protocol = 6 THEN 'T' WHEN f.protocol = 17 THEN 'U' ELSE ${d.toText('f.protocol')} END AS L4Protocol_s,
    ${l7Expr('f.dst_port')} AS L7Protocol_s,
    CASE WHEN f.direction = 0 THEN 'I' ELSE 'O' END AS FlowDirection_s,
    CASE WHEN f.decision = 0 THEN 'A' ELSE 'D' END AS FlowStatus_s,
    ${s('acl_group')} AS NSGList_s,
    ${s('acl_rule')} AS NSGRule_s,
    ${s('rule_type')} AS NSGRuleType_s,
    ${s('mac')} AS MACAddress_s,
    ${s('src_subscription')} AS Subscription1_g,
    ${s('dest_subscription')} AS Subscription2_g,
    ${s('src_region')} AS Region1_s,
    ${s('dest_region')} AS Region2_s,
    ${s('src_nic')} AS NIC1_s,
    ${s('dest_nic')} AS NIC2_s,
    ${s('src_vm')} AS VM1_s,
    ${s('dest_vm')} AS VM2_s,
    ${s('src_subnet')} AS Subnet1_s,
    ${s('dest_subnet')} AS Subnet2_s,
    ${s('connection_type')} AS ConnectionType_s,
    ${s('connection_name')} AS ConnectionName_s,
    ${s('connecting_vnets')} AS ConnectingVNets_s,
    ${s('country')} AS Country_s,
    ${s('azure_region')} AS AzureRegion_s,
    CASE WHEN f.public_side = 1 THEN f.public_ips ELSE '' END AS SrcPublicIPs_s,
    CASE WHEN f.public_side = 2 THEN f.public_ips ELSE '' END AS DestPublicIPs_s,
    f.allowed_in AS AllowedInFlows_d,
    f.denied_in AS DeniedInFlows_d,
    f.allowed_out AS AllowedOutFlows_d,
    f.denied_out AS DeniedOutFlows_d,
    f.completed AS CompletedFlows_d,
    f.packets_d2s AS InboundPackets_d,
    f.packets_s2d AS OutboundPackets_d,
    f.bytes_d2s AS InboundBytes_d,
    f.bytes_s2d AS OutboundBytes_d,
    ${d.falseLiteral} AS IsFlowCapturedAtUDRHop_b
  FROM (${foldedFlows(d, intervalMinutes, '1, 2')}) AS f${d.dictionaryScope}`;
}

export function ntaIpDetailsView(d: ViewDialect, intervalMinutes: number): string {
  const span = intervalMinutes * 60_000;
  const s = (c: string) => strCol(d, c);
  return `SELECT
    ${d.timestamp(`i.istart + ${span}`)} AS TimeGenerated,
    'FlowLog' AS SubType,
    '3' AS FaSchemaVersion,
    ${d.timestamp('i.istart')} AS FlowIntervalStartTime,
    ${d.timestamp(`i.istart + ${span}`)} AS FlowIntervalEndTime,
    ${s('a_flow_type')} AS FlowType,
    ${s('ip')} AS Ip,
    ${s('a_location')} AS Location,
    ${s('a_public_ip_details')} AS PublicIpDetails,
    ${s('a_threat_type')} AS ThreatType,
    ${s('a_threat_description')} AS ThreatDescription,
    '' AS DnsDomain,
    '' AS Url
  FROM (
    SELECT (minute_ms - (minute_ms % ${span})) AS istart, ip,
      max(flow_type) AS a_flow_type, max(location) AS a_location, max(public_ip_details) AS a_public_ip_details,
      max(threat_type) AS a_threat_type, max(threat_description) AS a_threat_description
    FROM ${d.table('ta_ip_partials')}
    GROUP BY istart, ip
  ) AS i${d.dictionaryScope}`;
}

export function flowTuplesView(d: ViewDialect): string {
  const s = (c: string) => d.resolve(`t.${c}`);
  return `SELECT
    ${d.timestamp('t.time_ms')} AS time,
    t.time_ms AS time_ms,
    ${s('record_time')} AS record_time,
    t.version AS version,
    ${s('mac')} AS mac,
    ${s('flow_log_id')} AS flow_log_id,
    ${s('target_resource_id')} AS target_resource_id,
    ${s('acl_id')} AS acl_id,
    ${s('rule')} AS rule,
    ${s('src_ip')} AS src_ip,
    ${s('dst_ip')} AS dst_ip,
    t.src_port AS src_port,
    t.dst_port AS dst_port,
    t.protocol AS protocol,
    CASE WHEN t.direction = 0 THEN 'I' ELSE 'O' END AS direction,
    CASE WHEN t.state = 1 THEN 'B' WHEN t.state = 2 THEN 'C' WHEN t.state = 3 THEN 'E' WHEN t.state = 4 THEN 'D' ELSE NULL END AS state,
    CASE WHEN t.decision = 0 THEN 'A' ELSE 'D' END AS decision,
    ${s('encryption')} AS encryption,
    t.packets_s2d AS packets_s2d,
    t.bytes_s2d AS bytes_s2d,
    t.packets_d2s AS packets_d2s,
    t.bytes_d2s AS bytes_d2s,
    ${s('blob')} AS blob,
    ${s('block')} AS block
  FROM ${d.table('flow_tuples')} AS t${d.dictionaryScope}`;
}

export function ntaTopologyView(d: ViewDialect): string {
  return `SELECT
    ${d.timestamp('processed_ms')} AS TimeGenerated,
    ${d.timestamp('processed_ms')} AS TimeProcessed,
    'Topology' AS SubType,
    name AS Name,
    resource_type AS AzureResourceType,
    subscription AS Subscription,
    resource_group AS ResourceGroup,
    region AS Region,
    address_prefixes AS AddressPrefixes,
    private_ips AS PrivateIpAddresses,
    public_ips AS PublicIpAddresses,
    mac AS MacAddress,
    virtual_machine AS VirtualMachine,
    virtual_network AS VirtualNetwork,
    subnetwork AS Subnetwork,
    nsg AS Nsg
  FROM ${d.table('ta_topology')}`;
}

export function viewDefinitions(d: ViewDialect, intervalMinutes: number): Array<[name: string, select: string]> {
  return [
    ['FlowTuples', flowTuplesView(d)],
    ['NTANetAnalytics', ntaNetAnalyticsView(d, intervalMinutes)],
    ['AzureNetworkAnalytics_CL', azureNetworkAnalyticsView(d, intervalMinutes)],
    ['NTAIpDetails', ntaIpDetailsView(d, intervalMinutes)],
    ['NTATopologyDetails', ntaTopologyView(d)],
  ];
}
