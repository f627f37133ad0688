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
 * The key: minute, or the start of the `partialMinutes` span (folded to the interval by the
 * views), flow log version, capture point (MAC,
 * flow log, target resource), SrcIp, DestIp (public side blanked and folded into the public-IP
 * list), DestPort, L4 protocol, direction, decision, AclGroup, AclRule and encryption.
 */
import { FlowState, NULL_REF, type FlowBatch } from '../formats/flowbatch.js';
import { TA_ENRICHMENT_COLUMNS, TA_FLOW_STRING_COLUMNS, TA_SUM_COLUMNS } from '../store/schema.js';
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
  /** Minutes per partial row (1, 10 or 60; see AnalyticsOptions.partialMinutes). */
  partialMinutes: number;
}

export function createAnalyticsContext(
  sources: Partial<EnrichmentSources> = {},
  options: Partial<ClassifyOptions> = {},
  partialMinutes = 1,
): AnalyticsContext {
  return {
    topology: sources.topology ?? EMPTY_TOPOLOGY,
    serviceTags: sources.serviceTags ?? null,
    threats: sources.threats ?? null,
    geo: sources.geo ?? null,
    options: { ...DEFAULT_CLASSIFY_OPTIONS, ...options },
    ipCache: new Map(),
    cacheLimit: 1_000_000,
    partialMinutes,
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

/**
 * ARM IDs repeat in every record of a flow log; their descriptions are kept per ID (per thread),
 * bounded so that an account with very many resources cannot grow the cache without end.
 */
const ARM_CACHE_LIMIT = 50_000;
const targetCache = new Map<string, { id: string; type: string }>();
const flowLogCache = new Map<string, string>();

function cached<T>(cache: Map<string, T>, key: string, make: (key: string) => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    if (cache.size >= ARM_CACHE_LIMIT) cache.clear();
    value = make(key);
    cache.set(key, value);
  }
  return value;
}

/** `<Sub>/<RG>/<Name>` and the TargetResourceType for a flow log target. */
export function describeTarget(id: string): { id: string; type: string } {
  return cached(targetCache, id, (key) => Object.freeze(describeTargetUncached(key)));
}

function describeTargetUncached(id: string): { id: string; type: string } {
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
  return cached(flowLogCache, id, describeFlowLogUncached);
}

function describeFlowLogUncached(id: string): string {
  const arm = parseArm(id);
  if (!arm) return id;
  if (arm.types[0]?.[0] === 'networkwatchers')
    return [arm.resourceGroup, ...arm.types.map(([, n]) => n)].join('/');
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

const FLOW_STRING_COLUMNS = TA_FLOW_STRING_COLUMNS;

const SUM_COLUMNS = TA_SUM_COLUMNS;

function grown(data: Float64Array, capacity: number): Float64Array<ArrayBuffer> {
  const next = new Float64Array(capacity);
  next.set(data);
  return next;
}

/** Sorts `values[start, end)` in place and drops repeats; returns the new end. Lists are short (a group's source ports). */
function sortUnique(values: Uint16Array, start: number, end: number): number {
  if (end - start > 32) values.subarray(start, end).sort();
  else {
    for (let i = start + 1; i < end; i++) {
      const v = values[i];
      let j = i - 1;
      while (j >= start && values[j] > v) {
        values[j + 1] = values[j];
        j--;
      }
      values[j + 1] = v;
    }
  }
  let out = start;
  for (let i = start; i < end; i++)
    if (i === start || values[i] !== values[out - 1]) values[out++] = values[i];
  return out;
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
  // (src, dst) pairs: classified once each
  const pairIndex = new Map<number, number>();
  const pairList: PairClass[] = [];
  const pairSrc: number[] = [];
  const pairDst: number[] = [];
  const stride = strings.length + 1;
  // capture contexts: minute, version, MAC, flow log, target, aclID, rule, encryption — these
  // change rarely between consecutive tuples (one record, one flow group), so most tuples reuse
  // the previous tuple's context without building a key
  const ctxIndex = new Map<string, number>();
  const ctxRow: number[] = [];
  const ctxMinute: number[] = [];
  // groups: (context, pair) → outer id; (outer, port, protocol, direction, decision) → group
  const outerIndex = new Map<number, number>();
  const groupIndex = new Map<number, number>();
  const groupCtx: number[] = [];
  const groupPairId: number[] = [];
  const firstRow: number[] = [];
  // Per-group columns, all grown together; a batch has at most one group per tuple.
  let capacity = Math.min(n, 256);
  const sums = SUM_COLUMNS.map(() => new Float64Array(capacity));
  let firstMs = new Float64Array(capacity);
  let lastMs = new Float64Array(capacity);
  let lastBeginMs = new Float64Array(capacity);
  const rowGroup = new Int32Array(n);

  let prevCtx = -1;
  let prevRow = -1;
  let prevMinute = NaN;
  const span = MINUTE * ctx.partialMinutes;
  for (let i = 0; i < n; i++) {
    const src = batch.src_ip[i];
    const dst = batch.dst_ip[i];
    const pairKey = (src === NULL_REF ? 0 : src + 1) * stride + (dst === NULL_REF ? 0 : dst + 1);
    let pairId = pairIndex.get(pairKey);
    if (pairId === undefined) {
      pairId = pairList.length;
      pairIndex.set(pairKey, pairId);
      pairList.push(classifyPair(fact(src), fact(dst), ctx, ctx.options));
      pairSrc.push(src);
      pairDst.push(dst);
    }
    const t = batch.time_ms[i];
    const minute = t - (t % span);
    let c = prevCtx;
    if (
      prevRow < 0 ||
      minute !== prevMinute ||
      batch.mac[i] !== batch.mac[prevRow] ||
      batch.rule[i] !== batch.rule[prevRow] ||
      batch.acl_id[i] !== batch.acl_id[prevRow] ||
      batch.encryption[i] !== batch.encryption[prevRow] ||
      batch.flow_log_id[i] !== batch.flow_log_id[prevRow] ||
      batch.target_resource_id[i] !== batch.target_resource_id[prevRow] ||
      batch.version[i] !== batch.version[prevRow] ||
      batch.blob[i] !== batch.blob[prevRow]
    ) {
      const key = `${minute}|${batch.version[i]}|${batch.mac[i]}|${batch.flow_log_id[i]}|${batch.target_resource_id[i]}|${batch.acl_id[i]}|${batch.rule[i]}|${batch.encryption[i]}|${batch.blob[i]}`;
      let found = ctxIndex.get(key);
      if (found === undefined) {
        found = ctxRow.length;
        ctxIndex.set(key, found);
        ctxRow.push(i);
        ctxMinute.push(minute);
      }
      c = found;
      prevCtx = c;
      prevMinute = minute;
    }
    prevRow = i;
    const outerKey = c * (n + 1) + pairId;
    let outer = outerIndex.get(outerKey);
    if (outer === undefined) {
      outer = outerIndex.size;
      outerIndex.set(outerKey, outer);
    }
    const innerKey =
      outer * 67_108_864 +
      batch.dst_port[i] * 1024 +
      batch.protocol[i] * 4 +
      batch.direction[i] * 2 +
      batch.decision[i];
    let g = groupIndex.get(innerKey);
    if (g === undefined) {
      g = firstRow.length;
      groupIndex.set(innerKey, g);
      firstRow.push(i);
      groupCtx.push(c);
      groupPairId.push(pairId);
      if (g >= capacity) {
        capacity = Math.min(n, capacity * 2);
        for (let k = 0; k < sums.length; k++) sums[k] = grown(sums[k], capacity);
        firstMs = grown(firstMs, capacity);
        lastMs = grown(lastMs, capacity);
        lastBeginMs = grown(lastBeginMs, capacity);
      }
      firstMs[g] = t;
      lastMs[g] = t;
      lastBeginMs[g] = NaN;
    }
    rowGroup[i] = g;
    const state = batch.state[i];
    const denied = batch.decision[i] === 1;
    const inbound = batch.direction[i] === 0;
    const isStart = state === FlowState.B || state === FlowState.NONE || state === FlowState.D;
    if (denied) sums[inbound ? 2 : 3][g]++;
    else if (state === FlowState.B || state === FlowState.NONE) sums[inbound ? 0 : 1][g]++;
    if (isStart) {
      sums[4][g]++;
      const lb = lastBeginMs[g];
      if (!(lb >= t)) lastBeginMs[g] = t;
    }
    if (state === FlowState.E) sums[5][g]++;
    if (state === FlowState.C || state === FlowState.E) {
      const ps = batch.packets_s2d[i];
      const bs = batch.bytes_s2d[i];
      const pd = batch.packets_d2s[i];
      const bd = batch.bytes_d2s[i];
      if (ps === ps) sums[6][g] += ps;
      if (bs === bs) sums[7][g] += bs;
      if (pd === pd) sums[8][g] += pd;
      if (bd === bd) sums[9][g] += bd;
    }
    sums[10][g]++;
    if (t < firstMs[g]) firstMs[g] = t;
    if (t > lastMs[g]) lastMs[g] = t;
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
  // Source ports per group: bucket the rows' ports by group (counting sort), then sort and
  // de-duplicate each group's run and close the gaps.
  const offsets = new Uint32Array(G + 1);
  for (let i = 0; i < n; i++) offsets[rowGroup[i] + 1]++;
  for (let g = 0; g < G; g++) offsets[g + 1] += offsets[g];
  const bucketed = new Uint16Array(n);
  const fill = offsets.slice(0, G);
  for (let i = 0; i < n; i++) bucketed[fill[rowGroup[i]]++] = batch.src_port[i];
  let totalPorts = 0;
  for (let g = 0; g < G; g++) {
    const start = offsets[g];
    const end = sortUnique(bucketed, start, offsets[g + 1]);
    bucketed.copyWithin(totalPorts, start, end);
    offsets[g] = totalPorts;
    totalPorts += end - start;
  }
  offsets[G] = totalPorts;
  const portValues = bucketed.slice(0, totalPorts);
  const str = (ref: number) => (ref === NULL_REF ? '' : strings[ref]);

  // strings that depend only on the capture context
  const CTX_COLS = [
    'mac',
    'flow_log_id',
    'target_resource_id',
    'target_resource_type',
    'acl_group',
    'acl_rule',
    'rule_type',
    'encryption',
    'blob',
  ] as const;
  const ctxRefs = ctxRow.map((i) => {
    const rule = str(batch.rule[i]);
    const flowLog = str(batch.flow_log_id[i]);
    const target =
      batch.target_resource_id[i] === NULL_REF ? null : describeTarget(strings[batch.target_resource_id[i]]);
    let aclGroup: string;
    if (batch.version[i] === 4) {
      const aclId = str(batch.acl_id[i]);
      aclGroup = aclId ? (ctx.topology.aclGroup(aclId, rule) ?? aclId) : '';
    } else {
      aclGroup = describeFlowLog(flowLog);
    }
    const enc = str(batch.encryption[i]);
    return [
      dict.ref(str(batch.mac[i])),
      dict.ref(describeFlowLog(flowLog)),
      dict.ref(target?.id ?? ''),
      dict.ref(target?.type ?? ''),
      dict.ref(aclGroup),
      dict.ref(rule),
      dict.ref(ruleTypeOf(rule)),
      dict.ref(ENCRYPTION_NAMES[enc] ?? enc),
      dict.ref(str(batch.blob[i])),
    ];
  });

  // strings that depend only on the (source, destination) pair
  const PAIR_COLS = [
    'src_ip',
    'dst_ip',
    'public_ip',
    'flow_type',
    'country',
    'azure_region',
    ...TA_ENRICHMENT_COLUMNS,
  ] as const;
  const pairPublic: Array<IpFacts | null> = [];
  const pairRefs = pairList.map((pair, k) => {
    const sf = fact(pairSrc[k]);
    const df = fact(pairDst[k]);
    const pub = pair.publicSide === 1 ? sf : pair.publicSide === 2 ? df : null;
    pairPublic.push(pub);
    const se = sf.endpoint;
    const de = df.endpoint;
    return [
      pair.publicSide === 1 ? 0 : dict.ref(sf.text),
      pair.publicSide === 2 ? 0 : dict.ref(df.text),
      pub ? dict.ref(pub.text) : 0,
      dict.ref(pair.flowType),
      dict.ref(pub && pub.publicType !== 'AzurePublic' ? pub.country : ''),
      dict.ref(pub && pub.publicType === 'AzurePublic' ? pub.azureRegion : ''),
      dict.ref(se?.subscription ?? ''),
      dict.ref(de?.subscription ?? ''),
      dict.ref(se?.region ?? ''),
      dict.ref(de?.region ?? ''),
      dict.ref(se?.nic ?? ''),
      dict.ref(de?.nic ?? ''),
      dict.ref(se?.vm ?? ''),
      dict.ref(de?.vm ?? ''),
      dict.ref(se?.subnet ?? ''),
      dict.ref(de?.subnet ?? ''),
      dict.ref(se?.vnet ?? ''),
      dict.ref(de?.vnet ?? ''),
      dict.ref(pair.connectionType),
      dict.ref(pair.connectionName),
      dict.ref(pair.connectingVnets),
      dict.ref(pair.publicSide === 1 ? sf.serviceTag : ''),
      dict.ref(pair.publicSide === 2 ? df.serviceTag : ''),
    ];
  });
  const ctxCols = CTX_COLS.map((c) => cols[c]);
  const pairCols = PAIR_COLS.map((c) => cols[c]);

  const ipDetails = new Map<string, IpFacts>();
  const ipMinutes = new Map<string, number>();
  for (let g = 0; g < G; g++) {
    const i = firstRow[g];
    const c = groupCtx[g];
    const k = groupPairId[g];
    minuteCol[g] = ctxMinute[c];
    version[g] = batch.version[i];
    publicSide[g] = pairList[k].publicSide;
    dstPort[g] = batch.dst_port[i];
    protocol[g] = batch.protocol[i];
    direction[g] = batch.direction[i];
    decision[g] = batch.decision[i];
    const cr = ctxRefs[c];
    for (let x = 0; x < ctxCols.length; x++) ctxCols[x][g] = cr[x];
    const pr = pairRefs[k];
    for (let x = 0; x < pairCols.length; x++) pairCols[x][g] = pr[x];
    const pub = pairPublic[k];
    if (pub) {
      const key = `${minuteCol[g]}|${batch.version[i]}|${pub.text}`;
      if (!ipDetails.has(key)) {
        ipDetails.set(key, pub);
        ipMinutes.set(key, g);
      }
    }
  }

  const flowColumns: TableRows['columns'] = {
    minute_ms: minuteCol,
    version,
    public_side: publicSide,
    dst_port: dstPort,
    protocol,
    direction,
    decision,
    src_ports: { kind: 'u16list', offsets, values: portValues } satisfies U16ListColumn,
    first_ms: firstMs.subarray(0, G),
    last_ms: lastMs.subarray(0, G),
    last_begin_ms: lastBeginMs.subarray(0, G),
  };
  for (const c of FLOW_STRING_COLUMNS)
    flowColumns[c] = { kind: 'dict', refs: cols[c], strings: dict.strings } satisfies DictColumn;
  SUM_COLUMNS.forEach((c, k) => (flowColumns[c] = sums[k].subarray(0, G)));

  // ------------------------------------------------------------ ip partial columns
  const I = ipDetails.size;
  const ipDict = createOutDict();
  const ipCols: Record<string, Uint32Array> = {};
  for (const c of [
    'ip',
    'flow_type',
    'location',
    'public_ip_details',
    'threat_type',
    'threat_description',
    'blob',
  ])
    ipCols[c] = new Uint32Array(I);
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
    ipCols.threat_type[k] = ipDict.ref(
      f.threat && f.publicType === 'MaliciousFlow' ? f.threat.threatType : '',
    );
    ipCols.threat_description[k] = ipDict.ref(
      f.threat && f.publicType === 'MaliciousFlow' ? f.threat.description : '',
    );
    ipCols.blob[k] = ipDict.ref(dict.strings[cols.blob[g]]);
    k++;
  }
  const ipColumns: TableRows['columns'] = { minute_ms: ipMinute, version: ipVersion };
  for (const c of Object.keys(ipCols))
    ipColumns[c] = { kind: 'dict', refs: ipCols[c], strings: ipDict.strings } satisfies DictColumn;

  return [
    { table: 'ta_flow_partials', length: G, columns: flowColumns },
    { table: 'ta_ip_partials', length: I, columns: ipColumns },
  ];
}
