/**
 * One definition per stored table; each backend derives its DDL from it (see `duckdb/ddl.ts`
 * and `clickhouse/ddl.ts`). Column kinds are chosen for the bulk path:
 *
 * - `dict`: a string that repeats a lot (IPs, MACs, rule names, blob names). DuckDB stores a
 *   UINTEGER id into the store-wide `flow_strings` dictionary so a FlowBatch column is copied
 *   into the table as raw memory (the batch's own dictionary is remapped once per distinct
 *   value, not per row); ClickHouse stores a String (its column compression does the rest).
 * - `code8`: a small code (direction, state, decision, version) as UTINYINT / UInt8; the
 *   readable views turn codes back into the documented letters.
 * - `i64` counters are nullable where the flow log can omit them (v4 `B`/`D` tuples, NSG v1).
 */

export type ColumnKind =
  | 'u8'
  | 'code8'
  | 'u16'
  | 'u32'
  | 'i64'
  | 'f64'
  | 'ts_ms'
  | 'str'
  | 'dict'
  | 'u16list'
  | 'bool';

export interface ColumnDef {
  name: string;
  kind: ColumnKind;
  nullable?: boolean;
}

export interface TableDef {
  name: string;
  columns: readonly ColumnDef[];
  /** Sorting key (ClickHouse ORDER BY; DuckDB ignores it). */
  orderBy: readonly string[];
  /** `ts_ms` column that partitions by day in ClickHouse; absent for small metadata tables. */
  partitionByDay?: string;
  /**
   * Rows carry a `blob` lineage column: `replaceBlob` deletes them, and ClickHouse tags them
   * with the id of the commit that wrote them (exactly-once without transactions).
   */
  lineage: boolean;
  /** ClickHouse: lives on the first server only (metadata), not sharded. */
  metadata?: boolean;
}

/** Raw tuples, one row per decoded tuple; the column names are FlowBatch's (ARCHITECTURE.md). */
export const FLOW_TUPLES: TableDef = {
  name: 'flow_tuples',
  columns: [
    { name: 'time_ms', kind: 'ts_ms' },
    { name: 'record_time', kind: 'dict', nullable: true },
    { name: 'version', kind: 'code8' },
    { name: 'mac', kind: 'dict', nullable: true },
    { name: 'flow_log_id', kind: 'dict', nullable: true },
    { name: 'target_resource_id', kind: 'dict', nullable: true },
    { name: 'acl_id', kind: 'dict', nullable: true },
    { name: 'rule', kind: 'dict', nullable: true },
    { name: 'src_ip', kind: 'dict', nullable: true },
    { name: 'dst_ip', kind: 'dict', nullable: true },
    { name: 'src_port', kind: 'u16' },
    { name: 'dst_port', kind: 'u16' },
    { name: 'protocol', kind: 'code8' },
    { name: 'direction', kind: 'code8' },
    { name: 'state', kind: 'code8' },
    { name: 'decision', kind: 'code8' },
    { name: 'encryption', kind: 'dict', nullable: true },
    { name: 'packets_s2d', kind: 'i64', nullable: true },
    { name: 'bytes_s2d', kind: 'i64', nullable: true },
    { name: 'packets_d2s', kind: 'i64', nullable: true },
    { name: 'bytes_d2s', kind: 'i64', nullable: true },
    { name: 'blob', kind: 'dict', nullable: true },
    { name: 'block', kind: 'dict', nullable: true },
  ],
  orderBy: ['time_ms'],
  partitionByDay: 'time_ms',
  lineage: true,
};

/**
 * Partial Traffic Analytics aggregates: what `analyze()` produces per decoded batch. One row per
 * (minute, capture point, aggregation key, public IP). The NTANetAnalytics /
 * AzureNetworkAnalytics_CL / NTAIpDetails views fold them into rows of the configured interval,
 * so blocks of one interval arriving over many commits still give one correct row
 * (see docs/tables.md, "Incremental aggregation").
 */
export const TA_FLOW_PARTIALS: TableDef = {
  name: 'ta_flow_partials',
  columns: [
    { name: 'minute_ms', kind: 'ts_ms' },
    { name: 'version', kind: 'code8' },
    { name: 'mac', kind: 'dict' },
    { name: 'flow_log_id', kind: 'dict' },
    { name: 'target_resource_id', kind: 'dict' },
    { name: 'target_resource_type', kind: 'dict' },
    { name: 'src_ip', kind: 'dict' },
    { name: 'dst_ip', kind: 'dict' },
    /** The public endpoint folded into Src/DestPublicIps ('' when none). */
    { name: 'public_ip', kind: 'dict' },
    /** 0 none, 1 source side public, 2 destination side public. */
    { name: 'public_side', kind: 'code8' },
    { name: 'dst_port', kind: 'u16' },
    { name: 'protocol', kind: 'code8' },
    { name: 'direction', kind: 'code8' },
    { name: 'decision', kind: 'code8' },
    { name: 'acl_group', kind: 'dict' },
    { name: 'acl_rule', kind: 'dict' },
    { name: 'rule_type', kind: 'dict' },
    { name: 'encryption', kind: 'dict' },
    { name: 'flow_type', kind: 'dict' },
    { name: 'country', kind: 'dict' },
    { name: 'azure_region', kind: 'dict' },
    { name: 'src_subscription', kind: 'dict' },
    { name: 'dest_subscription', kind: 'dict' },
    { name: 'src_region', kind: 'dict' },
    { name: 'dest_region', kind: 'dict' },
    { name: 'src_nic', kind: 'dict' },
    { name: 'dest_nic', kind: 'dict' },
    { name: 'src_vm', kind: 'dict' },
    { name: 'dest_vm', kind: 'dict' },
    { name: 'src_subnet', kind: 'dict' },
    { name: 'dest_subnet', kind: 'dict' },
    { name: 'src_vnet', kind: 'dict' },
    { name: 'dest_vnet', kind: 'dict' },
    { name: 'connection_type', kind: 'dict' },
    { name: 'connection_name', kind: 'dict' },
    { name: 'connecting_vnets', kind: 'dict' },
    { name: 'src_service_tag', kind: 'dict' },
    { name: 'dest_service_tag', kind: 'dict' },
    { name: 'src_ports', kind: 'u16list' },
    { name: 'allowed_in', kind: 'i64' },
    { name: 'allowed_out', kind: 'i64' },
    { name: 'denied_in', kind: 'i64' },
    { name: 'denied_out', kind: 'i64' },
    { name: 'started', kind: 'i64' },
    { name: 'completed', kind: 'i64' },
    { name: 'packets_s2d', kind: 'i64' },
    { name: 'bytes_s2d', kind: 'i64' },
    { name: 'packets_d2s', kind: 'i64' },
    { name: 'bytes_d2s', kind: 'i64' },
    { name: 'record_count', kind: 'i64' },
    { name: 'first_ms', kind: 'ts_ms' },
    { name: 'last_ms', kind: 'ts_ms' },
    /** Time of the last flow start (B, D or stateless v1 tuple); NULL when the group had none. */
    { name: 'last_begin_ms', kind: 'ts_ms', nullable: true },
    { name: 'blob', kind: 'dict' },
  ],
  orderBy: ['minute_ms', 'src_ip', 'dst_ip'],
  partitionByDay: 'minute_ms',
  lineage: true,
};

/**
 * Enrichment columns of TA_FLOW_PARTIALS: functions of the (source, destination) pair for one
 * topology snapshot, written by analytics and folded with `max` by the views.
 */
export const TA_ENRICHMENT_COLUMNS = [
  'src_subscription',
  'dest_subscription',
  'src_region',
  'dest_region',
  'src_nic',
  'dest_nic',
  'src_vm',
  'dest_vm',
  'src_subnet',
  'dest_subnet',
  'src_vnet',
  'dest_vnet',
  'connection_type',
  'connection_name',
  'connecting_vnets',
  'src_service_tag',
  'dest_service_tag',
] as const;

/** Counter columns of TA_FLOW_PARTIALS, summed when partials fold into an interval. */
export const TA_SUM_COLUMNS = [
  'allowed_in',
  'allowed_out',
  'denied_in',
  'denied_out',
  'started',
  'completed',
  'packets_s2d',
  'bytes_s2d',
  'packets_d2s',
  'bytes_d2s',
  'record_count',
] as const;

/** The dictionary-encoded (string) columns of TA_FLOW_PARTIALS, in table order. */
export const TA_FLOW_STRING_COLUMNS: readonly string[] = TA_FLOW_PARTIALS.columns.filter((c) => c.kind === 'dict').map((c) => c.name);

/** Per public IP and minute: what NTAIpDetails reports (location, owner, threat). */
export const TA_IP_PARTIALS: TableDef = {
  name: 'ta_ip_partials',
  columns: [
    { name: 'minute_ms', kind: 'ts_ms' },
    { name: 'version', kind: 'code8' },
    { name: 'ip', kind: 'dict' },
    { name: 'flow_type', kind: 'dict' },
    { name: 'location', kind: 'dict' },
    { name: 'public_ip_details', kind: 'dict' },
    { name: 'threat_type', kind: 'dict' },
    { name: 'threat_description', kind: 'dict' },
    { name: 'blob', kind: 'dict' },
  ],
  orderBy: ['minute_ms', 'ip'],
  partitionByDay: 'minute_ms',
  lineage: true,
};

export const CHECKPOINTS: TableDef = {
  name: 'checkpoints',
  columns: [
    { name: 'source', kind: 'str' },
    { name: 'blob', kind: 'str' },
    { name: 'last_block_id', kind: 'str', nullable: true },
    { name: 'block_count', kind: 'i64' },
    { name: 'byte_offset', kind: 'i64' },
    { name: 'etag', kind: 'str', nullable: true },
    { name: 'updated_at', kind: 'str' },
    /** ClickHouse: the commit that wrote this checkpoint; newest version wins on read. */
    { name: 'commit_id', kind: 'str' },
    { name: 'version_ms', kind: 'i64' },
  ],
  orderBy: ['source', 'blob'],
  lineage: false,
  metadata: true,
};

export const INGEST_ERRORS: TableDef = {
  name: 'ingest_errors',
  columns: [
    { name: 'source', kind: 'str' },
    { name: 'blob', kind: 'str' },
    { name: 'block', kind: 'str', nullable: true },
    { name: 'error', kind: 'str' },
    { name: 'time', kind: 'str' },
    /** ClickHouse has no cheap DELETE: clearing inserts a tombstone (cleared = 1). */
    { name: 'cleared', kind: 'u8' },
    { name: 'version_ms', kind: 'i64' },
  ],
  orderBy: ['source', 'blob'],
  lineage: false,
  metadata: true,
};

/**
 * Topology rows (NTATopologyDetails, spec §4): the resources enrichment knows, replaced whole by
 * `Store.replaceTopology` (a snapshot, like Traffic Analytics' 6-hourly discovery).
 */
export const TA_TOPOLOGY: TableDef = {
  name: 'ta_topology',
  columns: [
    { name: 'processed_ms', kind: 'ts_ms' },
    { name: 'name', kind: 'str' },
    { name: 'resource_type', kind: 'str' },
    { name: 'subscription', kind: 'str' },
    { name: 'resource_group', kind: 'str' },
    { name: 'region', kind: 'str' },
    { name: 'address_prefixes', kind: 'str' },
    { name: 'private_ips', kind: 'str' },
    { name: 'public_ips', kind: 'str' },
    { name: 'mac', kind: 'str' },
    { name: 'virtual_machine', kind: 'str' },
    { name: 'virtual_network', kind: 'str' },
    { name: 'subnetwork', kind: 'str' },
    { name: 'nsg', kind: 'str' },
  ],
  orderBy: ['resource_type', 'name'],
  lineage: false,
  metadata: true,
};

/** Tables whose rows arrive through `StoreCommit.derived` (analytics output). */
export const DERIVED_TABLES: readonly TableDef[] = [TA_FLOW_PARTIALS, TA_IP_PARTIALS];

export const ALL_TABLES: readonly TableDef[] = [
  FLOW_TUPLES,
  TA_FLOW_PARTIALS,
  TA_IP_PARTIALS,
  CHECKPOINTS,
  INGEST_ERRORS,
  TA_TOPOLOGY,
];

export function tableDef(name: string): TableDef {
  const def = ALL_TABLES.find((t) => t.name === name);
  if (!def) throw new Error(`unknown table ${name}`);
  return def;
}

/** Readable tables users query (views over the physical tables), for `export` and the docs. */
export const PUBLIC_TABLES = [
  'FlowTuples',
  'NTANetAnalytics',
  'AzureNetworkAnalytics_CL',
  'NTAIpDetails',
  'NTATopologyDetails',
] as const;
export type PublicTable = (typeof PUBLIC_TABLES)[number];

/** The time column `--since` filters on, per readable table. */
export const PUBLIC_TABLE_TIME: Record<PublicTable, string> = {
  FlowTuples: 'time',
  NTANetAnalytics: 'FlowIntervalStartTime',
  AzureNetworkAnalytics_CL: 'FlowIntervalStartTime_t',
  NTAIpDetails: 'FlowIntervalStartTime',
  NTATopologyDetails: 'TimeProcessed',
};

export function publicTable(name: string): PublicTable {
  const hit = PUBLIC_TABLES.find((t) => t.toLowerCase() === name.toLowerCase());
  if (!hit) throw new Error(`unknown table "${name}"; tables: ${PUBLIC_TABLES.join(', ')}`);
  return hit;
}
