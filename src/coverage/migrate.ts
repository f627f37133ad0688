/**
 * Migration plan from NSG flow logs to VNet flow logs (NSG flow logs: no new ones from 2025-06-30,
 * retired 2027-09-30, azure-flowlogs-spec §2.7).
 *
 * 1. NICs to cover: every NIC an enabled NSG flow log sees today (its NSG is on the NIC or on the
 *    NIC's subnet) that no VNet flow log covers yet.
 * 2. Fewest resources: one VNet-scope flow log where every NIC of the VNet is to be covered (or
 *    already covered at NIC/subnet scope, which keeps precedence, §1.12); else one subnet-scope flow
 *    log per subnet whose NICs all need it; else NIC scope.
 * 3. Settings carried over from the NSG flow logs each new flow log replaces: storage account (the
 *    most used one), retention (the longest; 0 = forever wins), Traffic Analytics (on if any was,
 *    shortest interval, first workspace).
 * 4. No duplicate logging (Microsoft advises against it, §1.12): an NSG flow log is deleted when
 *    every NIC it sees is covered by a VNet flow log after the change.
 * 5. Proof: coverage (the recorder) before and after; a flow side recorded today by any flow log
 *    must be recorded after. An NSG flow log whose deletion would lose something is kept instead,
 *    and the plan says why.
 */
import { UsageError } from '../errors.js';
import {
  defaultNetworkWatcherName,
  flowLogId,
  nicId,
  storageAccountId,
  subnetId,
  vnetId,
  type FlowLog,
  type Nic,
  type Scenario,
  type ServiceTagSet,
  type Vnet,
} from '../model/index.js';
import { renderBicep, type BicepFile } from './bicep.js';
import { migrateOptionsSchema, type MigrateOptions, type MigrateOptionsInput } from './config.js';
import {
  coverage,
  coverageContext,
  type CoverageReport,
  type Outcome,
  type ProbeCoverage,
  type SideCoverage,
} from './coverage.js';
import { flowText } from './table.js';
import type { StoreVolume } from './volume.js';

const lower = (s: string) => s.toLowerCase();

export interface PlannedFlowLog {
  name: string;
  scope: 'vnet' | 'subnet' | 'nic';
  /** Scenario target: VNet name, `vnet/subnet`, or NIC name. */
  target: string;
  targetResourceId: string;
  subscription: string;
  location: string;
  networkWatcher: { name: string; resourceGroup: string };
  storageAccount: string;
  storageId: string;
  /** Days; 0 = keep forever; null = no retention policy carried over. */
  retentionDays: number | null;
  trafficAnalytics: { enabled: boolean; intervalMinutes: 10 | 60; workspaceId?: string } | null;
  /** NSG flow logs whose NICs it covers. */
  replaces: string[];
  /** NICs it records that no flow log records today. */
  nics: string[];
  notes: string[];
}

export interface DeletedFlowLog {
  name: string;
  nsg: string;
  location: string;
  subscription: string;
  networkWatcher: { name: string; resourceGroup: string };
  trafficAnalytics: boolean;
  coveredBy: string[];
}

export interface KeptFlowLog {
  name: string;
  reason: string;
}

export interface DiffEntry {
  pattern: string;
  flow: string;
  nic: string;
  direction: 'I' | 'O';
  before: Outcome;
  after: Outcome;
  beforeBy: string[];
  afterBy: string[];
}

export interface CoverageDiff {
  total: number;
  recordedBefore: number;
  recordedAfter: number;
  lost: DiffEntry[];
  gained: DiffEntry[];
  /** Every flow side recorded before is recorded (unconditionally) after. */
  superset: boolean;
}

export interface VolumeEstimate {
  db: string;
  observedHours: number;
  /** VNet flow logs after the plan (new and existing), GiB per 30 days. */
  gbPerMonth: number;
  /** Today's NSG flow logs, same model, GiB per 30 days (for comparison). */
  nsgGbPerMonthToday: number;
  pricePerGb: number;
  freeGb: number;
  usdPerMonth: number;
  nicsWithoutData: string[];
}

export interface MigrationPlan {
  scenario: string;
  profile: string;
  create: PlannedFlowLog[];
  delete: DeletedFlowLog[];
  keep: KeptFlowLog[];
  diff: CoverageDiff;
  volume: VolumeEstimate | null;
  commands: string[];
  bicep: BicepFile[];
  /** The scenario with the plan applied (flow logs replaced). */
  after: Scenario;
  before: CoverageReport;
  afterReport: CoverageReport;
}

interface NicPlace {
  nic: Nic;
  vnet: Vnet;
  subnetNsg?: string;
}

function places(s: Scenario): NicPlace[] {
  return s.nics.map((nic) => {
    const vnet = s.vnets.find((v) => lower(v.name) === lower(nic.vnet));
    if (!vnet) throw new UsageError(`NIC ${nic.name} is in unknown VNet ${nic.vnet}`);
    const subnet = vnet.subnets.find((sn) => lower(sn.name) === lower(nic.subnet));
    return { nic, vnet, subnetNsg: subnet?.nsg };
  });
}

/** Which VNet flow log records a NIC (precedence NIC > subnet > VNet), among enabled ones. */
function effectiveVnetLog(logs: readonly FlowLog[], p: NicPlace): FlowLog | undefined {
  const enabled = logs.filter((f) => f.enabled && f.scope !== 'nsg');
  const by = (scope: string, target: string) =>
    enabled.find((f) => f.scope === scope && lower(f.target) === lower(target));
  return by('nic', p.nic.name) ?? by('subnet', `${p.vnet.name}/${p.nic.subnet}`) ?? by('vnet', p.vnet.name);
}

function nsgLogsSeeing(logs: readonly FlowLog[], p: NicPlace): FlowLog[] {
  return logs.filter(
    (f) =>
      f.enabled &&
      f.scope === 'nsg' &&
      ((p.nic.nsg && lower(f.target) === lower(p.nic.nsg)) ||
        (p.subnetNsg && lower(f.target) === lower(p.subnetNsg))),
  );
}

function mostCommon(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base.slice(0, 80);
  for (let i = 2; taken.has(lower(name)); i++) name = `${base.slice(0, 76)}-${i}`;
  taken.add(lower(name));
  return name;
}

function planFlowLog(
  s: Scenario,
  scope: PlannedFlowLog['scope'],
  vnet: Vnet,
  target: string,
  targetResourceId: string,
  baseName: string,
  covered: NicPlace[],
  sources: FlowLog[],
  taken: Set<string>,
): PlannedFlowLog {
  const notes: string[] = [];
  const storageName = mostCommon(sources.map((f) => f.storageAccount));
  if (new Set(sources.map((f) => lower(f.storageAccount))).size > 1)
    notes.push(
      `the replaced NSG flow logs write to several storage accounts; using ${storageName}, the most used`,
    );
  const storage = s.storageAccounts.find((a) => lower(a.name) === lower(storageName));
  if (!storage)
    throw new UsageError(
      `storage account ${storageName} of flow log ${sources[0].name} is not in the scenario`,
    );
  if (lower(storage.location) !== lower(vnet.location))
    notes.push(
      `storage account ${storage.name} is in ${storage.location}, the VNet in ${vnet.location}: Azure needs the same region (§1.10)`,
    );
  const retentions = sources.map((f) => f.retentionDays).filter((d): d is number => d !== undefined);
  const retentionDays = retentions.length === 0 ? null : retentions.includes(0) ? 0 : Math.max(...retentions);
  const ta = sources.map((f) => f.trafficAnalytics).filter((t) => t?.enabled);
  const trafficAnalytics = ta.length
    ? {
        enabled: true,
        intervalMinutes: Math.min(...ta.map((t) => t!.intervalMinutes)) as 10 | 60,
        workspaceId: ta.find((t) => t!.workspaceId)?.workspaceId,
      }
    : null;
  if (new Set(ta.map((t) => t!.workspaceId ?? '')).size > 1)
    notes.push('the replaced flow logs send Traffic Analytics to several workspaces; using the first');
  const sameRegion = sources.find((f) => lower(f.location) === lower(vnet.location));
  const networkWatcher = {
    name: sameRegion?.networkWatcher.name ?? defaultNetworkWatcherName(vnet.location),
    resourceGroup: sameRegion?.networkWatcher.resourceGroup ?? sources[0].networkWatcher.resourceGroup,
  };
  return {
    name: uniqueName(baseName, taken),
    scope,
    target,
    targetResourceId,
    subscription: vnet.subscription,
    location: vnet.location,
    networkWatcher,
    storageAccount: storage.name,
    storageId: storageAccountId(storage),
    retentionDays,
    trafficAnalytics,
    replaces: [...new Set(sources.map((f) => f.name))].sort(),
    nics: covered.map((p) => p.nic.name),
    notes,
  };
}

/** Steps 1–3: the VNet flow logs to create. */
export function planVnetFlowLogs(s: Scenario): PlannedFlowLog[] {
  const all = places(s);
  const taken = new Set(s.flowLogs.map((f) => lower(f.name)));
  const needs = (p: NicPlace) => nsgLogsSeeing(s.flowLogs, p).length > 0 && !effectiveVnetLog(s.flowLogs, p);
  const covered = (p: NicPlace) => effectiveVnetLog(s.flowLogs, p) !== undefined;
  const out: PlannedFlowLog[] = [];
  for (const vnet of s.vnets) {
    const inVnet = all.filter((p) => p.vnet === vnet);
    const needed = inVnet.filter(needs);
    if (needed.length === 0) continue;
    const sourcesOf = (ps: NicPlace[]) => [...new Set(ps.flatMap((p) => nsgLogsSeeing(s.flowLogs, p)))];
    if (inVnet.every((p) => needs(p) || covered(p))) {
      out.push(
        planFlowLog(
          s,
          'vnet',
          vnet,
          vnet.name,
          vnetId(vnet),
          `${vnet.name}-${vnet.resourceGroup}-flowlog`,
          needed,
          sourcesOf(needed),
          taken,
        ),
      );
      continue;
    }
    for (const subnet of vnet.subnets) {
      const inSubnet = inVnet.filter((p) => lower(p.nic.subnet) === lower(subnet.name));
      const neededHere = inSubnet.filter(needs);
      if (neededHere.length === 0) continue;
      if (inSubnet.every((p) => needs(p) || covered(p))) {
        out.push(
          planFlowLog(
            s,
            'subnet',
            vnet,
            `${vnet.name}/${subnet.name}`,
            subnetId(vnet, subnet.name),
            `${vnet.name}-${subnet.name}-${vnet.resourceGroup}-flowlog`,
            neededHere,
            sourcesOf(neededHere),
            taken,
          ),
        );
        continue;
      }
      for (const p of neededHere)
        out.push(
          planFlowLog(
            s,
            'nic',
            vnet,
            p.nic.name,
            nicId(p.nic),
            `${p.nic.name}-${p.nic.resourceGroup}-flowlog`,
            [p],
            sourcesOf([p]),
            taken,
          ),
        );
    }
  }
  return out;
}

function toFlowLog(p: PlannedFlowLog): FlowLog {
  return {
    name: p.name,
    scope: p.scope,
    target: p.target,
    enabled: true,
    storageAccount: p.storageAccount,
    subscription: p.subscription,
    location: p.location,
    networkWatcher: p.networkWatcher,
    version: 2,
    retentionDays: p.retentionDays ?? undefined,
    trafficAnalytics: p.trafficAnalytics ?? undefined,
  };
}

function sideRecordedBy(s: SideCoverage): { outcome: Outcome; by: string[] } {
  const by = [s.vnet, s.nsg]
    .filter((c) => c.outcome !== 'not-recorded')
    .map((c) => `${c.flowLog}${c.outcome === 'conditional' ? '?' : ''}`);
  const outcome: Outcome =
    s.vnet.outcome === 'recorded' || s.nsg.outcome === 'recorded'
      ? 'recorded'
      : s.vnet.outcome === 'conditional' || s.nsg.outcome === 'conditional'
        ? 'conditional'
        : 'not-recorded';
  return { outcome, by };
}

const sideKey = (p: ProbeCoverage, s: SideCoverage) =>
  `${p.pattern}|${p.protocol}|${p.dstPort}|${p.srcIp}|${p.dstIp}|${s.nic}|${s.direction}`;

const RANK: Record<Outcome, number> = { 'not-recorded': 0, conditional: 1, recorded: 2 };

/**
 * Per flow side, by any flow log: recorded before ⇒ recorded after; recorded only under one NSG
 * order before ⇒ at least that after. Anything weaker after is a loss.
 */
export function coverageDiff(before: CoverageReport, after: CoverageReport): CoverageDiff {
  const afterSides = new Map<string, SideCoverage>();
  for (const p of after.probes) for (const s of p.sides) afterSides.set(sideKey(p, s), s);
  const lost: DiffEntry[] = [];
  const gained: DiffEntry[] = [];
  let total = 0;
  let recordedBefore = 0;
  let recordedAfter = 0;
  for (const p of before.probes)
    for (const s of p.sides) {
      total++;
      const b = sideRecordedBy(s);
      const a2 = afterSides.get(sideKey(p, s));
      const a = a2 ? sideRecordedBy(a2) : { outcome: 'not-recorded' as Outcome, by: [] };
      if (b.outcome !== 'not-recorded') recordedBefore++;
      if (a.outcome === 'recorded') recordedAfter++;
      const entry = (): DiffEntry => ({
        pattern: p.pattern,
        flow: flowText(p),
        nic: s.vm ?? s.nic,
        direction: s.direction,
        before: b.outcome,
        after: a.outcome,
        beforeBy: b.by,
        afterBy: a.by,
      });
      if (RANK[a.outcome] < RANK[b.outcome]) lost.push(entry());
      else if (RANK[a.outcome] > RANK[b.outcome]) gained.push(entry());
    }
  return { total, recordedBefore, recordedAfter, lost, gained, superset: lost.length === 0 };
}

const GIB = 1024 ** 3;
const MONTH_MS = 30 * 24 * 3_600_000;
/**
 * Bytes of one VNet flow-log record besides its tuples and resource IDs, as the formats encoder
 * lays it out: `,{"time":"…7 digits Z","flowLogVersion":4,"flowLogGUID":"<36>","macAddress":"<12>",
 * "category":"FlowLogFlowEvent","flowLogResourceID":"","targetResourceID":"",
 * "operationName":"FlowLogFlowEvent","flowRecords":{"flows":[…]}}`.
 */
const RECORD_FIXED_BYTES = 276;
/** `{"aclID":"","flowGroups":[]}` plus its separating comma, without the aclID itself. */
const ACL_ENTRY_BYTES = 29;
/** `{"rule":"","flowTuples":[]}` plus its separating comma, without the rule name. */
const RULE_ENTRY_BYTES = 28;

/** ARM ID of a VNet flow log's target (`targetResourceID` in its records). */
function targetIdOf(s: Scenario, f: FlowLog): string {
  const vnetOf = (name: string) => s.vnets.find((v) => lower(v.name) === lower(name));
  if (f.scope === 'vnet') return vnetId(vnetOf(f.target)!);
  if (f.scope === 'subnet') {
    const [v, sn] = f.target.split('/');
    return subnetId(vnetOf(v)!, sn);
  }
  return nicId(s.nics.find((n) => lower(n.name) === lower(f.target))!);
}

function estimateVolume(
  vol: StoreVolume,
  s: Scenario,
  plan: PlannedFlowLog[],
  after: Scenario,
  o: MigrateOptions,
  macs: Map<string, string>,
): VolumeEstimate {
  const spanFactor = vol.spanMs > 0 ? MONTH_MS / vol.spanMs : 0;
  let bytes = 0;
  const nicsWithoutData: string[] = [];
  const afterPlaces = places(after);
  for (const p of afterPlaces) {
    const log = effectiveVnetLog(after.flowLogs, p);
    if (!log) continue;
    const mac = macs.get(lower(p.nic.name))!;
    const v = vol.byMac.get(mac);
    if (!v) {
      nicsWithoutData.push(p.nic.name);
      continue;
    }
    const ids = flowLogId(log).length + targetIdOf(after, log).length;
    bytes +=
      v.tupleBytes +
      v.minutes * (RECORD_FIXED_BYTES + ids) +
      v.aclGroups * ACL_ENTRY_BYTES +
      v.ruleGroups * RULE_ENTRY_BYTES +
      v.groupStringBytes;
  }
  // NSG records: same envelope order of magnitude, one resource ID (the NSG's, about 150 bytes).
  const nsgBytes = vol.nsgTupleBytes + vol.nsgMinutes * (RECORD_FIXED_BYTES + 150);
  const gbPerMonth = (bytes * spanFactor) / GIB;
  const subscriptions =
    new Set([...plan.map((p) => p.subscription), ...s.flowLogs.map((f) => f.subscription)]).size || 1;
  const freeGb = o.freeGbPerSubscription * subscriptions;
  return {
    db: vol.db,
    observedHours: vol.spanMs / 3_600_000,
    gbPerMonth,
    nsgGbPerMonthToday: (nsgBytes * spanFactor) / GIB,
    pricePerGb: o.pricePerGb,
    freeGb,
    usdPerMonth: Math.max(0, gbPerMonth - freeGb) * o.pricePerGb,
    nicsWithoutData,
  };
}

function azCommands(create: PlannedFlowLog[], del: DeletedFlowLog[]): string[] {
  const q = (v: string) => (/^[\w./:-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);
  const out: string[] = ['# 1. Create the VNet flow logs (check that their blobs appear before step 2).'];
  for (const p of create) {
    const target = p.scope === 'vnet' ? '--vnet' : p.scope === 'subnet' ? '--subnet' : '--nic';
    const parts = [
      'az network watcher flow-log create',
      `--location ${q(p.location)}`,
      `--name ${q(p.name)}`,
      `${target} ${q(p.targetResourceId)}`,
      `--storage-account ${q(p.storageId)}`,
      '--format JSON --log-version 2',
    ];
    if (p.retentionDays !== null) parts.push(`--retention ${p.retentionDays}`);
    if (p.trafficAnalytics) {
      parts.push('--traffic-analytics true', `--interval ${p.trafficAnalytics.intervalMinutes}`);
      if (p.trafficAnalytics.workspaceId) parts.push(`--workspace ${q(p.trafficAnalytics.workspaceId)}`);
    }
    if (p.subscription) parts.push(`--subscription ${q(p.subscription)}`);
    out.push(parts.join(' '));
  }
  if (del.length)
    out.push('# 2. Remove the NSG flow logs the VNet flow logs now cover (Traffic Analytics off first).');
  for (const d of del) {
    if (d.trafficAnalytics)
      out.push(
        `az network watcher flow-log update --location ${q(d.location)} --name ${q(d.name)} --traffic-analytics false --subscription ${q(d.subscription)}`,
      );
    out.push(
      `az network watcher flow-log delete --location ${q(d.location)} --name ${q(d.name)} --subscription ${q(d.subscription)}`,
    );
  }
  return out;
}

/** The whole migration plan for a scenario. `volume` comes from `readStoreVolume(--db)`. */
export function planMigration(
  scenario: Scenario,
  input: MigrateOptionsInput = {},
  extra: { serviceTags?: ServiceTagSet; volume?: StoreVolume } = {},
): MigrationPlan {
  const parsed = migrateOptionsSchema.safeParse(input);
  if (!parsed.success)
    throw new UsageError(
      `migrate options: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`,
    );
  const o = parsed.data;
  const covOpts = { profile: o.profile, at: o.at };
  const before = coverage(scenario, covOpts, extra.serviceTags);
  const create = planVnetFlowLogs(scenario);
  const createdLogs = create.map(toFlowLog);
  const withNew: FlowLog[] = [...scenario.flowLogs, ...createdLogs];
  const all = places(scenario);

  // Step 4: NSG flow logs whose every NIC is covered by a VNet flow log afterwards.
  const deletable = scenario.flowLogs.filter((f) => {
    if (f.scope !== 'nsg' || !f.enabled) return false;
    const seen = all.filter((p) => nsgLogsSeeing([f], p).length > 0);
    return seen.every((p) => effectiveVnetLog(withNew, p) !== undefined);
  });
  const keep: KeptFlowLog[] = scenario.flowLogs
    .filter((f) => f.scope === 'nsg' && f.enabled && !deletable.includes(f))
    .map((f) => ({ name: f.name, reason: 'no VNet flow log covers every NIC it sees' }));

  // Step 5: verify with the recorder; keep any NSG flow log whose deletion would lose a flow.
  let removed = [...deletable];
  let after: Scenario;
  let afterReport: CoverageReport;
  let diff: CoverageDiff;
  for (;;) {
    after = { ...scenario, flowLogs: withNew.filter((f) => !removed.includes(f)) };
    afterReport = coverage(after, covOpts, extra.serviceTags);
    diff = coverageDiff(before, afterReport);
    if (diff.superset) break;
    const lostBy = new Set(diff.lost.flatMap((l) => l.beforeBy.map((b) => b.replace(/\?$/, ''))));
    const culprits = removed.filter((f) => lostBy.has(f.name));
    if (culprits.length === 0) break;
    for (const f of culprits)
      keep.push({
        name: f.name,
        reason: 'deleting it would lose flows the VNet flow logs do not record (see the coverage diff)',
      });
    removed = removed.filter((f) => !culprits.includes(f));
  }

  const del: DeletedFlowLog[] = removed.map((f) => {
    const seen = all.filter((p) => nsgLogsSeeing([f], p).length > 0);
    return {
      name: f.name,
      nsg: f.target,
      location: f.location,
      subscription: f.subscription,
      networkWatcher: f.networkWatcher,
      trafficAnalytics: f.trafficAnalytics?.enabled ?? false,
      coveredBy: [...new Set(seen.map((p) => effectiveVnetLog(after.flowLogs, p)!.name))].sort(),
    };
  });

  const macs = new Map<string, string>();
  if (extra.volume)
    for (const n of coverageContext(scenario, covOpts, extra.serviceTags).network.nics)
      macs.set(lower(n.name), n.mac);
  const volume = extra.volume ? estimateVolume(extra.volume, scenario, create, after, o, macs) : null;
  return {
    scenario: scenario.name ?? '',
    profile: before.profile,
    create,
    delete: del,
    keep,
    diff,
    volume,
    commands: azCommands(create, del),
    bicep: renderBicep(create, o.apiVersion, scenario.name ?? 'scenario'),
    after,
    before,
    afterReport,
  };
}

/** The plan as text: what to create and delete, the coverage diff, volume, commands. */
export function renderMigrationPlan(plan: MigrationPlan): string {
  const out: string[] = [
    `Migration plan for ${plan.scenario || 'scenario'} (profile ${plan.profile}): NSG flow logs → VNet flow logs`,
    '',
  ];
  out.push(`Create ${plan.create.length} VNet flow log(s):`);
  for (const p of plan.create) {
    const ta = p.trafficAnalytics
      ? `, Traffic Analytics every ${p.trafficAnalytics.intervalMinutes} min`
      : '';
    const ret =
      p.retentionDays === null
        ? 'no retention policy'
        : p.retentionDays === 0
          ? 'kept forever'
          : `${p.retentionDays} days`;
    out.push(
      `  + ${p.name} [${p.scope} ${p.target}] → ${p.storageAccount}, ${ret}${ta}; replaces ${p.replaces.join(', ')}; ${p.nics.length} NIC(s)`,
    );
    for (const n of p.notes) out.push(`      note: ${n}`);
  }
  out.push(
    '',
    `Delete ${plan.delete.length} NSG flow log(s) (covered by VNet flow logs; duplicate logging is discouraged):`,
  );
  for (const d of plan.delete) out.push(`  - ${d.name} [NSG ${d.nsg}] covered by ${d.coveredBy.join(', ')}`);
  if (plan.keep.length) {
    out.push('', 'Keep:');
    for (const k of plan.keep) out.push(`  = ${k.name}: ${k.reason}`);
  }
  const d = plan.diff;
  out.push(
    '',
    `Coverage diff (flow sides, recorder-computed): ${d.recordedBefore} of ${d.total} recorded before, ${d.recordedAfter} after; ` +
      `${d.lost.length} lost, ${d.gained.length} gained. ${d.superset ? 'Nothing recorded today is lost.' : 'WARNING: some flows recorded today would be lost.'}`,
  );
  for (const l of d.lost)
    out.push(`  lost:   ${l.flow} at ${l.nic} (${l.direction}): ${l.beforeBy.join(', ')} → ${l.after}`);
  for (const g of d.gained.slice(0, 20))
    out.push(`  gained: ${g.flow} at ${g.nic} (${g.direction}): ${g.before} → ${g.afterBy.join(', ')}`);
  if (d.gained.length > 20) out.push(`  … and ${d.gained.length - 20} more gained`);
  if (plan.volume) {
    const v = plan.volume;
    out.push(
      '',
      `Volume from ${v.db} (${v.observedHours.toFixed(1)} h observed, scaled to 30 days): ` +
        `${v.gbPerMonth.toFixed(3)} GiB/month of VNet flow logs (NSG flow logs today: ${v.nsgGbPerMonthToday.toFixed(3)} GiB/month); ` +
        `≈ $${v.usdPerMonth.toFixed(2)}/month at $${v.pricePerGb}/GB after ${v.freeGb} GB free.`,
    );
    if (v.nicsWithoutData.length) out.push(`  no data in the store for: ${v.nicsWithoutData.join(', ')}`);
  }
  out.push('', 'Azure CLI:', ...plan.commands.map((c) => `  ${c}`), '');
  return out.join('\n');
}
