import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze, createAnalyticsContext, parseIp, topologyFromScenario, topologyRows, type TopologyLookup } from '../../src/analytics/index.js';
import { emulateMinutes } from '../../src/emulator/index.js';
import { decodeBuffer, HEAD_BLOCK, TAIL_BLOCK } from '../../src/formats/index.js';
import { loadScenario } from '../../src/model/index.js';
import { openStore, type Store } from '../../src/store/index.js';

const SCENARIO = fileURLToPath(new URL('../../examples/hub-spoke.yaml', import.meta.url));

let store: Store;
let topology: TopologyLookup;
let rows: Record<string, unknown>[];
let scenario: ReturnType<typeof loadScenario>['scenario'];

async function all(sql: string): Promise<Record<string, unknown>[]> {
  const r = await store.query(sql);
  return r.rows.map((v) => Object.fromEntries(r.columns.map((c, i) => [c, v[i]])));
}

beforeAll(async () => {
  const loaded = loadScenario(SCENARIO);
  scenario = loaded.scenario;
  topology = topologyFromScenario(loaded.scenario, loaded.serviceTags);
  const ctx = createAnalyticsContext({ topology });
  store = await openStore({ db: ':memory:' });
  // emulate 15 minutes of examples/hub-spoke.yaml; one blob = head + data blocks + tail
  const blobs = new Map<string, Buffer[]>();
  for (const minute of emulateMinutes(loaded.scenario, { duration: '15m' }, { serviceTags: loaded.serviceTags })) {
    for (const block of minute.blocks) {
      const key = `${block.container}/${block.blobName}`;
      const list = blobs.get(key) ?? [];
      list.push(block.bytes);
      blobs.set(key, list);
    }
  }
  expect(blobs.size).toBeGreaterThan(0);
  for (const [blob, blocks] of blobs) {
    const bytes = Buffer.concat([Buffer.from(HEAD_BLOCK), ...blocks, Buffer.from(TAIL_BLOCK)]);
    const { batches } = decodeBuffer(bytes, { source: blob, block: 'all' });
    await store.commit({
      checkpoint: { source: 'emulated', blob, lastBlockId: 'all', blockCount: blocks.length, byteOffset: bytes.length, etag: null, updatedAt: new Date(0).toISOString() },
      tuples: batches,
      derived: batches.flatMap((b) => analyze(b, ctx)),
    });
  }
  rows = await all(
    `SELECT FlowType, SrcIp, DestIp, SrcVm, DestVm, SrcSubnet, DestSubnet, SrcVnet, DestVnet, SrcNic, DestNic, SrcRegion, DestRegion, AclGroup, AclRule
     FROM NTANetAnalytics`,
  );
}, 300_000);

afterAll(async () => {
  await store?.close();
});

describe('enrichment of emulated examples/hub-spoke.yaml traffic', () => {
  it('produces rows of several flow types', () => {
    const types = new Set(rows.map((r) => r.FlowType));
    expect(rows.length).toBeGreaterThan(10);
    for (const t of ['IntraVNet', 'InterVNet', 'ExternalPublic']) expect(types).toContain(t);
  });

  it('names VM, NIC, subnet, VNet and region wherever the topology knows the endpoint, and never says Unknown then', () => {
    let checked = 0;
    for (const r of rows) {
      for (const side of ['Src', 'Dest'] as const) {
        const ip = r[side === 'Src' ? 'SrcIp' : 'DestIp'] as string;
        if (!ip) continue;
        const e = topology.endpoint(parseIp(ip)!, ip);
        if (!e) continue;
        checked++;
        expect(r[`${side}Subnet`], `${side}Subnet of ${ip}`).toBe(e.subnet);
        expect(r[`${side}Vnet`], `${side}Vnet of ${ip}`).toBe(e.vnet);
        expect(r[`${side}Vm`], `${side}Vm of ${ip}`).toBe(e.vm);
        expect(r[`${side}Nic`], `${side}Nic of ${ip}`).toBe(e.nic);
        expect(r[`${side}Region`], `${side}Region of ${ip}`).not.toBe('');
        expect(e.subnet).not.toBe('');
        expect(r.FlowType).not.toBe('Unknown');
      }
    }
    expect(checked).toBeGreaterThan(rows.length);
    // web1 → app1 on 8080 is one VNet; app1 → sql1 crosses from the web spoke to the data spoke
    expect(rows.some((r) => r.SrcVm === 'rg-hub-spoke/web1' || /\/web1$/.test(String(r.SrcVm)))).toBe(true);
    const appToSql = rows.filter((r) => r.SrcIp === '10.20.2.4' && r.DestIp === '10.30.1.4');
    expect(appToSql.length).toBeGreaterThan(0);
    for (const r of appToSql) expect(r.FlowType).toBe('InterVNet');
  });

  it('resolves NSG aclIDs to <Sub>/<RG>/<NSG> for NSG rules', () => {
    const nsgRows = rows.filter((r) => /^(UserRule|DefaultRule)_/.test(String(r.AclRule)));
    expect(nsgRows.length).toBeGreaterThan(0);
    for (const r of nsgRows) expect(r.AclGroup, String(r.AclRule)).toMatch(/^[^/]+\/[^/]+\/nsg-[a-z-]+$/);
  });
});

describe('topology rows (NTATopologyDetails)', () => {
  it('writes one row per VNet, subnet, NIC and NSG, and a second snapshot replaces the first', async () => {
    const processed = Date.UTC(2025, 0, 6, 0, 0, 0);
    await store.replaceTopology(topologyRows(scenario, processed));
    await store.replaceTopology(topologyRows(scenario, processed));
    const counts = await all('SELECT AzureResourceType, count(*) AS n FROM NTATopologyDetails GROUP BY AzureResourceType ORDER BY AzureResourceType');
    expect(counts).toEqual([
      { AzureResourceType: 'NetworkInterface', n: scenario.nics.length },
      { AzureResourceType: 'NetworkSecurityGroup', n: scenario.nsgs.length },
      { AzureResourceType: 'Subnet', n: scenario.vnets.reduce((a, v) => a + v.subnets.length, 0) },
      { AzureResourceType: 'VirtualNetwork', n: scenario.vnets.length },
    ]);
    const web1 = scenario.nics.find((n) => n.name === 'web1-nic')!;
    const nic = await all(`SELECT VirtualMachine, PrivateIpAddresses, PublicIpAddresses, Subnetwork, Nsg, epoch_ms(TimeProcessed) AS t
      FROM NTATopologyDetails WHERE Name = '${web1.resourceGroup}/web1-nic'`);
    expect(nic).toEqual([
      { VirtualMachine: `${web1.resourceGroup}/web1`, PrivateIpAddresses: '10.20.1.4', PublicIpAddresses: '20.50.1.4', Subnetwork: `${scenario.vnets.find((v) => v.name === 'vnet-spoke-web')!.resourceGroup}/vnet-spoke-web/snet-web`, Nsg: web1.nsg ?? '', t: processed },
    ]);
  });
});
