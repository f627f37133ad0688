import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  coverageDiff,
  loadCoverageInput,
  planMigration,
  readStoreVolume,
  type CoverageReport,
  type SideCoverage,
} from '../../src/coverage/index.js';
import { FLOW_LOG_BLOB_FRAMING, emulate } from '../../src/emulator/index.js';
import { openTarget, runIngest } from '../../src/ingest/index.js';
import {
  loadScenario,
  nicId,
  storageAccountId,
  subnetId,
  vnetId,
  type Scenario,
} from '../../src/model/index.js';
import { createFolderSink } from '../../src/storage/sink-fs.js';
import { openStore } from '../../src/store/index.js';
import { checkFlowLogBicep } from './bicep-check.js';
import { EXAMPLES } from './support.js';

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)],
  );
}

const ESTATE = join(import.meta.dirname, 'testdata/estate-30nsg');
const ROOT = join(import.meta.dirname, '../..');

function knownIds(s: Scenario) {
  return {
    targets: [
      ...s.vnets.map(vnetId),
      ...s.vnets.flatMap((v) => v.subnets.map((sn) => subnetId(v, sn.name))),
      ...s.nics.map(nicId),
    ],
    storage: s.storageAccounts.map(storageAccountId),
  };
}

const key = (p: CoverageReport['probes'][number], s: SideCoverage) =>
  `${p.pattern}|${p.protocol}|${p.dstPort}|${p.srcIp}|${p.dstIp}|${s.nic}|${s.direction}`;
const recordedAtAll = (s: SideCoverage) =>
  s.vnet.outcome !== 'not-recorded' || s.nsg.outcome !== 'not-recorded';

describe('migrate: 30-NSG estate from Azure CLI JSON', () => {
  const input = loadCoverageInput(ESTATE);
  const plan = planMigration(input.scenario, { profile: 'ga' }, { serviceTags: input.serviceTags });

  it('reads the CLI-shape fixture: 30 NSGs, their flow logs, NICs and VNets', () => {
    expect(input.kind).toBe('azure');
    expect(input.scenario.nsgs).toHaveLength(30);
    expect(input.scenario.flowLogs.filter((f) => f.scope === 'nsg').length).toBeGreaterThan(20);
    expect(input.scenario.vnets.map((v) => v.name).sort()).toEqual([
      'vnet-hub',
      'vnet-spoke1',
      'vnet-spoke2',
      'vnet-spoke3',
      'vnet-spoke4',
    ]);
  });

  it('coverage after is a superset of coverage before (checked side by side, independently of the plan diff)', () => {
    const after = new Map<string, SideCoverage>();
    for (const p of plan.afterReport.probes) for (const s of p.sides) after.set(key(p, s), s);
    let checked = 0;
    for (const p of plan.before.probes)
      for (const s of p.sides) {
        if (!recordedAtAll(s)) continue;
        const a = after.get(key(p, s));
        expect(a, `${key(p, s)} missing after`).toBeDefined();
        expect(a!.vnet.outcome === 'recorded' || a!.nsg.outcome === 'recorded', `${key(p, s)} lost`).toBe(
          true,
        );
        checked++;
      }
    expect(checked).toBeGreaterThan(100);
    expect(plan.diff.superset).toBe(true);
    expect(plan.diff.recordedAfter).toBeGreaterThanOrEqual(plan.diff.recordedBefore);
    // Only VNet flow logs remain where they cover: no NSG flow log is left that duplicates them.
    expect(plan.after.flowLogs.filter((f) => f.scope === 'nsg').map((f) => f.name)).toEqual(
      plan.keep.map((k) => k.name),
    );
  });

  it('uses the fewest resources the fixture allows: VNet scope for fully logged VNets, subnet/NIC scope elsewhere', () => {
    const byTarget = Object.fromEntries(plan.create.map((p) => [p.target, p.scope]));
    expect(byTarget['vnet-hub']).toBe('vnet');
    expect(byTarget['vnet-spoke1']).toBe('vnet');
    // spoke2's data subnet NSG has no flow log: its web and app subnets get subnet scope, the data NIC with a logged NIC NSG NIC scope.
    expect(byTarget['vnet-spoke2/snet-web']).toBe('subnet');
    expect(byTarget['vnet-spoke2/snet-app']).toBe('subnet');
    expect(byTarget['nic-spoke2-data-1']).toBe('nic');
    // spoke4 already has a VNet flow log: nothing to create there.
    expect(
      plan.create.some((p) => p.target.startsWith('vnet-spoke4') || p.target.startsWith('nic-spoke4')),
    ).toBe(false);
    // No VNet got several new flow logs while every one of its NICs ends up covered by new ones.
    for (const v of input.scenario.vnets) {
      const inV = plan.create.filter((p) =>
        p.targetResourceId.toLowerCase().startsWith(vnetId(v).toLowerCase()),
      );
      const nicsInV = input.scenario.nics.filter((n) => n.vnet === v.name).map((n) => n.name);
      const covered = new Set(inV.flatMap((p) => p.nics));
      if (inV.length > 1)
        expect(
          nicsInV.every((n) => covered.has(n)),
          `${v.name}: ${inV.length} flow logs where one would do`,
        ).toBe(false);
    }
  });

  it('carries storage, retention and Traffic Analytics over from the replaced NSG flow logs', () => {
    const byName = new Map(input.scenario.flowLogs.map((f) => [f.name, f]));
    for (const p of plan.create) {
      const sources = p.replaces.map((n) => byName.get(n)!);
      expect(sources.length).toBeGreaterThan(0);
      expect(sources.map((s) => s.storageAccount)).toContain(p.storageAccount);
      const ret = sources.map((s) => s.retentionDays!);
      expect(p.retentionDays).toBe(ret.includes(0) ? 0 : Math.max(...ret));
      const ta = sources.filter((s) => s.trafficAnalytics?.enabled);
      expect(p.trafficAnalytics !== null).toBe(ta.length > 0);
      if (p.trafficAnalytics)
        expect(p.trafficAnalytics.intervalMinutes).toBe(
          Math.min(...ta.map((t) => t.trafficAnalytics!.intervalMinutes)),
        );
    }
    const deletedWithTa = plan.delete.filter((d) => d.trafficAnalytics);
    expect(deletedWithTa.length).toBeGreaterThan(0);
    for (const d of deletedWithTa) {
      const upd = plan.commands.findIndex(
        (c) =>
          c.includes(`update`) && c.includes(`--name ${d.name} `) && c.includes('--traffic-analytics false'),
      );
      const del = plan.commands.findIndex(
        (c) => c.includes(`flow-log delete`) && c.includes(`--name ${d.name} `),
      );
      expect(upd).toBeGreaterThanOrEqual(0);
      expect(del).toBeGreaterThan(upd);
    }
    for (const p of plan.create)
      expect(
        plan.commands.some(
          (c) => c.startsWith('az network watcher flow-log create') && c.includes(`--name ${p.name} `),
        ),
      ).toBe(true);
  });

  it('Bicep is structurally valid: resource types, required properties, references resolve', () => {
    expect(plan.bicep).toHaveLength(1);
    const { problems, resources } = checkFlowLogBicep(plan.bicep[0].text, knownIds(input.scenario));
    expect(problems).toEqual([]);
    const flowLogs = resources.filter((r) => r.type === 'Microsoft.Network/networkWatchers/flowLogs');
    expect(flowLogs.map((r) => r.body.name).sort()).toEqual(plan.create.map((p) => p.name).sort());
    const withTa = flowLogs.filter(
      (r) => (r.body.properties as Record<string, unknown>).flowAnalyticsConfiguration !== undefined,
    );
    expect(withTa).toHaveLength(plan.create.filter((p) => p.trafficAnalytics).length);
  });

  it('the structural checker rejects broken Bicep (so the test above can fail)', () => {
    const text = plan.bicep[0].text;
    const ids = knownIds(input.scenario);
    expect(
      checkFlowLogBicep(
        text.replace("'Microsoft.Network/networkWatchers/flowLogs@", "'Microsoft.Network/flowLogs@"),
        ids,
      ).problems.length,
    ).toBeGreaterThan(0);
    expect(checkFlowLogBicep(text.replace(/\n\s*storageId: [^\n]*/, ''), ids).problems.join()).toMatch(
      /storageId/,
    );
    expect(
      checkFlowLogBicep(
        text.replace('/virtualNetworks/vnet-hub', '/virtualNetworks/vnet-nowhere'),
        ids,
      ).problems.join(),
    ).toMatch(/does not resolve/);
    expect(
      checkFlowLogBicep(
        text.replace(/parent: networkWatcher_\w+/, 'parent: nothing_here'),
        ids,
      ).problems.join(),
    ).toMatch(/parent/);
  });

  it('coverageDiff reports a loss when a flow log is removed without replacement', () => {
    const s = input.scenario;
    const withoutHub = {
      ...s,
      flowLogs: s.flowLogs.filter(
        (f) => !f.target.startsWith('nsg-hub') && !f.target.startsWith('nsg-nic-hub'),
      ),
    };
    const d = coverageDiff(plan.before, planMigration(withoutHub, { profile: 'ga' }).before);
    expect(d.superset).toBe(false);
    expect(d.lost.some((l) => l.nic.includes('hub'))).toBe(true);
  });
});

describe('migrate: volume from a DuckDB store and the CLI', () => {
  it('estimates GB/month from an emulated, ingested store, priced by --price-per-gb; the CLI writes Bicep', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'flowlens-migrate-'));
    try {
      const { scenario } = loadScenario(join(EXAMPLES, 'seed-lab.yaml'));
      // Without the hub VNet flow log the plan must create one, and the store has NSG tuples to size it with.
      const nsgOnly: Scenario = { ...scenario, flowLogs: scenario.flowLogs.filter((f) => f.scope === 'nsg') };
      const blobs = join(tmp, 'blobs');
      const sink = createFolderSink(blobs, FLOW_LOG_BLOB_FRAMING);
      await emulate(scenario, sink, { profile: 'ga', duration: '30m', commit: 'batched' });
      await sink.close();
      const db = join(tmp, 'flows.duckdb');
      const store = await openStore({ db });
      const target = await openTarget({ target: blobs });
      const ingested = await runIngest({
        sources: target.sources,
        claims: target.claims,
        store,
        workers: 0,
        log: () => {},
      });
      await target.close();
      await store.close();
      expect(ingested.tuples).toBeGreaterThan(0);

      const volume = await readStoreVolume(db);
      expect(volume.spanMs).toBeGreaterThan(20 * 60_000);
      const cheap = planMigration(
        nsgOnly,
        { profile: 'ga', pricePerGb: 1, freeGbPerSubscription: 0 },
        { volume },
      );
      const dear = planMigration(
        nsgOnly,
        { profile: 'ga', pricePerGb: 3, freeGbPerSubscription: 0 },
        { volume },
      );
      expect(cheap.create.length).toBeGreaterThan(0);
      expect(cheap.volume!.gbPerMonth).toBeGreaterThan(0);
      expect(cheap.volume!.usdPerMonth).toBeCloseTo(cheap.volume!.gbPerMonth * 1, 9);
      expect(dear.volume!.usdPerMonth).toBeCloseTo(cheap.volume!.usdPerMonth * 3, 9);
      // The model against the bytes the emulator really wrote: with the hub VNet flow log kept, the
      // estimate for the VNet flow logs after the plan is the VNet blob bytes scaled to 30 days.
      const full = planMigration(scenario, { profile: 'ga', freeGbPerSubscription: 0 }, { volume });
      const vnetDir = join(blobs, 'insights-logs-flowlogflowevent');
      const written = listFiles(vnetDir).reduce((a, f) => a + statSync(f).size, 0);
      const actualGbPerMonth = (written * ((30 * 24 * 3_600_000) / volume.spanMs)) / 1024 ** 3;
      const ratio = full.volume!.gbPerMonth / actualGbPerMonth;
      expect(ratio, `estimate ${full.volume!.gbPerMonth} vs written ${actualGbPerMonth}`).toBeGreaterThan(
        0.9,
      );
      expect(ratio).toBeLessThan(1.1);

      const bicep = join(tmp, 'plan.bicep');
      const out = execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli/main.ts',
          'migrate',
          ESTATE,
          '--json',
          '--bicep',
          bicep,
          '--price-per-gb',
          '0.25',
        ],
        { cwd: ROOT, encoding: 'utf8' },
      );
      const json = JSON.parse(out.trim().split('\n').pop()!);
      expect(json.diff.superset).toBe(true);
      expect(json.bicepFiles).toEqual([bicep]);
      expect(readFileSync(bicep, 'utf8')).toContain("'Microsoft.Network/networkWatchers/flowLogs@");
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('migrate: an existing filtered VNet flow log', () => {
  it('keeps the NSG flow logs whose flows the filter drops, and still loses nothing', () => {
    const { scenario } = loadScenario(join(EXAMPLES, 'seed-lab.yaml'));
    const filtered: Scenario = {
      ...scenario,
      flowLogs: scenario.flowLogs.map((f) =>
        f.name === 'fl-vnet-hub' ? { ...f, enabledFilteringCriteria: 'DstPort=3389' } : f,
      ),
    };
    const plan = planMigration(filtered, { profile: 'preview-2023' });
    expect(plan.diff.superset).toBe(true);
    const kept = plan.keep.map((k) => k.name);
    // vm-web's port 80/8080 flows are only in NSG flow logs now (the hub VNet flow log keeps 3389 only).
    expect(kept).toContain('fl-nsg-subnet');
    expect(kept).toContain('fl-nsg-client');
    expect(plan.keep.find((k) => k.name === 'fl-nsg-subnet')!.reason).toMatch(/would lose flows/);
    // The RDP NSG flow logs only saw 3389 flows, which the filtered VNet flow log still records.
    expect(plan.delete.map((d) => d.name)).toEqual(
      expect.arrayContaining(['fl-nsg-allow-rdp', 'fl-nsg-deny-rdp']),
    );
  });
});
