/**
 * Deterministic flow-log blob generator for benchmarks: Azure-shaped `PT1H.json` files written
 * with our own encoder (head block, one compact record per block, leading commas, tail block).
 * Same seed, same bytes.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import {
  HEAD_BLOCK,
  TAIL_BLOCK,
  NSG_CATEGORY,
  NSG_OPERATION_NAME,
  VNET_CATEGORY,
  VNET_OPERATION_NAME,
  encodeBlock,
  formatNsgTuple,
  formatVnetTuple,
  type NsgFlowRecord,
  type VnetFlowRecord,
} from '../../src/formats/index.js';

/** mulberry32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GeneratedFile {
  path: string;
  bytes: number;
  records: number;
  tuples: number;
}

const SUB = '6F3C1B2A-0000-4A4B-9C9D-1234567890AB';
const FLOW_LOG_ID = `/SUBSCRIPTIONS/${SUB}/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_WESTEUROPE/FLOWLOGS/BENCHVNET-BENCHRG-FLOWLOG`;
const TARGET_ID = `/subscriptions/${SUB.toLowerCase()}/resourceGroups/benchRG/providers/Microsoft.Network/virtualNetworks/benchVNet`;
const NSG_ID = `/SUBSCRIPTIONS/${SUB}/RESOURCEGROUPS/BENCHRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/BENCH-NSG`;
const ENCRYPTION = ['NX', 'NX', 'NX', 'NX', 'NX', 'X', 'X', 'NX_LOCAL_DST'];

function ipPools(rand: () => number): { local: string[]; remote: string[] } {
  const local: string[] = [];
  for (let i = 0; i < 64; i++) local.push(`10.${1 + (i >> 5)}.${i & 31}.${4 + (i % 200)}`);
  const remote: string[] = [];
  for (let i = 0; i < 20000; i++) {
    remote.push(`${1 + Math.floor(rand() * 222)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 254)}`);
  }
  return { local, remote };
}

function macOf(i: number): string {
  return ('6045BD' + (0x100000 + i * 7919).toString(16).toUpperCase()).slice(0, 12);
}

function guid(rand: () => number): string {
  const h = () => Math.floor(rand() * 0x10000).toString(16).padStart(4, '0');
  return `${h()}${h()}-${h()}-${h()}-${h()}-${h()}${h()}${h()}`;
}

function timeText(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '') + '0000Z';
}

/** Writes blocks to `path` with a small buffer; returns bytes written. */
function blockWriter(path: string) {
  const fd = openSync(path, 'w');
  const parts: Uint8Array[] = [];
  let pendingBytes = 0;
  let total = 0;
  const flush = () => {
    if (parts.length === 0) return;
    writeSync(fd, Buffer.concat(parts));
    parts.length = 0;
    pendingBytes = 0;
  };
  return {
    write(block: Uint8Array) {
      parts.push(block);
      pendingBytes += block.length;
      total += block.length;
      if (pendingBytes > 4 << 20) flush();
    },
    close(): number {
      flush();
      closeSync(fd);
      return total;
    },
  };
}

/** A VNet flow-log (v4) `PT1H.json` of about `targetTuples` tuples. */
export function generateVnetFile(path: string, targetTuples: number, seed = 1): GeneratedFile {
  const rand = rng(seed);
  const { local, remote } = ipPools(rand);
  const nsgAcl = guid(rand);
  const avnmAcl = guid(rand);
  const adminRule = `BlockHighRiskTCPPortsFromInternet_${guid(rand)}`;
  const writer = blockWriter(path);
  writer.write(HEAD_BLOCK);
  let tuples = 0;
  let records = 0;
  let clock = Date.UTC(2025, 0, 15, 10, 0, 0);
  while (tuples < targetTuples) {
    const nic = Math.floor(rand() * local.length);
    const me = local[nic];
    const count = Math.min(targetTuples - tuples, 40 + Math.floor(rand() * 160));
    const groups: Record<string, string[]> = {
      DefaultRule_AllowInternetOutBound: [],
      'UserRule_allow-https-in': [],
      DefaultRule_DenyAllInBound: [],
      [adminRule]: [],
    };
    const ruleNames = Object.keys(groups);
    for (let i = 0; i < count; i++) {
      const rule = ruleNames[Math.floor(rand() * ruleNames.length)];
      const deny = rule === 'DefaultRule_DenyAllInBound' || rule === adminRule;
      const outbound = rule === 'DefaultRule_AllowInternetOutBound';
      const other = remote[Math.floor(rand() * remote.length)];
      const stateRoll = rand();
      const state = deny ? 'D' : stateRoll < 0.4 ? 'B' : stateRoll < 0.7 ? 'C' : 'E';
      const zero = state === 'B' || state === 'D';
      const emptyCounters = state === 'B' && rand() < 0.25;
      groups[rule].push(
        formatVnetTuple({
          time_ms: clock - 60000 + Math.floor(rand() * 60000),
          src_ip: outbound ? me : other,
          dst_ip: outbound ? other : me,
          src_port: 1024 + Math.floor(rand() * 64000),
          dst_port: outbound ? 443 : [22, 80, 443, 3389, 8080][Math.floor(rand() * 5)],
          protocol: rand() < 0.85 ? 6 : 17,
          direction: outbound ? 'O' : 'I',
          state,
          encryption: ENCRYPTION[Math.floor(rand() * ENCRYPTION.length)],
          packets_s2d: emptyCounters ? null : zero ? 0 : 1 + Math.floor(rand() * 5000),
          bytes_s2d: emptyCounters ? null : zero ? 0 : 60 + Math.floor(rand() * 5_000_000),
          packets_d2s: emptyCounters ? null : zero ? 0 : 1 + Math.floor(rand() * 5000),
          bytes_d2s: emptyCounters ? null : zero ? 0 : 60 + Math.floor(rand() * 5_000_000),
        }),
      );
    }
    const record: VnetFlowRecord = {
      time: timeText(clock),
      flowLogVersion: 4,
      flowLogGUID: '0b7d6c5e-1a2b-4c3d-8e9f-0a1b2c3d4e5f',
      macAddress: macOf(nic),
      category: VNET_CATEGORY,
      flowLogResourceID: FLOW_LOG_ID,
      targetResourceID: TARGET_ID,
      operationName: VNET_OPERATION_NAME,
      flowRecords: {
        flows: [
          {
            aclID: nsgAcl,
            flowGroups: ruleNames
              .filter((r) => r !== adminRule && groups[r].length > 0)
              .map((rule) => ({ rule, flowTuples: groups[rule] })),
          },
          ...(groups[adminRule].length > 0
            ? [{ aclID: avnmAcl, flowGroups: [{ rule: adminRule, flowTuples: groups[adminRule] }] }]
            : []),
        ],
      },
    };
    writer.write(encodeBlock(record, records === 0));
    records++;
    tuples += count;
    clock += 1000 + Math.floor(rand() * 2000);
  }
  writer.write(TAIL_BLOCK);
  return { path, bytes: writer.close(), records, tuples };
}

/** An NSG flow-log version 2 `PT1H.json` of about `targetTuples` tuples. */
export function generateNsgV2File(path: string, targetTuples: number, seed = 2): GeneratedFile {
  const rand = rng(seed);
  const { local, remote } = ipPools(rand);
  const writer = blockWriter(path);
  writer.write(HEAD_BLOCK);
  let tuples = 0;
  let records = 0;
  let clock = Date.UTC(2025, 0, 15, 10, 0, 0);
  const rules = ['DefaultRule_AllowInternetOutBound', 'UserRule_allow-https-in', 'DefaultRule_DenyAllInBound'];
  while (tuples < targetTuples) {
    const count = Math.min(targetTuples - tuples, 40 + Math.floor(rand() * 160));
    const byRule = rules.map(() => new Map<number, string[]>());
    for (let i = 0; i < count; i++) {
      const ri = Math.floor(rand() * rules.length);
      const nic = Math.floor(rand() * 8);
      const me = local[nic];
      const other = remote[Math.floor(rand() * remote.length)];
      const outbound = ri === 0;
      const deny = ri === 2;
      const roll = rand();
      const state = deny || roll < 0.4 ? 'B' : roll < 0.7 ? 'C' : 'E';
      const list = byRule[ri].get(nic) ?? [];
      byRule[ri].set(nic, list);
      list.push(
        formatNsgTuple(2, {
          time_s: Math.floor((clock - 60000 + Math.floor(rand() * 60000)) / 1000),
          src_ip: outbound ? me : other,
          dst_ip: outbound ? other : me,
          src_port: 1024 + Math.floor(rand() * 64000),
          dst_port: outbound ? 443 : [22, 80, 443, 3389][Math.floor(rand() * 4)],
          protocol: rand() < 0.85 ? 'T' : 'U',
          direction: outbound ? 'O' : 'I',
          decision: deny ? 'D' : 'A',
          state,
          packets_s2d: state === 'B' ? null : 1 + Math.floor(rand() * 5000),
          bytes_s2d: state === 'B' ? null : 60 + Math.floor(rand() * 5_000_000),
          packets_d2s: state === 'B' ? null : 1 + Math.floor(rand() * 5000),
          bytes_d2s: state === 'B' ? null : 60 + Math.floor(rand() * 5_000_000),
        }),
      );
    }
    const record: NsgFlowRecord = {
      time: timeText(clock),
      systemId: '7b900133-9802-46f5-a0cd-8c01a74d9106',
      category: NSG_CATEGORY,
      resourceId: NSG_ID,
      operationName: NSG_OPERATION_NAME,
      properties: {
        Version: 2,
        flows: rules.map((rule, ri) => ({
          rule,
          flows: [...byRule[ri].entries()].map(([nic, flowTuples]) => ({ mac: macOf(nic), flowTuples })),
        })),
      },
    };
    writer.write(encodeBlock(record, records === 0));
    records++;
    tuples += count;
    clock += 60000;
  }
  writer.write(TAIL_BLOCK);
  return { path, bytes: writer.close(), records, tuples };
}
