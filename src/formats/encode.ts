/**
 * Encoders that write Azure's exact bytes (azure-flowlogs-spec.md §1.11, §7.7):
 * compact JSON per record, a 12-byte head block `{"records":[`, a 2-byte tail block `]}`, and one
 * block per record where every block after the first record block starts with a comma.
 *
 * Field order follows Azure's samples byte for byte, so `encodeBlob(decodeRecords(x))` returns
 * `x` for any blob Azure (or our emulator) wrote.
 */
import { FlowLogFormatError } from '../errors.js';
import {
  DECISION_LETTERS,
  DIRECTION_LETTERS,
  STATE_LETTERS,
  stringAt,
  type FlowBatch,
} from './flowbatch.js';
import {
  isVnetRecord,
  type FlowLogRecord,
  type NsgFlowRecord,
  type NsgTuple,
  type VnetFlowRecord,
  type VnetTuple,
} from './records.js';

export const HEAD_TEXT = '{"records":[';
export const TAIL_TEXT = ']}';
/** The first block of every `PT1H.json`: exactly 12 bytes. */
export const HEAD_BLOCK: Uint8Array = Buffer.from(HEAD_TEXT, 'latin1');
/** The last block of every `PT1H.json`: exactly 2 bytes. */
export const TAIL_BLOCK: Uint8Array = Buffer.from(TAIL_TEXT, 'latin1');

const q = JSON.stringify;

function counterText(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value) ? '' : String(value);
}

/** One VNet flow-log tuple string (13 fields, §1.4). */
export function formatVnetTuple(t: VnetTuple): string {
  return (
    t.time_ms +
    ',' +
    t.src_ip +
    ',' +
    t.dst_ip +
    ',' +
    t.src_port +
    ',' +
    t.dst_port +
    ',' +
    t.protocol +
    ',' +
    t.direction +
    ',' +
    t.state +
    ',' +
    t.encryption +
    ',' +
    counterText(t.packets_s2d) +
    ',' +
    counterText(t.bytes_s2d) +
    ',' +
    counterText(t.packets_d2s) +
    ',' +
    counterText(t.bytes_d2s)
  );
}

function nsgProtocolText(protocol: NsgTuple['protocol']): string {
  if (protocol === 6) return 'T';
  if (protocol === 17) return 'U';
  return String(protocol);
}

/** One NSG flow-log tuple string: 8 fields for version 1, 13 for version 2 (§2.2). */
export function formatNsgTuple(version: 1 | 2, t: NsgTuple): string {
  const head =
    t.time_s +
    ',' +
    t.src_ip +
    ',' +
    t.dst_ip +
    ',' +
    t.src_port +
    ',' +
    t.dst_port +
    ',' +
    nsgProtocolText(t.protocol) +
    ',' +
    t.direction +
    ',' +
    t.decision;
  if (version === 1) return head;
  return (
    head +
    ',' +
    (t.state ?? 'B') +
    ',' +
    counterText(t.packets_s2d) +
    ',' +
    counterText(t.bytes_s2d) +
    ',' +
    counterText(t.packets_d2s) +
    ',' +
    counterText(t.bytes_d2s)
  );
}

/**
 * Tuple strings for rows `[from, to)` of a batch, each in its row's own version's layout.
 * VNet rows keep their millisecond timestamps; NSG rows are written in seconds.
 */
export function formatBatchTuples(batch: FlowBatch, from = 0, to = batch.length): string[] {
  const out: string[] = new Array(Math.max(0, to - from));
  for (let i = from; i < to; i++) {
    const version = batch.version[i];
    const src = stringAt(batch, 'src_ip', i) ?? '';
    const dst = stringAt(batch, 'dst_ip', i) ?? '';
    const direction = DIRECTION_LETTERS[batch.direction[i]];
    const state = STATE_LETTERS[batch.state[i]];
    if (version === 4) {
      out[i - from] = formatVnetTuple({
        time_ms: batch.time_ms[i],
        src_ip: src,
        dst_ip: dst,
        src_port: batch.src_port[i],
        dst_port: batch.dst_port[i],
        protocol: batch.protocol[i],
        direction,
        state: state ?? 'B',
        encryption: stringAt(batch, 'encryption', i) ?? '',
        packets_s2d: batch.packets_s2d[i],
        bytes_s2d: batch.bytes_s2d[i],
        packets_d2s: batch.packets_d2s[i],
        bytes_d2s: batch.bytes_d2s[i],
      });
    } else {
      out[i - from] = formatNsgTuple(version === 1 ? 1 : 2, {
        time_s: Math.floor(batch.time_ms[i] / 1000),
        src_ip: src,
        dst_ip: dst,
        src_port: batch.src_port[i],
        dst_port: batch.dst_port[i],
        protocol: batch.protocol[i],
        direction,
        decision: DECISION_LETTERS[batch.decision[i]],
        state: state === 'D' || state === null ? 'B' : state,
        packets_s2d: batch.packets_s2d[i],
        bytes_s2d: batch.bytes_s2d[i],
        packets_d2s: batch.packets_d2s[i],
        bytes_d2s: batch.bytes_d2s[i],
      });
    }
  }
  return out;
}

function tuplesJson(tuples: readonly string[]): string {
  let s = '[';
  for (let i = 0; i < tuples.length; i++) {
    if (i > 0) s += ',';
    s += q(tuples[i]);
  }
  return s + ']';
}

function vnetRecordJson(r: VnetFlowRecord): string {
  if (r.flowLogResourceID === undefined && r.resourceId === undefined) {
    throw new FlowLogFormatError('VNet record has neither flowLogResourceID nor resourceId');
  }
  let s =
    '{"time":' +
    q(r.time) +
    ',"flowLogVersion":' +
    r.flowLogVersion +
    ',"flowLogGUID":' +
    q(r.flowLogGUID) +
    ',"macAddress":' +
    q(r.macAddress) +
    ',"category":' +
    q(r.category);
  if (r.flowLogResourceID !== undefined) s += ',"flowLogResourceID":' + q(r.flowLogResourceID);
  if (r.resourceId !== undefined) s += ',"resourceId":' + q(r.resourceId);
  if (r.targetResourceID !== undefined) s += ',"targetResourceID":' + q(r.targetResourceID);
  s += ',"operationName":' + q(r.operationName) + ',"flowRecords":{"flows":[';
  const flows = r.flowRecords.flows;
  for (let i = 0; i < flows.length; i++) {
    if (i > 0) s += ',';
    s += '{"aclID":' + q(flows[i].aclID) + ',"flowGroups":[';
    const groups = flows[i].flowGroups;
    for (let j = 0; j < groups.length; j++) {
      if (j > 0) s += ',';
      s += '{"rule":' + q(groups[j].rule) + ',"flowTuples":' + tuplesJson(groups[j].flowTuples) + '}';
    }
    s += ']}';
  }
  return s + ']}}';
}

function nsgRecordJson(r: NsgFlowRecord): string {
  let s =
    '{"time":' +
    q(r.time) +
    ',"systemId":' +
    q(r.systemId) +
    ',"category":' +
    q(r.category) +
    ',"resourceId":' +
    q(r.resourceId) +
    ',"operationName":' +
    q(r.operationName) +
    ',"properties":{"Version":' +
    r.properties.Version +
    ',"flows":[';
  const rules = r.properties.flows;
  for (let i = 0; i < rules.length; i++) {
    if (i > 0) s += ',';
    s += '{"rule":' + q(rules[i].rule) + ',"flows":[';
    const macs = rules[i].flows;
    for (let j = 0; j < macs.length; j++) {
      if (j > 0) s += ',';
      s += '{"mac":' + q(macs[j].mac) + ',"flowTuples":' + tuplesJson(macs[j].flowTuples) + '}';
    }
    s += ']}';
  }
  return s + ']}}';
}

/** A record as Azure's compact JSON text (no leading comma). */
export function recordToJson(record: FlowLogRecord): string {
  return isVnetRecord(record) ? vnetRecordJson(record) : nsgRecordJson(record);
}

/** A record as Azure's compact JSON bytes (UTF-8, no leading comma). */
export function encodeRecord(record: FlowLogRecord): Uint8Array {
  return Buffer.from(recordToJson(record), 'utf8');
}

/**
 * One data block as Azure appends it: the record's JSON, preceded by a comma unless it is the
 * first record block of the blob.
 */
export function encodeBlock(record: FlowLogRecord, isFirst: boolean): Uint8Array {
  return Buffer.from(isFirst ? recordToJson(record) : ',' + recordToJson(record), 'utf8');
}

/** Every block of a blob holding `records`: head, one block per record, tail. */
export function encodeBlobBlocks(records: readonly FlowLogRecord[]): Uint8Array[] {
  const blocks: Uint8Array[] = [HEAD_BLOCK];
  for (let i = 0; i < records.length; i++) blocks.push(encodeBlock(records[i], i === 0));
  blocks.push(TAIL_BLOCK);
  return blocks;
}

/** A whole `PT1H.json` as committed: `{"records":[` + records joined by commas + `]}`. */
export function encodeBlob(records: readonly FlowLogRecord[]): Uint8Array {
  return Buffer.concat(encodeBlobBlocks(records));
}
