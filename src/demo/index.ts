/**
 * `flowlens demo`: the source article's experiment, re-run locally.
 *
 * It emulates one hour of `examples/seed-lab.yaml` under each behaviour profile, ingests the
 * emitted blobs into one DuckDB store, and computes the article's tables from what was written
 * and stored: nothing here is a literal answer. The article's own tables are kept beside them
 * (`ARTICLE_*`) only to say, row by row, whether the emitted logs agree.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coverage as coverageReport } from '../coverage/index.js';
import { FLOW_LOG_BLOB_FRAMING, emulate, type EmulateSummary, type ProfileName } from '../emulator/index.js';
import { createDeriver, runIngest, type IngestSummary } from '../ingest/index.js';
import { loadScenario, parseIpv4Cidr, parsePortRange, type Ipv4Range, type Scenario } from '../model/index.js';
import { createFolderSink, openFolderSource } from '../storage/index.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';

export const DEMO_PROFILES: readonly ProfileName[] = ['preview-2023', 'ga'];

export function defaultDemoScenarioPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // src/demo or dist/demo: the examples folder sits at the package root either way.
  return resolve(here, '..', '..', 'examples', 'seed-lab.yaml');
}

export interface DemoOptions {
  outDir: string;
  scenarioPath?: string;
  profiles?: readonly ProfileName[];
  /** Simulated minutes per profile. */
  minutes?: number;
  log?: (line: string) => void;
}

export type LogType = 'vnet' | 'nsg';
export type Feature = 'avnm' | 'nonTcpUdp' | 'privateEndpoint' | 'encryption';
export const FEATURES: readonly Feature[] = ['avnm', 'nonTcpUdp', 'privateEndpoint', 'encryption'];
export const FEATURE_TITLES: Record<Feature, string> = {
  avnm: 'AVNM security admin rules',
  nonTcpUdp: 'Non-TCP/UDP (ICMP ping)',
  privateEndpoint: 'Traffic to a PaaS private endpoint',
  encryption: 'VNet encryption',
};

export interface FormatRow {
  logType: LogType;
  /** `category` of the emitted records. */
  category: string;
  fileFormat: 'JSON';
  /** `flowLogVersion` (VNet) or `properties.Version` (NSG) as written. */
  version: number;
  /** The protocol field of a TCP tuple as written (`T` or `6`). */
  tcpProtocolAs: string;
  /** How a deny is written. */
  denyAs: string;
  /** Traffic Analytics table that holds this log type's rows in the store. */
  analyticsTable: string;
  analyticsRows: number;
}

export interface CoverageObservation {
  profile: ProfileName;
  /** Tuples seen per log type and feature. */
  tuples: Record<LogType, Record<Feature, number>>;
  /** Whether the traffic existed at all (it was generated: the VNet or NSG side saw it, or the scenario asked for it). */
  generated: Record<Feature, boolean>;
}

export interface AvnmRow {
  case: number;
  vm: string;
  adminAccess: string;
  nsgAccess: string;
  /** What the VNet flow log recorded: rule names (suffix kept) and states. */
  rules: string[];
  states: string[];
  recordedKind: 'admin rule' | 'NSG rule' | 'nothing';
  recordedOutcome: 'allowed' | 'denied' | 'nothing';
}

export interface MissedFlow {
  pattern: string;
  flow: string;
  vnetConnections: number;
  nsgConnections: number;
  reasons: string[];
}

export interface DemoReport {
  storePath: string;
  scenarioPath: string;
  emulated: Record<string, EmulateSummary>;
  ingest: IngestSummary;
  formats: FormatRow[];
  coverage: CoverageObservation[];
  avnm: AvnmRow[];
  nsgMissed: MissedFlow[];
  seconds: number;
}

/** The article's findings (seed-observations.md), used only to mark agreement. */
export const ARTICLE_COVERAGE: Record<LogType, Record<Feature, boolean>> = {
  nsg: { avnm: false, nonTcpUdp: false, privateEndpoint: false, encryption: false },
  vnet: { avnm: true, nonTcpUdp: false, privateEndpoint: false, encryption: true },
};
export const ARTICLE_AVNM: readonly { admin: string; nsg: string; kind: AvnmRow['recordedKind']; outcome: AvnmRow['recordedOutcome'] }[] = [
  { admin: 'AlwaysAllow', nsg: 'Allow', kind: 'admin rule', outcome: 'allowed' },
  { admin: 'AlwaysAllow', nsg: 'Deny', kind: 'admin rule', outcome: 'allowed' },
  { admin: 'Deny', nsg: 'Allow', kind: 'admin rule', outcome: 'denied' },
  { admin: 'Deny', nsg: 'Deny', kind: 'admin rule', outcome: 'denied' },
  { admin: 'Allow', nsg: 'Allow', kind: 'NSG rule', outcome: 'allowed' },
  { admin: 'Allow', nsg: 'Deny', kind: 'NSG rule', outcome: 'denied' },
];

const VERSION_GROUP: Record<LogType, string> = { vnet: 'version = 4', nsg: 'version IN (1, 2)' };
const GUID_SUFFIX = "'_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'";

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function sqlList(values: readonly string[]): string {
  return values.length === 0 ? "('')" : `(${values.map(sqlString).join(', ')})`;
}

async function scalar(store: Store, sql: string): Promise<number> {
  const result = await store.query(sql);
  return Number(result.rows[0]?.[0] ?? 0);
}

function adminRules(scenario: Scenario) {
  return scenario.networkManagers.flatMap((m) =>
    m.securityAdminConfigurations.flatMap((c) => c.ruleCollections.flatMap((rc) => rc.rules)),
  );
}

function firstIp(scenario: Scenario, vm: string): string | undefined {
  return scenario.nics.find((n) => n.vm === vm || n.name === vm)?.privateIps[0];
}

async function* pt1hFiles(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* pt1hFiles(path);
    else if (entry.name === 'PT1H.json') yield path;
  }
}

/** Reads one emitted blob of each log type to show how the bytes look (small files; not a hot path). */
async function formatRows(blobDir: string, store: Store, from: number, to: number): Promise<FormatRow[]> {
  const rows: FormatRow[] = [];
  const seen = new Set<LogType>();
  for await (const file of pt1hFiles(blobDir)) {
    const doc = JSON.parse(await readFile(file, 'utf8')) as { records: Record<string, unknown>[] };
    for (const record of doc.records) {
      const logType: LogType = 'flowLogVersion' in record ? 'vnet' : 'nsg';
      if (seen.has(logType)) continue;
      const tuples = tupleStrings(record, logType);
      const tcp = tuples.map((t) => t.split(',')).find((f) => f[5] === 'T' || f[5] === '6');
      if (!tcp) continue;
      seen.add(logType);
      const version =
        logType === 'vnet'
          ? Number(record.flowLogVersion)
          : Number((record.properties as { Version: number }).Version);
      const table = logType === 'vnet' ? 'NTANetAnalytics' : 'AzureNetworkAnalytics_CL';
      const analyticsRows = await scalar(
        store,
        logType === 'vnet'
          ? `SELECT count(*) FROM NTANetAnalytics WHERE FlowEndTime >= epoch_ms(${from}) AND FlowStartTime < epoch_ms(${to})`
          : `SELECT count(*) FROM AzureNetworkAnalytics_CL WHERE FlowEndTime_t >= epoch_ms(${from}) AND FlowStartTime_t < epoch_ms(${to})`,
      );
      rows.push({
        logType,
        category: String(record.category),
        fileFormat: 'JSON',
        version,
        tcpProtocolAs: tcp[5],
        denyAs: logType === 'vnet' ? 'flow state D (no allow/deny field)' : 'decision field A/D',
        analyticsTable: table,
        analyticsRows,
      });
    }
    if (seen.size === 2) break;
  }
  return rows.sort((a, b) => (a.logType === 'nsg' ? -1 : 1) - (b.logType === 'nsg' ? -1 : 1));
}

function tupleStrings(record: Record<string, unknown>, logType: LogType): string[] {
  if (logType === 'vnet') {
    const flows = (record.flowRecords as { flows: { flowGroups: { flowTuples: string[] }[] }[] }).flows;
    return flows.flatMap((f) => f.flowGroups.flatMap((g) => g.flowTuples));
  }
  const flows = (record.properties as { flows: { flows: { flowTuples: string[] }[] }[] }).flows;
  return flows.flatMap((f) => f.flows.flatMap((g) => g.flowTuples));
}

async function observeCoverage(
  store: Store,
  scenario: Scenario,
  profile: ProfileName,
  from: number,
  to: number,
): Promise<CoverageObservation> {
  const adminNames = adminRules(scenario).map((r) => r.name);
  const peIps = scenario.privateEndpoints.map((p) => p.ip);
  const predicate: Record<Feature, string> = {
    avnm: `regexp_replace(rule, ${GUID_SUFFIX}, '') IN ${sqlList(adminNames)}`,
    nonTcpUdp: 'protocol NOT IN (6, 17)',
    privateEndpoint: `(src_ip IN ${sqlList(peIps)} OR dst_ip IN ${sqlList(peIps)})`,
    // Encryption drops carry the profile's placeholder rule (`Unspecified` / `unspecified`).
    encryption: `lower(rule) = 'unspecified'`,
  };
  const tuples = { vnet: {}, nsg: {} } as CoverageObservation['tuples'];
  for (const logType of ['vnet', 'nsg'] as const) {
    for (const feature of FEATURES) {
      tuples[logType][feature] = await scalar(
        store,
        `SELECT count(*) FROM FlowTuples WHERE ${VERSION_GROUP[logType]} AND ${predicate[feature]} ` +
          `AND time_ms >= ${from} AND time_ms < ${to}`,
      );
    }
  }
  const generators = scenario.generators;
  const generated: Record<Feature, boolean> = {
    avnm: adminNames.length > 0,
    nonTcpUdp: Boolean(generators?.icmpPings?.enabled) || (scenario.traffic ?? []).some((t) => t.protocol === 'icmp'),
    privateEndpoint: peIps.length > 0,
    encryption: Boolean(generators?.encryptionNoise?.enabled),
  };
  return { profile, tuples, generated };
}

function nsgAccessOnPort(scenario: Scenario, nicName: string, port: number): string {
  const nic = scenario.nics.find((n) => n.name === nicName);
  const nsg = scenario.nsgs.find((g) => g.name === nic?.nsg);
  const rule = nsg?.securityRules
    .filter((r) => r.direction === 'Inbound')
    .sort((a, b) => a.priority - b.priority)
    .find((r) => {
      const ranges = [...(r.destinationPortRanges ?? []), ...(r.destinationPortRange ? [r.destinationPortRange] : [])];
      return ranges.some((range) => {
        const parsed = parsePortRange(String(range));
        return parsed !== null && port >= parsed[0] && port <= parsed[1];
      });
    });
  return rule?.access ?? '-';
}

/** The six RDP cases of the seed lab: what the VNet flow log recorded at each case VM. */
async function observeAvnm(store: Store, scenario: Scenario, from: number, to: number): Promise<AvnmRow[]> {
  const rules = adminRules(scenario);
  const adminNames = new Set(rules.map((r) => r.name));
  const rows: AvnmRow[] = [];
  for (let n = 1; n <= 6; n++) {
    const vm = `vm-case${n}`;
    const nic = scenario.nics.find((x) => x.vm === vm);
    const ip = firstIp(scenario, vm);
    if (!nic || !ip) continue;
    const admin = rules.find((r) => r.destinations.some((d) => d.addressPrefix === ip || d.addressPrefix === `${ip}/32`));
    const result = await store.query(
      `SELECT DISTINCT rule, state FROM FlowTuples WHERE version = 4 AND dst_ip = ${sqlString(ip)} ` +
        `AND dst_port = 3389 AND direction = 'I' AND time_ms >= ${from} AND time_ms < ${to} ORDER BY rule, state`,
    );
    const ruleNames = [...new Set(result.rows.map((r) => String(r[0])))];
    const states = [...new Set(result.rows.map((r) => String(r[1])))].sort();
    const bases = ruleNames.map((r) => r.replace(/_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, ''));
    const recordedKind: AvnmRow['recordedKind'] =
      ruleNames.length === 0 ? 'nothing' : bases.every((b) => adminNames.has(b)) ? 'admin rule' : 'NSG rule';
    const recordedOutcome: AvnmRow['recordedOutcome'] =
      states.length === 0 ? 'nothing' : states.every((s) => s === 'D') ? 'denied' : 'allowed';
    rows.push({
      case: n,
      vm,
      adminAccess: admin?.access ?? '-',
      nsgAccess: nsgAccessOnPort(scenario, nic.name, 3389),
      rules: ruleNames,
      states,
      recordedKind,
      recordedOutcome,
    });
  }
  return rows;
}

/** Traffic the VNet flow logs saw and the NSG flow logs did not (fully or partly), with the planner's reasons. */
async function observeNsgMisses(
  store: Store,
  scenario: Scenario,
  profile: ProfileName,
  from: number,
  to: number,
): Promise<MissedFlow[]> {
  const report = coverageReport(scenario, { profile });
  const missed: MissedFlow[] = [];
  const seen = new Set<string>();
  for (const probe of report.probes) {
    const key = `${probe.pattern}|${probe.srcIp}|${probe.dstIp}|${probe.protocol}|${probe.dstPorts.join('-')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const match =
      `dst_ip = ${sqlString(probe.dstIp)} AND protocol = ${probe.protocol} ` +
      `AND dst_port BETWEEN ${probe.dstPorts[0]} AND ${probe.dstPorts[1]} AND time_ms >= ${from} AND time_ms < ${to}` +
      (probe.srcPrefixes?.length ? ` AND ${ipv4InPrefixes('src_ip', probe.srcPrefixes)}` : ` AND src_ip = ${sqlString(probe.srcIp)}`);
    const count = (group: LogType) =>
      scalar(
        store,
        `SELECT count(*) FROM (SELECT DISTINCT src_ip, src_port, dst_ip, dst_port FROM FlowTuples WHERE ${VERSION_GROUP[group]} AND ${match})`,
      );
    const vnetConnections = await count('vnet');
    const nsgConnections = await count('nsg');
    const reasons = [
      ...new Set(
        probe.sides.filter((s) => s.nsg.outcome !== 'recorded' && s.nsg.reason).map((s) => `at ${s.vm ?? s.nic}: ${s.nsg.reason}`),
      ),
    ];
    if (nsgConnections < vnetConnections || (vnetConnections === 0 && nsgConnections === 0 && reasons.length > 0)) {
      missed.push({
        pattern: probe.pattern,
        flow: `${probe.from} → ${probe.to} ${protocolName(probe.protocol)}${probe.protocol === 1 ? '' : '/' + portText(probe.dstPorts)}`,
        vnetConnections,
        nsgConnections,
        reasons,
      });
    }
  }
  return missed;
}

/** SQL that tests an IPv4 text column against prefixes (DuckDB; no extension needed). */
function ipv4InPrefixes(column: string, prefixes: readonly string[]): string {
  const asNumber =
    `(CASE WHEN ${column} LIKE '%.%.%.%' THEN ` +
    [0, 1, 2, 3].map((i) => `TRY_CAST(split_part(${column}, '.', ${i + 1}) AS BIGINT) * ${256 ** (3 - i)}`).join(' + ') +
    ' END)';
  const ranges = prefixes.map(parseIpv4Cidr).filter((r): r is Ipv4Range => r !== null);
  if (ranges.length === 0) return 'FALSE';
  return `(${ranges.map((r) => `${asNumber} BETWEEN ${r.first} AND ${r.last}`).join(' OR ')})`;
}

function portText([lo, hi]: readonly [number, number]): string {
  return lo === hi ? String(lo) : `${lo}-${hi}`;
}

function protocolName(protocol: number): string {
  return protocol === 6 ? 'TCP' : protocol === 17 ? 'UDP' : protocol === 1 ? 'ICMP' : `proto ${protocol}`;
}

export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const outDir = resolve(options.outDir);
  const scenarioPath = options.scenarioPath ?? defaultDemoScenarioPath();
  const { scenario, serviceTags } = loadScenario(scenarioPath);
  const profiles = options.profiles ?? DEMO_PROFILES;
  const minutes = options.minutes ?? 60;
  const storePath = join(outDir, 'flowlens.duckdb');
  // A demo run starts from nothing so its tables never mix with an earlier run's.
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });

  const emulated: Record<string, EmulateSummary> = {};
  const windows: Record<string, { from: number; to: number; dir: string }> = {};
  for (const profile of profiles) {
    const dir = join(outDir, profile);
    const sink = createFolderSink(dir, FLOW_LOG_BLOB_FRAMING);
    try {
      const summary = await emulate(scenario, sink, { profile, duration: `${minutes}m`, commit: 'batched' }, {}, { serviceTags });
      emulated[profile] = summary;
      const from = Date.parse(summary.start);
      windows[profile] = { from, to: from + minutes * 60_000, dir };
      log(`emulated ${profile}: ${summary.blobs} blobs, ${summary.records} records, ${summary.tuples} tuples → ${dir}`);
    } finally {
      await sink.close();
    }
  }

  const store = await openStore({ db: storePath });
  try {
    const derive = await createDeriver({ topology: scenarioPath });
    const ingest = await runIngest({
      sources: profiles.map((p) => openFolderSource(windows[p].dir)),
      store,
      derive,
      log,
    });
    log(`ingested ${ingest.blobs} blobs, ${ingest.tuples} tuples into ${storePath}`);
    const first = profiles[0];
    const formats = await formatRows(windows[first].dir, store, windows[first].from, windows[first].to);
    const coverage: CoverageObservation[] = [];
    for (const p of profiles) coverage.push(await observeCoverage(store, scenario, p, windows[p].from, windows[p].to));
    const article = profiles.includes('preview-2023') ? 'preview-2023' : first;
    const avnm = await observeAvnm(store, scenario, windows[article].from, windows[article].to);
    const nsgMissed = await observeNsgMisses(store, scenario, article, windows[article].from, windows[article].to);
    return {
      storePath,
      scenarioPath,
      emulated,
      ingest,
      formats,
      coverage,
      avnm,
      nsgMissed,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await store.close();
  }
}

export { renderDemoReport } from './render.js';
