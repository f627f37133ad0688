/**
 * Record objects mirroring Azure's flow-log JSON field by field, in Azure's field order
 * (azure-flowlogs-spec.md §1.2–1.3 for VNet flow logs, §2.1 for NSG flow logs).
 *
 * These are what the emulator builds and what `encodeRecord` serialises; `decodeRecords` returns
 * them for tools that need whole records (round trips, inspection). The hot ingestion path never
 * builds them: it decodes straight into `FlowBatch` columns.
 */

export const VNET_CATEGORY = 'FlowLogFlowEvent';
export const VNET_OPERATION_NAME = 'FlowLogFlowEvent';
export const NSG_CATEGORY = 'NetworkSecurityGroupFlowEvent';
/** Note the plural: Azure writes `NetworkSecurityGroupFlowEvents` as the operation name. */
export const NSG_OPERATION_NAME = 'NetworkSecurityGroupFlowEvents';

/** The encryption values documented for VNet flow-log tuples (§1.5), in documentation order. */
export const KNOWN_ENCRYPTION_VALUES = [
  'X',
  'NX',
  'NX_HW_NOT_SUPPORTED',
  'NX_SW_NOT_READY',
  'NX_NOT_ACCEPTED',
  'NX_NOT_SUPPORTED',
  'NX_LOCAL_DST',
  'NX_FALLBACK',
] as const;
export type KnownEncryption = (typeof KNOWN_ENCRYPTION_VALUES)[number];

/** `aclID` and `rule` Azure writes for traffic denied because of encryption (§1.6). */
export const UNSPECIFIED = 'unspecified';

/** One `flowRecords.flows[].flowGroups[]` entry: the tuples one rule allowed or denied. */
export interface VnetFlowGroup {
  rule: string;
  /** Comma-separated 13-field tuples; build them with `formatVnetTuple`. */
  flowTuples: string[];
}

/** One `flowRecords.flows[]` entry: the rules of one ACL (NSG or AVNM configuration). */
export interface VnetAclFlows {
  aclID: string;
  flowGroups: VnetFlowGroup[];
}

/**
 * A VNet flow-log record (`flowLogVersion` 4): one NIC, about one minute.
 *
 * Exactly one of `flowLogResourceID` (every Azure sample but one) and `resourceId` (the 2025
 * tutorial sample, §1.9.3) is normally present; the emulator always writes `flowLogResourceID`
 * and `targetResourceID`.
 */
export interface VnetFlowRecord {
  time: string;
  flowLogVersion: 4;
  flowLogGUID: string;
  macAddress: string;
  category: string;
  flowLogResourceID?: string;
  /** Alias of `flowLogResourceID` seen in the 2025 tutorial sample. */
  resourceId?: string;
  targetResourceID?: string;
  operationName: string;
  flowRecords: { flows: VnetAclFlows[] };
}

/** One `properties.flows[].flows[]` entry: the tuples of one NIC under one rule. */
export interface NsgMacFlows {
  mac: string;
  /** Comma-separated tuples, 8 fields (v1) or 13 (v2); build them with `formatNsgTuple`. */
  flowTuples: string[];
}

/** One `properties.flows[]` entry: one NSG rule. `flows` may be empty (§2.5.3). */
export interface NsgRuleFlows {
  rule: string;
  flows: NsgMacFlows[];
}

/** An NSG flow-log record (versions 1 and 2): one NSG, about one minute. */
export interface NsgFlowRecord {
  time: string;
  systemId: string;
  category: string;
  resourceId: string;
  operationName: string;
  properties: { Version: 1 | 2; flows: NsgRuleFlows[] };
}

export type FlowLogRecord = VnetFlowRecord | NsgFlowRecord;

export function isVnetRecord(record: FlowLogRecord): record is VnetFlowRecord {
  return (record as VnetFlowRecord).flowRecords !== undefined;
}

/** The version of a record: 4 for VNet flow logs, `properties.Version` (1 or 2) for NSG. */
export function recordVersion(record: FlowLogRecord): 1 | 2 | 4 {
  return isVnetRecord(record) ? 4 : record.properties.Version;
}

/** A VNet tuple as values. Counters: `null` writes an empty field (`…,B,NX,,,,`). */
export interface VnetTuple {
  /** Unix epoch milliseconds (what real captures carry; §1.7). */
  time_ms: number;
  src_ip: string;
  dst_ip: string;
  src_port: number;
  dst_port: number;
  /** IANA protocol number (6 TCP, 17 UDP). */
  protocol: number;
  direction: 'I' | 'O';
  state: 'B' | 'C' | 'E' | 'D';
  encryption: string;
  packets_s2d: number | null;
  bytes_s2d: number | null;
  packets_d2s: number | null;
  bytes_d2s: number | null;
}

/** An NSG tuple as values. `state` and counters are written only for version 2. */
export interface NsgTuple {
  /** Unix epoch seconds (every NSG sample has 10 digits; §2.2). */
  time_s: number;
  src_ip: string;
  dst_ip: string;
  src_port: number;
  dst_port: number;
  /** `T`/`U` as Azure writes them, or an IANA number (6 → `T`, 17 → `U`). */
  protocol: 'T' | 'U' | number;
  direction: 'I' | 'O';
  decision: 'A' | 'D';
  state?: 'B' | 'C' | 'E';
  packets_s2d?: number | null;
  bytes_s2d?: number | null;
  packets_d2s?: number | null;
  bytes_d2s?: number | null;
}
