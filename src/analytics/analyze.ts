/**
 * `analyze(batch, ctx)`: one decoded FlowBatch → partial Traffic Analytics rows
 * (`ta_flow_partials`, `ta_ip_partials`), which ingestion hands to `Store.commit` as `derived`
 * in the same transaction as the tuples. The store's views fold partials into rows of the
 * configured interval (1, 10 or 60 minutes), so blocks of one interval may arrive over any
 * number of commits.
 *
 * Counting (spec §8.3; the formulas are ours, the spec marks them UNCONFIRMED):
 * - Allowed{In,Out}Flows: allowed flow starts — `B` tuples, or NSG v1 tuples (no state) —
 *   by direction; Denied{In,Out}Flows: deny tuples (v4 `D`, NSG decision `D`).
 * - CompletedFlows: `E` tuples. Packets/Bytes: Σ of the `C` and `E` deltas (src→dst = fields
 *   10/11, dst→src = 12/13).
 * - FlowStartTime: first tuple; FlowEndTime: last flow start (B, D or v1) in the interval,
 *   else the last tuple. RecordCount: tuples folded into the row.
 * - Public-IP entries `<IP>|<started>|<ended>|<out pkts>|<in pkts>|<out bytes>|<in bytes>`,
 *   with started = B/D/v1 tuples, ended = E tuples, out = src→dst.
 * The key: minute (folded to the interval by the views), flow log version, capture point (MAC,
 * flow log, target resource), SrcIp, DestIp (public side blanked and folded into the public-IP
 * list), DestPort, L4 protocol, direction, decision, AclGroup, AclRule and encryption.
 */
import { FlowState, NULL_REF, type FlowBatch } from '../formats/flowbatch.js';
import type { DictColumn, TableRows, U16ListColumn } from '../store/types.js';
import {
  classifyPair,
  DEFAULT_CLASSIFY_OPTIONS,
  describeIp,
  type ClassifyOptions,
  type EnrichmentSources,
  type IpFacts,
  type PairClass,
} from './classify.js';
import { EMPTY_TOPOLOGY } from './topology.js';

export interface AnalyticsContext extends EnrichmentSources {
  options: ClassifyOptions;
  /** Address facts cached across batches (cleared when it grows past `cacheLimit`). */
  ipCache: Map<string, IpFacts>;
  cacheLimit: number;
}

export function createAnalyticsContext(
  sources: Partial<EnrichmentSources> = {},
  options: Partial<ClassifyOptions> = {},
): AnalyticsContext {
  return {
    topology: sources.topology ?? EMPTY_TOPOLOGY,
    serviceTags: sources.serviceTags ?? null,
    threats: sources.threats ?? null,
    geo: sources.geo ?? null,
    options: { ...DEFAULT_CLASSIFY_OPTIONS, ...options },
    ipCache: new Map(),
    cacheLimit: 1_000_000,
  };
}

/** Raw encryption codes → NTANetAnalytics FlowEncryption strings (same order as the spec). */
export const ENCRYPTION_NAMES: Record<string, string> = {
  X: 'Encrypted',
  NX: 'Unencrypted',
  NX_HW_NOT_SUPPORTED: 'Unsupported hardware',
  NX_SW_NOT_READY: 'Software not ready',
  NX_NOT_ACCEPTED: 'Drop due to no encryption',
  NX_NOT_SUPPORTED: 'Discovery not supported',
  NX_LOCAL_DST: 'Destination on same host',
  NX_FALLBACK: 'Fall back to no encryption',
};

interface ArmParts {
  subscription: string;
  resourceGroup: string;
  /** (type, name) pairs after the provider namespace. */
  types: Array<[string, string]>;
}

function parseArm(id: string): ArmParts | null {
  const p = id.split('/').filter((s) => s !== '');
  const lower = p.map((s) => s.toLowerCase());
  const si = lower.indexOf('subscriptions');
  const ri = lower.indexOf('resourcegroups');
  const pi = lower.indexOf('providers');
  if (si < 0 || ri < 0 || pi < 0) return null;
  const types: Array<[string, string]> = [];
  for (let i = pi + 2; i + 1 < p.length; i += 2) types.push([lower[i], p[i + 1]]);
  return { subscription: p[si + 1], resourceGroup: p[ri + 1], types };
}

/** `<Sub>/<RG>/<Name>` and the TargetResourceType for a flow log target. */
export function describeTarget(id: string): { id: string; type: string } {
  const arm = parseArm(id);
  if (!arm || arm.types.length === 0) return { id, type: '' };
  const [firstType] = arm.types[0];
  const names = arm.types.map(([, n]) => n).join('/');
  const type =
    arm.types.length > 1 && arm.types[1][0] === 'subnets'
      ? 'Subnet'
      : firstType === 'virtualnetworks'
        ? 'VirtualNetwork'
        : firstType === 'networkinterfaces'
          ? 'NetworkInterface'
          : firstType === 'networksecuritygroups'
            ? 'NetworkSecurityGroup'
            : arm.types[0][0];
  return { id: `${arm.subscription}/${arm.resourceGroup}/${names}`, type };
}

/** FlowLogResourceId `<RG>/<NetworkWatcher>/<FlowLog>`; an NSG resource ID → `<Sub>/<RG>/<NSG>`. */
function describeFlowLog(id: string): string {
  const arm = parseArm(id);
  if (!arm) return id;
  if (arm.types[0]?.[0] === 'networkwatchers') return [arm.resourceGroup, ...arm.types.map(([, n]) => n)].join('/');
  return `${arm.subscription}/${arm.resourceGroup}/${arm.types.map(([, n]) => n).join('/')}`;
}

export function ruleTypeOf(rule: string): string {
  if (/^DefaultRule_/i.test(rule)) return 'Default';
  if (/^UserRule_/i.test(rule)) return 'User Defined';
  return '';
}

/** Output dictionary shared by all string columns of one partial table. */
function createOutDict() {
  const strings: string[] = [''];
  const ids = new Map<string, number>([['', 0]]);
  return {
    strings,
    ref(value: string): number {
      let id = ids.get(value);
      if (id === undefined) {
        id = strings.length;
        strings.push(value);
        ids.set(value, id);
      }
      return id;
    },
  };
}

const FLOW_STRING_COLUMNS = [
  'mac',
  'flow_log_id',
  'target_resource_id',
  'target_resource_type',
  'src_ip',
  'dst_ip',
  'public_ip',
  'acl_group',
  'acl_rule',
  'rule_type',
  'encryption',
  'flow_type',
  'country',
  'azure_region',
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
  'blob',
] as const;

const SUM_COLUMNS = [
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

class GrowArray {
  data: Float64Array;
  constructor(n = 256) {
    this.data = new Float64Array(n);
  }
  ensure(n: number) {
    if (n <= this.data.length) return;
    const next = new Float64Array(Math.max(n, this.data.length * 2));
    next.set(this.data);
    this.data = next;
  }
}

function factsOf(ctx: AnalyticsContext, text: string): IpFacts {
  let f = ctx.ipCache.get(text);
  if (!f) {
    if (ctx.ipCache.size >= ctx.cacheLimit) ctx.ipCache.clear();
    f = describeIp(text, ctx, ctx.options);
    ctx.ipCache.set(text, f);
  }
  return f;
}

const MINUTE = 60_000;

/** One batch → partial rows for `ta_flow_partials` and `ta_ip_partials`. */
export function analyze(batch: FlowBatch, ctx: AnalyticsContext): TableRows[] {
  const n = batch.length;
  const strings = batch.strings;
  const facts: Array<IpFacts | undefined> = new Array(strings.length);
  const fact = (ref: number): IpFacts => {
    let f = facts[ref];
    if (!f) f = facts[ref] = factsOf(ctx, ref === NULL_REF ? '' : strings[ref]);
    return f;
  };
  const pairs = new Map<number, PairClass>();
  const stride = strings.length + 1;

  const groups = new Map<string, number>();
  // per group: the first tuple's row index (key values are read back from it) and accumulators
  const firstRow: number[] = [];
  const sums = SUM_COLUMNS.map(() => new GrowArray());
  const firstMs = new GrowArray();
  const lastMs = new GrowArray();
  const lastBeginMs = new GrowArray();
  const ports: number[][] = [];
  const groupPair: PairClass[] = [];

  for (let i = 0; i < n; i++) {
    const src = batch.src_ip[i];
    const dst = batch.dst_ip[i];
    const pairKey = (src === NULL_REF ? 0 : src + 1) * stride + (dst === NULL_REF ? 0 : dst + 1);
    let pair = pairs.get(pairKey);
    if (!pair) {
      pair = classifyPair(fact(src), fact(dst), ctx, ctx.options);
      pairs.set(pairKey, pair);
    }
    const t = batch.time_ms[i];
    const minute = t - (t % MINUTE);
    const key = `${minute}|${batch.version[i]}|${batch.mac[i]}|${batch.flow_log_id[i]}|${batch.target_resource_id[i]}|${src}|${dst}|${batch.dst_port[i]}|${batch.protocol[i]}|${batch.direction[i]}|${batch.decision[i]}|${batch.acl_id[i]}|${batch.rule[i]}|${batch.encryption[i]}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = firstRow.length;
      groups.set(key, g);
      firstRow.push(i);
      groupPair.push(pair);
      ports.push([]);
      for (const s of sums) s.ensure(g + 1);
      firstMs.ensure(g + 1);
      lastMs.ensure(g + 1);
      lastBeginMs.ensure(g + 1);
      firstMs.data[g] = t;
      lastMs.data[g] = t;
      lastBeginMs.data[g] = NaN;
    }
    const state = batch.state[i];
    const denied = batch.decision[i] === 1;
    const inbound = batch.direction[i] === 0;
    const isStart = state === FlowState.B || state === FlowState.NONE || state === FlowState.D;
    if (denied) sums[inbound ? 2 : 3].data[g]++;
    else if (state === FlowState.B || state === FlowState.NONE) sums[inbound ? 0 : 1].data[g]++;
    if (isStart) {
      sums[4].data[g]++;
      const lb = lastBeginMs.data[g];
      if (!(lb >= t)) lastBeginMs.data[g] = t;
    }
    if (state === FlowState.E) sums[5].data[g]++;
    if (state === FlowState.C || state === FlowState.E) {
      const ps = batch.packets_s2d[i];
      const bs = batch.bytes_s2d[i];
      const pd = batch.packets_d2s[i];
      const bd = batch.bytes_d2s[i];
      if (ps === ps) sums[6].data[g] += ps;
      if (bs === bs) sums[7].data[g] += bs;
      if (pd === pd) sums[8].data[g] += pd;
      if (bd === bd) sums[9].data[g] += bd;
    }
    sums[10].data[g]++;
    if (t < firstMs.data[g]) firstMs.data[g] = t;
    if (t > lastMs.data[g]) lastMs.data[g] = t;
    ports[g].push(batch.src_port[i]);
  }

  // ------------------------------------------------------------ build flow partial columns
  const G = firstRow.length;
  const dict = createOutDict();
  const cols: Record<string, Uint32Array> = {};
  for (const c of FLOW_STRING_COLUMNS) cols[c] = new Uint32Array(G);
  const minuteCol = new Float64Array(G);
  const version = new Uint8Array(G);
  const publicSide = new Uint8Array(G);
  const dstPort = new Uint16Array(G);
  const protocol = new Uint8Array(G);
  const direction = new Uint8Array(G);
  const decision = new Uint8Array(G);
  const offsets = new Uint32Array(G + 1);
  let totalPorts = 0;
  const sortedPorts: number[][] = ports.map((list) => {
    const uniq = Array.from(new Set(list)).sort((a, b) => a - b);
    totalPorts += uniq.length;
    return uniq;
  });
  const portValues = new Uint16Array(totalPorts);

  const refCache = new Map<number, number>();
  const viaBatch = (ref: number, map: (s: string) => string = (s) => s, tag = 0): number => {
    if (ref === NULL_REF) return dict.ref(map(''));
    const k = ref * 8 + tag;
    let out = refCache.get(k);
    if (out === undefined) {
      out = dict.ref(map(strings[ref]));
      refCache.set(k, out);
    }
    return out;
  };
  const ipDetails = new Map<string, IpFacts>();
  const ipMinutes = new Map<string, number>();
  const blobOf = (i: number) => viaBatch(batch.blob[i]);

  let p = 0;
  for (let g = 0; g < G; g++) {
    const i = firstRow[g];
    const pair = groupPair[g];
    const sf = fact(batch.src_ip[i]);
    const df = fact(batch.dst_ip[i]);
    const t = batch.time_ms[i];
    minuteCol[g] = t - (t % MINUTE);
    version[g] = batch.version[i];
    publicSide[g] = pair.publicSide;
    dstPort[g] = batch.dst_port[i];
    protocol[g] = batch.protocol[i];
    direction[g] = batch.direction[i];
    decision[g] = batch.decision[i];
    const rule = batch.rule[i] === NULL_REF ? '' : strings[batch.rule[i]];
    cols.mac[g] = viaBatch(batch.mac[i]);
    const flowLog = batch.flow_log_id[i] === NULL_REF ? '' : strings[batch.flow_log_id[i]];
    cols.flow_log_id[g] = viaBatch(batch.flow_log_id[i], describeFlowLog, 1);
    const target = batch.target_resource_id[i] === NULL_REF ? null : describeTarget(strings[batch.target_resource_id[i]]);
    cols.target_resource_id[g] = dict.ref(target?.id ?? '');
    cols.target_resource_type[g] = dict.ref(target?.type ?? '');
    const pub = pair.publicSide === 1 ? sf : pair.publicSide === 2 ? df : null;
    cols.src_ip[g] = pair.publicSide === 1 ? 0 : dict.ref(sf.text);
    cols.dst_ip[g] = pair.publicSide === 2 ? 0 : dict.ref(df.text);
    cols.public_ip[g] = pub ? dict.ref(pub.text) : 0;
    let aclGroup: string;
    if (batch.version[i] === 4) {
      const aclId = batch.acl_id[i] === NULL_REF ? '' : strings[batch.acl_id[i]];
      aclGroup = aclId ? ctx.topology.aclGroup(aclId, rule) ?? aclId : '';
    } else {
      aclGroup = describeFlowLog(flowLog);
    }
    cols.acl_group[g] = dict.ref(aclGroup);
    cols.acl_rule[g] = dict.ref(rule);
    cols.rule_type[g] = dict.ref(ruleTypeOf(rule));
    const enc = batch.encryption[i] === NULL_REF ? '' : strings[batch.encryption[i]];
    cols.encryption[g] = dict.ref(ENCRYPTION_NAMES[enc] ?? enc);
    cols.flow_type[g] = dict.ref(pair.flowType);
    cols.country[g] = dict.ref(pub && pub.publicType !== 'AzurePublic' ? pub.country : '');
    cols.azure_region[g] = dict.ref(pub && pub.publicType === 'AzurePublic' ? pub.azureRegion : '');
    const se = sf.endpoint;
    const de = df.endpoint;
    cols.src_subscription[g] = dict.ref(se?.subscription ?? '');
    cols.dest_subscription[g] = dict.ref(de?.subscription ?? '');
    cols.src_region[g] = dict.ref(se?.region ?? '');
    cols.dest_region[g] = dict.ref(de?.region ?? '');
    cols.src_nic[g] = dict.ref(se?.nic ?? '');
    cols.dest_nic[g] = dict.ref(de?.nic ?? '');
    cols.src_vm[g] = dict.ref(se?.vm ?? '');
    cols.dest_vm[g] = dict.ref(de?.vm ?? '');
    cols.src_subnet[g] = dict.ref(se?.subnet ?? '');
    cols.dest_subnet[g] = dict.ref(de?.subnet ?? '');
    cols.src_vnet[g] = dict.ref(se?.vnet ?? '');
    cols.dest_vnet[g] = dict.ref(de?.vnet ?? '');
    cols.connection_type[g] = dict.ref(pair.connectionType);
    cols.connection_name[g] = dict.ref(pair.connectionName);
    cols.connecting_vnets[g] = dict.ref(pair.connectingVnets);
    cols.src_service_tag[g] = dict.ref(pair.publicSide === 1 ? sf.serviceTag : '');
    cols.dest_service_tag[g] = dict.ref(pair.publicSide === 2 ? df.serviceTag : '');
    cols.blob[g] = blobOf(i);
    offsets[g] = p;
    for (const port of sortedPorts[g]) portValues[p++] = port;
    if (pub) {
      const k = `${minuteCol[g]}|${batch.version[i]}|${pub.text}`;
      if (!ipDetails.has(k)) {
        ipDetails.set(k, pub);
        ipMinutes.set(k, g);
      }
    }
  }
  offsets[G] = p;

  const flowColumns: TableRows['columns'] = {
    minute_ms: minuteCol,
    version,
    public_side: publicSide,
    dst_port: dstPort,
    protocol,
    direction,
    decision,
    src_ports: { kind: 'u16list', offsets, values: portValues } satisfies U16ListColumn,
    first_ms: firstMs.data.subarray(0, G),
    last_ms: lastMs.data.subarray(0, G),
    last_begin_ms: lastBeginMs.data.subarray(0, G),
  };
  for (const c of FLOW_STRING_COLUMNS) flowColumns[c] = { kind: 'dict', refs: cols[c], strings: dict.strings } satisfies DictColumn;
  SUM_COLUMNS.forEach((c, k) => (flowColumns[c] = sums[k].data.subarray(0, G)));

  // ------------------------------------------------------------ ip partial columns
  const I = ipDetails.size;
  const ipDict = createOutDict();
  const ipCols: Record<string, Uint32Array> = {};
  for (const c of ['ip', 'flow_type', 'location', 'public_ip_details', 'threat_type', 'threat_description', 'blob']) ipCols[c] = new Uint32Array(I);
  const ipMinute = new Float64Array(I);
  const ipVersion = new Uint8Array(I);
  let k = 0;
  for (const [key, f] of ipDetails) {
    const g = ipMinutes.get(key)!;
    ipMinute[k] = minuteCol[g];
    ipVersion[k] = version[g];
    ipCols.ip[k] = ipDict.ref(f.text);
    ipCols.flow_type[k] = ipDict.ref(f.publicType ?? '');
    ipCols.location[k] = ipDict.ref(f.publicType === 'AzurePublic' ? f.azureRegion : f.country);
    ipCols.public_ip_details[k] = ipDict.ref(f.details);
    ipCols.threat_type[k] = ipDict.ref(f.threat && f.publicType === 'MaliciousFlow' ? f.threat.threatType : '');
    ipCols.threat_description[k] = ipDict.ref(f.threat && f.publicType === 'MaliciousFlow' ? f.threat.description : '');
    ipCols.blob[k] = ipDict.ref(dict.strings[cols.blob[g]]);
    k++;
  }
  const ipColumns: TableRows['columns'] = { minute_ms: ipMinute, version: ipVersion };
  for (const c of Object.keys(ipCols)) ipColumns[c] = { kind: 'dict', refs: ipCols[c], strings: ipDict.strings } satisfies DictColumn;

  return [
    { table: 'ta_flow_partials', length: G, columns: flowColumns },
    { table: 'ta_ip_partials', length: I, columns: ipColumns },
  ];
}
